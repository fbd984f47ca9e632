"""A local server that speaks Slack's Web API (and a Socket Mode WebSocket), for the tests.

Every Web API call is recorded as it crossed the wire (method, arguments, token), so tests
assert exactly what the bot sent. Replies follow Slack's shapes: ``{"ok": true, ...}`` with
``ts`` values, ``invalid_auth`` for a wrong token, ``unknown_method`` for streaming methods when
streaming is switched off. ``POST /response/<id>`` plays a slash command's ``response_url``.
"""

from __future__ import annotations

import hmac
import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from hashlib import sha256
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import httpx

from assistant.slack import SlackApp, SlackEnv
from tests.conftest import free_port

BOT_TOKEN = "xoxb-1111-2222-TESTBOTTOKEN0000000"
APP_TOKEN = "xapp-1-A111-2222-TESTAPPTOKEN000000"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_USER = "UBOT0001"
BOT_ID = "BBOT0001"
TEAM = "T0000001"


@dataclass
class Call:
    """One Web API request as received."""

    method: str
    args: dict[str, Any]
    token: str
    at: float
    reply: dict[str, Any] = field(default_factory=dict)


@dataclass
class FakeSlack:
    """Scripted Web API; ``calls`` is everything that reached it, in order."""

    url: str = ""
    calls: list[Call] = field(default_factory=list)
    replies: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    streaming: bool = True
    ws_url: str = ""
    fail: dict[str, str] = field(default_factory=dict)  # method -> Slack error to return
    _ts: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _cond: threading.Condition = field(default_factory=threading.Condition)

    @property
    def api_url(self) -> str:
        return self.url + "/api/"

    def reset(self) -> None:
        with self._cond:
            self.calls.clear()
        self.replies.clear()
        self.fail.clear()
        self.streaming = True

    def next_ts(self) -> str:
        return f"1700000{next(self._ts):03d}.000100"

    def record(self, call: Call) -> None:
        with self._cond:
            self.calls.append(call)
            self._cond.notify_all()

    def of(self, *methods: str) -> list[Call]:
        with self._cond:
            return [c for c in self.calls if c.method in methods]

    def wait(self, pred: Callable[[list[Call]], bool], timeout: float = 60.0) -> list[Call]:
        """Block until ``pred(calls)`` holds (returns the calls) or fail after ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not pred(self.calls):
                left = deadline - time.monotonic()
                if left <= 0:
                    names = [c.method for c in self.calls]
                    raise AssertionError(f"timed out waiting; calls so far: {names}")
                self._cond.wait(left)
            return list(self.calls)

    def answer(self, method: str, args: dict[str, Any], token: str) -> dict[str, Any]:
        if method == "apps.connections.open":
            if token != APP_TOKEN:
                return {"ok": False, "error": "invalid_auth"}
            return {"ok": True, "url": self.ws_url}
        if token != BOT_TOKEN:
            return {"ok": False, "error": "invalid_auth"}
        if method in self.fail:
            return {"ok": False, "error": self.fail[method]}
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://fake.slack.test/",
                "team": "Fake",
                "user": "briefbot",
                "team_id": TEAM,
                "user_id": BOT_USER,
                "bot_id": BOT_ID,
            }
        if method in ("chat.postMessage", "chat.startStream"):
            if method == "chat.startStream" and not self.streaming:
                return {"ok": False, "error": "unknown_method"}
            return {"ok": True, "channel": args.get("channel"), "ts": self.next_ts()}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self.next_ts()}
        if method in ("chat.update", "chat.appendStream", "chat.stopStream"):
            return {"ok": True, "channel": args.get("channel"), "ts": args.get("ts")}
        if method == "conversations.replies":
            key = (str(args.get("channel")), str(args.get("ts")))
            return {"ok": True, "messages": self.replies.get(key, []), "has_more": False}
        if method.startswith("assistant.threads."):
            return {"ok": True}
        return {"ok": False, "error": "unknown_method"}


def _handler(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            ctype = self.headers.get("Content-Type", "")
            if self.path.startswith("/response/"):
                fake.record(
                    Call("response_url", {"path": self.path, **json.loads(raw)}, "", time.time())
                )
                return self._send(200, b"ok", "text/plain")
            method = self.path.removeprefix("/api/").split("?")[0]
            if "json" in ctype:
                args: dict[str, Any] = json.loads(raw or "{}")
            else:
                args = {k: v[0] for k, v in parse_qs(raw).items()}
            for k in ("blocks", "prompts", "chunks"):
                if isinstance(args.get(k), str):
                    args[k] = json.loads(args[k])
            token = self.headers.get("Authorization", "").removeprefix("Bearer ")
            reply = fake.answer(method, args, token)
            fake.record(Call(method, args, token, time.time(), reply))
            body = json.dumps(reply).encode()
            self._send(200, body, "application/json; charset=utf-8")

        def _send(self, code: int, body: bytes, ctype: str) -> None:
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


def start_fake(port: int) -> tuple[FakeSlack, ThreadingHTTPServer]:
    """Serve a FakeSlack on 127.0.0.1:port in a daemon thread."""
    fake = FakeSlack(url=f"http://127.0.0.1:{port}")
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler(fake))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return fake, server


def sign(body: str, timestamp: int | None = None, secret: str = SIGNING_SECRET) -> dict[str, str]:
    """Headers Slack sends with a request: timestamp and v0 HMAC-SHA256 signature."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    mac = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={mac}"}


