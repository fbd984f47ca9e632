"""The LangChain adapter: the only module that imports LangChain chat models.

``langchain-openai`` serves any OpenAI-compatible endpoint, ``langchain-ollama`` Ollama; both
are optional extras, imported on first use. :class:`LangChainChat` implements the
:class:`~assistant.answer.base.ChatModel` protocol: retries with backoff when the endpoint is
down, overloaded, erroring or silent, and translates every failure into an :class:`LLMError`
that says what to do.

Both clients talk HTTP through :class:`DeadlineTransport`: ``llm_timeout`` bounds each wait
for the next piece of a reply (httpx's read timeout), ``llm_total_timeout`` the whole reply,
so a server that trickles a byte or a token at a time is cut off too. A stream that ends
without the protocol's "finished" marker is a failure, not a short answer.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import SecretStr, ValidationError

from assistant.errors import LLMError, LLMUnavailable
from assistant.settings import Settings

BACKOFF_SECONDS = 0.5  # first retry delay; doubles each retry
MAX_BACKOFF_SECONDS = 8.0
DEFAULT_URLS = {"openai": "https://api.openai.com/v1", "ollama": "http://localhost:11434"}
EXTRAS = {"openai": "langchain-openai", "ollama": "langchain-ollama"}


class ReplyTooSlow(httpx.ReadTimeout):
    """The reply was still arriving when the overall deadline passed."""


class _DeadlineStream(httpx.SyncByteStream):
    def __init__(self, inner: httpx.SyncByteStream, end: float, request: httpx.Request) -> None:
        self._inner, self._end, self._request = inner, end, request

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._inner:  # each read waits at most the read timeout (llm_timeout)
            if time.monotonic() > self._end:
                raise ReplyTooSlow("the reply did not finish in time", request=self._request)
            yield chunk

    def close(self) -> None:
        self._inner.close()


class DeadlineTransport(httpx.BaseTransport):
    """An httpx transport that gives every request ``seconds`` in all (0: no limit)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send the request; its response body stops with :class:`ReplyTooSlow` at the end."""
        response = self._inner.handle_request(request)
        if not self.seconds:
            return response
        end = time.monotonic() + self.seconds
        assert isinstance(response.stream, httpx.SyncByteStream)
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=_DeadlineStream(response.stream, end, request),
            extensions=response.extensions,
        )

    def close(self) -> None:
        """Close the pooled connections."""
        self._inner.close()


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
        settings.llm_total_timeout,
    )


@functools.lru_cache(maxsize=8)
def _cached_model(
    provider: str,
    model: str,
    base_url: str | None,
    key: str | None,
    timeout: float,
    temp: float,
    total: float,
) -> Any:
    transport = DeadlineTransport(total)
    try:
        if provider == "openai":
            from langchain_openai import ChatOpenAI

            return ChatOpenAI(
                model=model,
                base_url=base_url,
                api_key=SecretStr(key or "not-needed"),  # local servers ignore the key
                timeout=timeout,
                http_client=httpx.Client(transport=transport, timeout=timeout),
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
            sync_client_kwargs={"transport": transport},
        )
    except ImportError as e:
        raise LLMError(
            f"the '{provider}' LLM provider needs {EXTRAS[provider]}: "
            f"pip install 'briefing-assistant[{provider}]'"
        ) from e


def forget_models() -> None:
    """Drop the chat models built so far (the next call builds them again)."""
    _cached_model.cache_clear()


def _server_said(exc: BaseException) -> str:
    body = getattr(exc, "body", None)
    msg = body.get("message") if isinstance(body, dict) else None
    msg = msg or getattr(exc, "error", None) or getattr(exc, "message", None) or str(exc)
    msg = " ".join(str(msg).split())
    return f" (the server said: {msg[:200]})" if msg else ""


class MalformedReply(ValueError):
    """The endpoint's reply does not follow the chat protocol (e.g. a stream with no end)."""


# what LangChain's and the SDKs' errors about unreadable replies say
_MALFORMED_HINTS = (
    "No generation chunks",
    "Unexpected response type",
    "null value for 'choices'",
    "choices",
)


_BAD_REPLY = (json.JSONDecodeError, ValidationError, MalformedReply)


