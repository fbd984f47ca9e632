"""LLM answers through LangChain chat models, with every quote checked against the sources.

The only module that imports LangChain chat models (``langchain-openai`` for any
OpenAI-compatible endpoint, ``langchain-ollama`` for Ollama); both are optional extras, imported
on first use. The model sees numbered, dated, attributed passages inside ``<source>`` tags and is
told they are data, not instructions. Its reply is then checked (:func:`check_reply`, pure):

* every span in double quotation marks (straight or curly) must stand verbatim, typography
  aside, in the article of the source cited right after it (else in any source's article);
  verified spans become :class:`Quote` objects with exact article offsets, the rest are
  **removed from the prose** (replaced by ``(unverified quote removed)``) and listed in
  ``Answer.unverified``;
* citations ``[n]`` to sources that do not exist are dropped (or replaced by the source a
  verified quote came from) and counted;
* an answer left without any valid citation falls back to the extractive answer
  (``fallback=True``), as does an endpoint that stays down, erroring or silent after the
  retries. A rejected key, a missing model or a refused request raise :class:`LLMError`.
"""

from __future__ import annotations

import functools
import html
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from pydantic import SecretStr

from assistant.answer.verify import locate
from assistant.conversation import condense
from assistant.errors import LLMError
from assistant.prompts import prompt
from assistant.settings import Settings
from assistant.types import Answer, ArticleRef, Filters, Passage, Quote, Turn

TokenFn = Callable[[str], None]

MAX_SOURCES = 8  # passages shown to the model, most relevant first
BACKOFF_SECONDS = 0.5  # first retry delay; doubles each retry
MAX_BACKOFF_SECONDS = 8.0
UNVERIFIED_MARK = "(unverified quote removed)"
DEFAULT_URLS = {"openai": "https://api.openai.com/v1", "ollama": "http://localhost:11434"}
EXTRAS = {"openai": "langchain-openai", "ollama": "langchain-ollama"}

# a quotation: within one paragraph, its content starting and ending with a non-space, so the
# closing mark of one quote and the opening mark of the next are never read as a quote
_QUOTE = re.compile(r"[\"“”](\S(?:(?:[^\"“”\n]|\n(?!\s*\n))*?\S)?)[\"“”]")
_CITE = re.compile(
    r"\[\s*(?:sources?\s*)?(\d+(?:\s*(?:,|;|-|–|and)\s*(?:sources?\s*)?\d+)*)\s*\]", re.I
)
_TAG = re.compile(r"<(/?)(sources?)\b", re.I)


# ------------------------------------------------------------------ sources and prompt
@dataclass(frozen=True)
class Source:
    """A passage as shown to the model: its number, its article's text and its speakers."""

    number: int
    passage: Passage
    article_text: str
    speakers: tuple[str, ...] = ()
    sentence_starts: tuple[int, ...] = ()
    sentence_speakers: tuple[str | None, ...] = ()

    @property
    def ref(self) -> ArticleRef:
        return self.passage.ref

    @property
    def excerpt(self) -> str:
        """The passage's text, sliced from the article so that offsets agree."""
        c = self.passage.chunk
        return self.article_text[c.start : c.end]

    def speaker_at(self, offset: int) -> str | None:
        """Who speaks in the article sentence containing ``offset``."""
        found: str | None = None
        for start, who in zip(self.sentence_starts, self.sentence_speakers, strict=True):
            if start > offset:
                break
            found = who
        return found


def build_sources(assistant: Any, passages: Sequence[Passage]) -> list[Source]:
    """Number the top passages (those whose article text is at hand) with their speakers."""
    chosen = list(passages[:MAX_SOURCES])
    texts: dict[str, str] = assistant.texts([p.ref.article_id for p in chosen])
    out: list[Source] = []
    for p in chosen:
        text = texts.get(p.ref.article_id)
        if text is None:
            continue
        spans, who, _sides = assistant._speakers.get(p.ref.article_id, text)
        inside = [
            w for s, w in zip(spans, who, strict=True) if p.chunk.start <= s.start < p.chunk.end
        ]
        named = tuple(dict.fromkeys(w for w in inside if w))
        out.append(
            Source(
                number=len(out) + 1,
                passage=p,
                article_text=text,
                speakers=named,
                sentence_starts=tuple(s.start for s in spans),
                sentence_speakers=tuple(who),
            )
        )
    return out