def event_body(event: dict[str, Any], event_id: str) -> dict[str, Any]:
    """An Events API ``event_callback`` envelope."""
    return {
        "token": "legacy-verification-token",
        "team_id": TEAM,
        "api_app_id": "A0000001",
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(time.time()),
        "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}],
    }


def mention(
    text: str,
    ts: str,
    channel: str = "C0000001",
    user: str = "U0000001",
    thread_ts: str | None = None,
) -> dict[str, Any]:
    """An ``app_mention`` event."""
    ev = {
        "type": "app_mention",
        "user": user,
        "text": f"<@{BOT_USER}> {text}",
        "ts": ts,
        "channel": channel,
        "event_ts": ts,
    }
    if thread_ts:
        ev["thread_ts"] = thread_ts
    return ev


def message(
    text: str,
    ts: str,
    channel: str = "C0000001",
    user: str = "U0000001",
    channel_type: str = "channel",
    **extra: Any,
) -> dict[str, Any]:
    """A ``message`` event."""
    return {
        "type": "message",
        "user": user,
        "text": text,
        "ts": ts,
        "channel": channel,
        "event_ts": ts,
        "channel_type": channel_type,
        **extra,
    }


# --------------------------------------------------------------------------- the app under test
QUESTION = "What does Russia require before talks?"
_ids = itertools.count(1)


def next_ts() -> str:
    return f"1690000{next(_ids):03d}.000200"


def post_signed(
    url: str,
    body: str,
    content_type: str = "application/json",
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """POST a body as Slack would (signed now, unless ``headers`` replace the signature)."""
    h = {"Content-Type": content_type, **(sign(body) if headers is None else headers)}
    return httpx.post(url, content=body, headers=h, timeout=10)


def post_event(
    url: str, event: dict[str, Any], event_id: str | None = None, **kw: Any
) -> httpx.Response:
    """POST an event in its ``event_callback`` envelope (a fresh event_id unless given)."""
    body = json.dumps(event_body(event, event_id or f"Ev{next(_ids):06d}"))
    return post_signed(url, body, **kw)


@dataclass
class Running:
    """The Slack app serving HTTP on 127.0.0.1."""

    app: SlackApp
    server: Any
    thread: threading.Thread
    url: str

    def post(
        self,
        body: str,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        return post_signed(self.url, body, content_type, headers)

    def event(
        self, event: dict[str, Any], event_id: str | None = None, **kw: Any
    ) -> httpx.Response:
        return post_event(self.url, event, event_id, **kw)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.app.close()


def start(assistant: Any, fake: FakeSlack, settings: Any) -> Running:
    env = SlackEnv(BOT_TOKEN, SIGNING_SECRET, APP_TOKEN, fake.api_url)
    app = SlackApp(assistant, settings, env)
    port = free_port()
    server = app.http_server("127.0.0.1", port)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    pause = threading.Event()
    for _ in range(200):
        if server.started:
            break
        pause.wait(0.05)
    assert server.started, "the Slack app's HTTP server did not start"
    return Running(app, server, thread, f"http://127.0.0.1:{port}/slack/events")


def posted(fake: FakeSlack, thread_ts: str | None = None, channel: str | None = None) -> list[Call]:
    return [
        c
        for c in fake.of("chat.postMessage")
        if (thread_ts is None or c.args.get("thread_ts") == thread_ts)
        and (channel is None or c.args.get("channel") == channel)
    ]


def wait_posted(fake: FakeSlack, n: int = 1, **kw: Any) -> list[Call]:
    fake.wait(lambda _calls: len(posted(fake, **kw)) >= n)
    return posted(fake, **kw)


def sentinel(bot: Running, fake: FakeSlack) -> None:
    """A fresh mention, answered: everything sent before it has been acted on (or dropped)."""
    ts = next_ts()
    assert bot.event(mention(QUESTION, ts, channel="CSENTINEL")).status_code == 200
    wait_posted(fake, thread_ts=ts)
    assert bot.app.bot.wait_idle(60)


def answer_id(call: Call) -> str:
    actions = call.args["blocks"][-1]
    assert actions["type"] == "actions"
    return str(actions["elements"][-1]["value"])