def _chain(exc: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    e: BaseException | None = exc
    while e is not None and e not in out and len(out) < 10:
        out.append(e)
        e = e.__cause__ or e.__context__
    return out


def _said(chain: list[BaseException], kinds: Any = ()) -> str:
    """The most telling error of a chain: the first of ``kinds``, else the outermost."""
    e = next((x for x in chain if kinds and isinstance(x, kinds)), chain[0])
    return " ".join(f"{type(e).__name__}: {e}".split())[:200]


def translate(exc: BaseException, settings: Settings) -> LLMError:
    """An exception from a chat model call as an LLMError that says what to do."""
    if isinstance(exc, LLMError):
        return exc
    where = _endpoint(settings)
    chain = _chain(exc)
    if any(isinstance(e, ReplyTooSlow) for e in chain):
        return LLMUnavailable(
            f"the LLM endpoint {where} was still sending its reply after "
            f"{settings.llm_total_timeout:g} s (ASSISTANT_LLM_TOTAL_TIMEOUT)"
        )
    if any(isinstance(e, httpx.RemoteProtocolError) for e in chain):
        return LLMUnavailable(
            f"the LLM endpoint {where} broke off its reply "
            f"({_said(chain, httpx.RemoteProtocolError)}); is it overloaded "
            "or restarting?"
        )
    if any(
        isinstance(e, json.JSONDecodeError | ValidationError | MalformedReply) for e in chain
    ) or (
        isinstance(exc, ValueError | TypeError | KeyError)
        and any(s in str(exc) for s in _MALFORMED_HINTS)
    ):
        return LLMUnavailable(
            f"the LLM endpoint {where} sent a reply that is not a valid chat completion "
            f"({_said(chain, _BAD_REPLY)}): check that ASSISTANT_LLM_BASE_URL points at an "
            f"{'Ollama' if settings.llm_provider == 'ollama' else 'OpenAI-compatible'} API"
        )
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
        return LLMUnavailable(
            f"the LLM endpoint {where} failed with HTTP {status}{_server_said(exc)}"
        )
    if isinstance(status, int) and 400 <= status < 500:
        return LLMError(
            f"the LLM endpoint {where} refused the request ({status}){_server_said(exc)}"
        )
    if "Timeout" in names:
        return LLMUnavailable(
            f"the LLM endpoint {where} did not answer within {settings.llm_timeout:g} s "
            "(ASSISTANT_LLM_TIMEOUT)"
        )
    if "Connect" in names or isinstance(exc, ConnectionError):
        return LLMUnavailable(f"cannot reach the LLM endpoint {where}: is the server running?")
    return LLMUnavailable(f"the LLM call to {where} failed: {type(exc).__name__}: {exc}"[:400])


def _content(msg: Any) -> str:
    content = getattr(msg, "content", "")
    if isinstance(content, str):
        return content
    return "".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content)


def _finished(chunk: Any) -> bool:
    """Whether a streamed chunk carries the protocol's end marker (OpenAI ``finish_reason``,
    Ollama ``done``)."""
    meta = getattr(chunk, "response_metadata", None) or {}
    return bool(meta.get("finish_reason") or meta.get("done") or meta.get("done_reason"))


def _add_usage(total: dict[str, int], msg: Any) -> None:
    for k, v in (getattr(msg, "usage_metadata", None) or {}).items():
        if k in ("input_tokens", "output_tokens", "total_tokens") and isinstance(v, int):
            total[k] = total.get(k, 0) + v


@dataclass(frozen=True)
class LangChainChat:
    """The chat model the settings describe, as a :class:`~assistant.answer.base.ChatModel`.

    Building it is cheap: the LangChain client is made (and its extra imported) on first use.
    """

    settings: Settings

    def complete(
        self, system: str, user: str, stream: bool, usage: dict[str, int]
    ) -> Iterator[str]:
        """Yield the reply's text (token by token when ``stream``), retrying with backoff.

        A failed attempt is retried (``settings.llm_max_retries`` times, the delay doubling)
        when the endpoint is down, overloaded, erroring or silent, but never after a token was
        yielded. Token counts and the number of requests are added to ``usage``.

        Raises:
            LLMUnavailable: Still down, erroring or silent after the retries.
            LLMError: Not retryable (bad key, missing model, refused request).
        """
        from langchain_core.messages import HumanMessage, SystemMessage

        settings = self.settings
        model = chat_model(settings)
        messages = [SystemMessage(system), HumanMessage(user)]
        for attempt in range(settings.llm_max_retries + 1):
            usage["requests"] = usage.get("requests", 0) + 1
            emitted = False
            try:
                if not stream:
                    msg = model.invoke(messages)
                    _add_usage(usage, msg)
                    yield _content(msg)
                    return
                finished = False
                for chunk in model.stream(messages):
                    _add_usage(usage, chunk)
                    finished = finished or _finished(chunk)
                    token = _content(chunk)
                    if token:
                        emitted = True
                        yield token
                if not finished:
                    raise MalformedReply("the stream ended without its end-of-reply marker")
                return
            except Exception as exc:
                err = translate(exc, settings)
                last = attempt == settings.llm_max_retries
                slow = any(isinstance(e, ReplyTooSlow) for e in _chain(exc))
                if not isinstance(err, LLMUnavailable) or emitted or last or slow:
                    raise err from exc
                time.sleep(min(MAX_BACKOFF_SECONDS, BACKOFF_SECONDS * 2**attempt))