def _defang(text: str) -> str:
    """Article text with any ``<source>``/``</source>`` look-alike made harmless."""
    return _TAG.sub(lambda m: "‹" + m.group(1) + m.group(2), text)


def sources_block(sources: Sequence[Source]) -> str:
    """The sources as ``<source id="n" ...>text</source>`` blocks, metadata escaped."""
    blocks = []
    for s in sources:
        attrs = {
            "id": str(s.number),
            "title": s.ref.title,
            "outlet": s.ref.source or "unknown",
            "published": s.ref.published.isoformat() if s.ref.published else "unknown",
        }
        if s.speakers:
            attrs["speakers"] = "; ".join(s.speakers)
        head = " ".join(f'{k}="{html.escape(_defang(v), quote=True)}"' for k, v in attrs.items())
        blocks.append(f"<source {head}>\n{_defang(s.excerpt)}\n</source>")
    return "\n\n".join(blocks)


def answer_messages(question: str, standalone: str, sources: Sequence[Source]) -> list[BaseMessage]:
    """The system and user messages of ``prompts/answer.md`` for these sources."""
    asked = standalone or question
    if standalone and standalone != question:
        asked = f"{standalone}\n(The user's words, a follow-up: {question})"
    system, user = prompt(
        "answer",
        today=date.today().isoformat(),
        count=str(len(sources)),
        sources=sources_block(sources),
        question=asked,
    )
    return [SystemMessage(system), HumanMessage(user)]


# ------------------------------------------------------------------ checking the reply
@dataclass
class Checked:
    """The model's reply after verification: clean prose, verified quotes and the counts."""

    text: str
    quotes: list[Quote] = field(default_factory=list)
    unverified: list[str] = field(default_factory=list)
    cited: list[int] = field(default_factory=list)  # valid source numbers, in order of use
    citations_fixed: int = 0

    def counts(self) -> dict[str, int]:
        """Verification counts for ``Answer.verification``."""
        return {
            "quotes_verified": len(self.quotes),
            "quotes_unverified": len(self.unverified),
            "citations": len(self.cited),
            "citations_fixed": self.citations_fixed,
        }


def _numbers(group: str) -> list[int]:
    """The source numbers of a citation like ``1, 2`` or ``2-3``."""
    out: list[int] = []
    for a, b in re.findall(r"(\d+)(?:\s*[-–]\s*(?:sources?\s*)?(\d+))?", group, re.I):
        lo, hi = int(a), int(b or a)
        out.extend(range(lo, hi + 1) if 0 <= hi - lo <= 10 else (lo, hi))
    return out


def _place(
    quote: str, preferred: list[int], sources: Sequence[Source]
) -> tuple[int, int, int] | None:
    """(source number, start, end) of a verbatim quote: the cited source first, then any."""
    order = list(dict.fromkeys([*preferred, *(s.number for s in sources)]))
    for n in order:
        src = sources[n - 1]
        hit = locate(quote, src.article_text, near=src.passage.chunk.start)
        if hit is None:
            continue
        same = [
            m
            for m in order
            if sources[m - 1].ref.article_id == src.ref.article_id
            and sources[m - 1].passage.chunk.start <= hit[0] < sources[m - 1].passage.chunk.end
        ]
        return (n if not same or n in same else same[0]), hit[0], hit[1]
    return None


