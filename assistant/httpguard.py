"""HTTP hardening for the API and the chat: body-size limits, per-client rate limits, a
self-hosted API reference page (no CDN: the app works offline) and input checks for text.

Pure ASGI middleware, so a refused request is answered before its body is parsed.
"""

from __future__ import annotations

import html
import json
import re
import threading
import time
from collections import OrderedDict
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

Limits = tuple[tuple[str, int], ...]


def has_surrogates(text: str) -> bool:
    """Whether ``text`` holds lone UTF-16 surrogates (not valid Unicode text)."""
    return any(0xD800 <= ord(ch) <= 0xDFFF for ch in text)


def no_surrogates(text: str) -> str:
    """A pydantic validator: refuse strings that cannot be UTF-8 (lone surrogates)."""
    if has_surrogates(text):
        raise ValueError("contains a lone UTF-16 surrogate (e.g. \\ud800); send valid Unicode text")
    return text


def iso_day(value: object) -> object:
    """A pydantic validator: only ``YYYY-MM-DD`` text is a day (pydantic alone also takes
    ``0`` or ``"1700000000"`` as 1970-01-01 and later, which the schema does not allow)."""
    if isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        return value
    raise ValueError("expected a day as 'YYYY-MM-DD'")


async def send_error(send: Send, status: int, message: str, headers: dict[str, str]) -> None:
    """Answer with the API's error shape ``{"error": message}``."""
    body = json.dumps({"error": message}).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


class JsonOnly:
    """Refuse a body that says it is not JSON (a form, plain text) on the JSON endpoints with
    a 415 naming what to send, before the app reads it (FastAPI would try it as JSON and
    answer a puzzling 422 "Input should be a valid dictionary")."""

    def __init__(self, app: ASGIApp, paths: tuple[str, ...]) -> None:
        self.app = app
        self.paths = paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        post = scope["type"] == "http" and scope.get("method") == "POST"
        if post and scope.get("path") in self.paths:
            ctype = dict(scope.get("headers") or []).get(b"content-type", b"").decode("latin-1")
            media = ctype.split(";", 1)[0].strip().lower()
            if media and media != "application/json" and not media.endswith("+json"):
                await send_error(
                    send,
                    415,
                    f"send the body as JSON with Content-Type: application/json (got {media})",
                    {},
                )
                return
        await self.app(scope, receive, send)


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` when a streamed body grows past its limit (an HTTP 413, so the
    app's own error handler answers it in the API's error shape)."""

    def __init__(self, message: str) -> None:
        super().__init__(413, message, headers={"connection": "close"})


class BodyLimit:
    """Refuse request bodies over a limit (413) before the app parses them.

    ``limits`` maps path prefixes to their own limit (uploads); every other path gets
    ``default``. A declared ``Content-Length`` over the limit is refused at once; a streamed
    body is cut off as soon as it passes the limit.
    """

    def __init__(self, app: ASGIApp, default: int, limits: Limits = ()) -> None:
        self.app = app
        self.default = default
        self.limits = limits

    def limit_for(self, path: str) -> int:
        return next((n for prefix, n in self.limits if path.startswith(prefix)), self.default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope.get("path", ""))
        message = (
            f"the request body is over the {limit / 1e6:.2f} MB limit "
            "(ASSISTANT_MAX_BODY_KB; uploads: ASSISTANT_UPLOAD_MAX_MB)"
        )
        declared = dict(scope.get("headers", [])).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await send_error(send, 413, message, {"connection": "close"})
            return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            msg = await receive()
            seen += len(msg.get("body", b""))
            if seen > limit:
                raise BodyTooLarge(message)
            return msg

        async def watched(msg: Message) -> None:
            nonlocal started
            started = started or msg["type"] == "http.response.start"
            await send(msg)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            if not started:
                await send_error(send, 413, message, {"connection": "close"})


class RateLimit:
    """At most ``per_minute`` requests per client address to paths under ``prefix`` (429).

    A token bucket per address (burst = ``per_minute``), kept for the most recent 10 000
    addresses. Behind a reverse proxy every client shares the proxy's address: limit there.
    """

    def __init__(self, app: ASGIApp, per_minute: int, prefix: str = "/api/") -> None:
        self.app = app
        self.per_minute = per_minute
        self.prefix = prefix
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, client: str, now: float | None = None) -> float:
        """Spend one token for ``client``; 0 if allowed, else seconds until the next token."""
        now = time.monotonic() if now is None else now
        rate = self.per_minute / 60.0
        with self._lock:
            tokens, last = self._buckets.pop(client, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - last) * rate)
            wait = 0.0 if tokens >= 1 else (1 - tokens) / rate
            self._buckets[client] = (tokens - 1 if tokens >= 1 else tokens, now)
            while len(self._buckets) > 10_000:
                self._buckets.popitem(last=False)
        return wait

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or self.per_minute <= 0 or not path.startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("unknown", 0))[0]
        wait = self.take(str(client))
        if wait > 0:
            retry = str(max(1, int(wait + 0.999)))
            await send_error(
                send,
                429,
                f"too many requests from {client}: the limit is {self.per_minute} per minute "
                f"(ASSISTANT_RATE_LIMIT_PER_MINUTE); retry in {retry} s",
                {"retry-after": retry},
            )
            return
        await self.app(scope, receive, send)


def docs_page(schema: dict[str, Any]) -> str:
    """A self-contained API reference from the OpenAPI schema (no scripts, no CDN)."""
    esc = html.escape
    rows = []
    for path, ops in schema.get("paths", {}).items():
        for method, op in ops.items():
            rows.append(
                f"<section><h2><code>{esc(method.upper())} {esc(path)}</code></h2>"
                f"<p>{esc(op.get('summary', ''))}</p>"
                f"<pre>{esc(op.get('description', ''))}</pre></section>"
            )
    title = esc(str(schema.get("info", {}).get("title", "API")))
    version = esc(str(schema.get("info", {}).get("version", "")))
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title>"
        "<style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}"
        "pre{white-space:pre-wrap}</style></head><body>"
        f"<h1>{title} {version}</h1><p>The machine-readable schema is at "
        "<a href='/openapi.json'>/openapi.json</a>. Errors are <code>{\"error\": message}"
        "</code>.</p>" + "".join(rows) + "</body></html>"
    )