def check_reply(reply: str, sources: Sequence[Source]) -> Checked:
    """Verify the quotes and citations of a model reply (pure; see the module docstring)."""
    n_src = len(sources)
    quotes = list(_QUOTE.finditer(reply))
    inside = [(m.start(), m.end()) for m in quotes]
    cites = [c for c in _CITE.finditer(reply) if not any(a <= c.start() < b for a, b in inside)]
    # the citation group that follows each quote in the same line, before any other quote
    follows: dict[int, int] = {}
    for qi, q in enumerate(quotes):
        nxt = quotes[qi + 1].start() if qi + 1 < len(quotes) else len(reply)
        for ci, c in enumerate(cites):
            if q.end() <= c.start() < nxt and "\n" not in reply[q.end() : c.start()]:
                follows[qi] = ci
                break
    placed: dict[int, tuple[int, int, int] | None] = {}
    for qi, q in enumerate(quotes):
        preferred = []
        if qi in follows:
            preferred = [n for n in _numbers(cites[follows[qi]].group(1)) if 1 <= n <= n_src]
        placed[qi] = _place(q.group(1), preferred, sources)

    out = Checked(text="")
    seen: set[tuple[str, int, int]] = set()
    events = sorted(
        [(q.start(), q.end(), "q", i) for i, q in enumerate(quotes)]
        + [(c.start(), c.end(), "c", i) for i, c in enumerate(cites)]
    )
    pieces: list[str] = []
    pos = 0
    for start, end, kind, i in events:
        pieces.append(reply[pos:start])
        pos = end
        if kind == "q":
            hit = placed[i]
            if hit is None:
                said = " ".join(quotes[i].group(1).split())
                if said not in out.unverified:
                    out.unverified.append(said)
                pieces.append(UNVERIFIED_MARK)
                continue
            n, qs, qe = hit
            src = sources[n - 1]
            exact = src.article_text[qs:qe]
            pieces.append(f"“{exact}”")
            if (src.ref.article_id, qs, qe) not in seen:
                seen.add((src.ref.article_id, qs, qe))
                out.quotes.append(
                    Quote(
                        text=exact,
                        ref=src.ref,
                        start=qs,
                        end=qe,
                        speaker=src.speaker_at(qs),
                        citation=n,
                        also_in=src.passage.duplicates,
                    )
                )
            if i not in follows:  # a verified quote always carries its source number
                pieces.append(f" [{n}]")
                out.cited.append(n)
                out.citations_fixed += 1
            continue
        given = _numbers(cites[i].group(1))
        keep = list(dict.fromkeys(n for n in given if 1 <= n <= n_src))
        dropped = sum(1 for n in given if not 1 <= n <= n_src)
        added = 0
        for qi, ci in follows.items():
            hit = placed[qi]
            if ci == i and hit is not None and hit[0] not in keep:
                keep.append(hit[0])
                added += 1
        out.citations_fixed += max(dropped, added)  # [9] -> [1] is one fix
        out.cited.extend(keep)
        if keep:
            pieces.append("".join(f"[{n}]" for n in keep))
        elif pieces and pieces[-1].endswith((" ", "\t")):
            pieces[-1] = pieces[-1].rstrip(" \t")
    pieces.append(reply[pos:])
    out.text = "".join(pieces).strip()
    return out


# ------------------------------------------------------------------ the chat model
class _Transient(LLMError):
    """The endpoint is down, overloaded, erroring or silent: worth a retry, then a fallback."""


def _endpoint(settings: Settings) -> str:
    return settings.llm_base_url or DEFAULT_URLS[settings.llm_provider]


def chat_model(settings: Settings) -> Any:
    """The LangChain chat model the settings describe (built once per distinct settings)."""
    if settings.llm_provider not in EXTRAS:
        raise ValueError(
            f"llm_provider must be one of {sorted(EXTRAS)}, not {settings.llm_provider!r}"
        )
    key = settings.llm_api_key if settings.llm_provider == "ollama" else settings.api_key()
    if settings.llm_provider == "openai" and not key and not settings.llm_base_url:
        raise LLMError(
            "no API key for OpenAI: set ASSISTANT_LLM_API_KEY (or OPENAI_API_KEY), or point "
            "ASSISTANT_LLM_BASE_URL at a local OpenAI-compatible server"
        )
    return _cached_model(
        settings.llm_provider,
        settings.llm_model,
        settings.llm_base_url,
        key,
        settings.llm_timeout,
        settings.llm_temperature,
    )


@functools.lru_cache(maxsize=8)
def _cached_model(
    provider: str, model: str, base_url: str | None, key: str | None, timeout: float, temp: float
) -> Any:
    try:
        if provider == "openai":
            from langchain_openai import ChatOpenAI

            return ChatOpenAI(
                model=model,
                base_url=base_url,
                api_key=SecretStr(key or "not-needed"),  # local servers ignore the key
                timeout=timeout,
                max_retries=0,  # retries with backoff are ours, the same for every provider
                temperature=temp,
                stream_usage=True,
            )
        from langchain_ollama import ChatOllama

        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return ChatOllama(
            model=model,
            base_url=base_url,
            temperature=temp,
            client_kwargs={"timeout": timeout, "headers": headers},
        )
    except ImportError as e:
        raise LLMError(
            f"the '{provider}' LLM provider needs {EXTRAS[provider]}: "
            f"pip install 'briefing-assistant[{provider}]'"
        ) from e


def _server_said(exc: BaseException) -> str:
    body = getattr(exc, "body", None)
    msg = body.get("message") if isinstance(body, dict) else None
    msg = msg or getattr(exc, "error", None) or getattr(exc, "message", None) or str(exc)
    msg = " ".join(str(msg).split())
    return f" (the server said: {msg[:200]})" if msg else ""


def translate(exc: BaseException, settings: Settings) -> LLMError:
    """An exception from a chat model call as an LLMError that says what to do."""
    if isinstance(exc, LLMError):
        return exc
    where = _endpoint(settings)
    status = getattr(exc, "status_code", None)
    if status is None:
        status = getattr(getattr(exc, "response", None), "status_code", None)
    names = " ".join(c.__name__ for c in type(exc).__mro__)
    if status in (401, 403):
        env = "ASSISTANT_LLM_API_KEY" + (
            " (or OPENAI_API_KEY)" if settings.llm_provider == "openai" else ""
        )
        return LLMError(
            f"the LLM endpoint {where} rejected the API key ({status}){_server_said(exc)}: set "
            f"{env} to a valid key"
        )
    if status == 404:
        hint = (
            f"`ollama pull {settings.llm_model}`"
            if settings.llm_provider == "ollama"
            else "check ASSISTANT_LLM_MODEL, and that ASSISTANT_LLM_BASE_URL ends in /v1"
        )
        return LLMError(
            f"the model '{settings.llm_model}' was not found at {where} (404)"
            f"{_server_said(exc)}: {hint}"
        )
    if isinstance(status, int) and (status == 429 or status >= 500):
        return _Transient(f"the LLM endpoint {where} failed with HTTP {status}{_server_said(exc)}")
    if isinstance(status, int) and 400 <= status < 500:
        return LLMError(
            f"the LLM endpoint {where} refused the request ({status}){_server_said(exc)}"
        )
    if "Timeout" in names:
        return _Transient(
            f"the LLM endpoint {where} did not answer within {settings.llm_timeout:g} s "
            "(ASSISTANT_LLM_TIMEOUT)"
        )
    if "Connect" in names or isinstance(exc, ConnectionError):
        return _Transient(f"cannot reach the LLM endpoint {where}: is the server running?")
    return _Transient(f"the LLM call to {where} failed: {type(exc).__name__}: {exc}"[:400])


def _content(msg: Any) -> str:
    content = getattr(msg, "content", "")
    if isinstance(content, str):
        return content
    return "".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content)


def _add_usage(total: dict[str, int], msg: Any) -> None:
    for k, v in (getattr(msg, "usage_metadata", None) or {}).items():
        if k in ("input_tokens", "output_tokens", "total_tokens") and isinstance(v, int):
            total[k] = total.get(k, 0) + v


def complete(
    settings: Settings, messages: list[BaseMessage], stream: bool, usage: dict[str, int]
) -> Iterator[str]:
    """Yield the reply's text (token by token when ``stream``), retrying with backoff.

    A failed attempt is retried (``settings.llm_max_retries`` times, the delay doubling) when
    the endpoint is down, overloaded, erroring or silent, but never after a token was yielded.
    Token counts and the number of requests are added to ``usage``.

    Raises:
        LLMError: Not retryable (bad key, missing model) or still failing after the retries.
    """
    model = chat_model(settings)
    for attempt in range(settings.llm_max_retries + 1):
        usage["requests"] = usage.get("requests", 0) + 1
        emitted = False
        try:
            if not stream:
                msg = model.invoke(messages)
                _add_usage(usage, msg)
                yield _content(msg)
                return
            for chunk in model.stream(messages):
                _add_usage(usage, chunk)
                token = _content(chunk)
                if token:
                    emitted = True
                    yield token
            return
        except Exception as exc:
            err = translate(exc, settings)
            if not isinstance(err, _Transient) or emitted or attempt == settings.llm_max_retries:
                raise err from exc
            time.sleep(min(MAX_BACKOFF_SECONDS, BACKOFF_SECONDS * 2**attempt))


# ------------------------------------------------------------------ answering
def _fallback(extractive: Answer, why: str, **fields: Any) -> Answer:
    notice = f"{why}; showing the answer chosen without the LLM."
    return replace(extractive, fallback=True, notice=notice, **fields)


def stream_llm_answer(
    assistant: Any,
    question: str,
    standalone: str,
    passages: Sequence[Passage],
    filters: Filters,
    extractive_answer: Answer,
    history: Sequence[Turn] = (),
    stream: bool = True,
) -> Iterator[str | Answer]:
    """Yield the model's tokens as they arrive (unverified drafts), then the final Answer.

    The last item is always an :class:`Answer`: the verified LLM answer (``mode="llm"``), or
    the extractive answer with ``fallback=True`` and a ``notice`` saying why. ``history`` is
    not sent again: the standalone question already carries what the follow-up refers to.

    Raises:
        LLMError: The endpoint rejected the key, lacks the model, or refused the request.
    """
    sources = build_sources(assistant, passages)
    if not sources:
        yield _fallback(extractive_answer, "no passage matched, so the LLM was not asked")
        return
    usage: dict[str, int] = {}
    parts: list[str] = []
    messages = answer_messages(question, standalone, sources)
    try:
        for token in complete(assistant.settings, messages, stream, usage):
            parts.append(token)
            if stream:
                yield token
    except _Transient as e:
        yield _fallback(extractive_answer, f"the LLM answer failed: {e}", usage=usage)
        return
    checked = check_reply("".join(parts), sources)
    if not checked.cited:
        yield _fallback(
            extractive_answer,
            "the LLM answer cited no source",
            usage=usage,
            unverified=tuple(checked.unverified),
            verification=checked.counts(),
        )
        return
    sent = [s.passage for s in sources]
    yield Answer(
        question=question,
        quotes=tuple(checked.quotes),
        passages=(*sent, *(p for p in passages if p not in sent)),
        abstained=False,
        confidence=extractive_answer.confidence,
        standalone_question=standalone,
        filters=filters,
        mode="llm",
        text=checked.text,
        unverified=tuple(checked.unverified),
        fallback=False,
        usage=usage,
        verification=checked.counts(),
    )


def llm_answer(
    assistant: Any,
    question: str,
    standalone: str,
    passages: Sequence[Passage],
    filters: Filters,
    extractive_answer: Answer,
    history: Sequence[Turn] = (),
    on_token: TokenFn | None = None,
) -> Answer:
    """The verified LLM answer (or the extractive fallback); streams tokens to ``on_token``.

    Args:
        assistant: The :class:`~assistant.service.Assistant` (settings, texts, speakers).
        question: The user's words.
        standalone: The question with follow-up references resolved.
        passages: Retrieved passages, most relevant first; the top ones become the sources.
        filters: The filters retrieval applied (reported in the answer).
        extractive_answer: The answer to fall back to.
        history: Earlier turns of the conversation.
        on_token: Called with each token as it arrives; when None the call does not stream.
    """
    final: Answer | None = None
    for item in stream_llm_answer(
        assistant,
        question,
        standalone,
        passages,
        filters,
        extractive_answer,
        history,
        stream=on_token is not None,
    ):
        if isinstance(item, Answer):
            final = item
        elif on_token is not None:
            on_token(item)
    if final is None:  # stream_llm_answer always ends with an Answer or raises
        raise LLMError("the LLM answer ended without a result")
    return final


def llm_condense(assistant: Any, question: str, history: Sequence[Turn]) -> str:
    """A follow-up rewritten as a standalone question by the LLM (``prompts/condense.md``).

    Falls back to the rule-based :func:`assistant.conversation.condense` when the endpoint is
    down or the reply is unusable.
    """
    turns = []
    for i, t in enumerate(list(history)[-3:], 1):
        answer = " ".join(t.answer.split())[:600]
        turns.append(
            f'<turn n="{i}">\n<question>{_defang(t.question)}</question>\n'
            f"<answer>{_defang(answer)}</answer>\n</turn>"
        )
    system, user = prompt("condense", history="\n".join(turns), question=question)
    try:
        reply = "".join(
            complete(assistant.settings, [SystemMessage(system), HumanMessage(user)], False, {})
        )
    except _Transient:
        return condense(question, list(history))
    lines = [ln.strip() for ln in reply.strip().splitlines() if ln.strip()]
    out = lines[0] if lines else ""
    out = re.sub(r"^(?:standalone question\s*:\s*)", "", out, flags=re.I).strip().strip("\"“”'")
    if not out or len(out) > assistant.settings.max_question_chars:
        return condense(question, list(history))
    return out
