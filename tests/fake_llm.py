"""A local server speaking the OpenAI chat-completions and Ollama /api/chat wire protocols.

The real LangChain clients (``ChatOpenAI``, ``ChatOllama``) talk HTTP to it on 127.0.0.1; it
returns scripted replies and records every request, so tests assert both what the user sees
and what crossed the wire. The fixtures ``llm_server`` and ``fake`` live in ``conftest.py``.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

QUESTION = "What does Russia require before talks?"
KEY = "test-key"
MODELS = {"fake-gpt", "llama3.2"}
SOURCE_RE = re.compile(r'<source id="(\d+)"[^>]*>\n(.*?)\n</source>', re.DOTALL)


# ------------------------------------------------------------------ the fake server
@dataclass
class Reply:
    """A scripted completion (streamed when the request asks for it)."""

    text: str
    prompt_tokens: int = 321
    completion_tokens: int = 45
    # when set, the stream stops after its first token until the test sets this event
    hold: threading.Event | None = None


@dataclass
class Status:
    """A scripted HTTP error with an OpenAI-style error body."""

    code: int
    message: str = "scripted failure"


@dataclass
class Hang:
    """Accept the request and say nothing for a while."""

    seconds: float = 5.0


@dataclass
class Raw:
    """Bytes that are not what the protocol promises (non-JSON, the wrong schema, a stream cut
    short): sent as they are with ``status`` and ``content_type``. ``length`` declares a
    Content-Length (longer than the bytes: the connection is closed early, a truncated body)."""

    data: bytes
    status: int = 200
    content_type: str = "application/json"
    length: int | None = None


@dataclass
class Drip:
    """A reply that never ends: a streamed token (or a byte of a JSON body) every ``every``
    seconds until the client hangs up or ``seconds`` pass; ``sent`` counts what went out."""

    every: float = 0.05
    seconds: float = 30.0
    sent: int = 0
    hung_up: threading.Event = field(default_factory=threading.Event)


Action = Reply | Status | Hang | Raw | Drip


@dataclass
class FakeLLM:
    """Scripted replies for /v1/chat/completions and /api/chat; every request recorded."""

    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    queue: list[Action] = field(default_factory=list)
    script: Callable[[dict[str, Any]], Action] | None = None
    wake: threading.Event = field(default_factory=threading.Event)
    errors: list[str] = field(default_factory=list)

    def reset(self) -> None:
        self.wake.set()
        self.requests.clear()
        self.errors.clear()
        self.queue.clear()
        self.script = None
        self.wake = threading.Event()

    def next_action(self, body: dict[str, Any]) -> Action:
        if self.queue:
            return self.queue.pop(0)
        if self.script is not None:
            return self.script(body)
        return Reply("The sources don't answer this.")

    def answers(self) -> list[dict[str, Any]]:
        """The recorded requests that asked for an answer (not a condensed question)."""
        return [r for r in self.requests if "<sources>" in user_message(r["body"])]


def _tokens(text: str) -> list[str]:
    return re.findall(r"\S+\s*|\s+", text)


def _handler(fake: FakeLLM) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, code: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            headers = {k.lower(): v for k, v in self.headers.items()}
            fake.requests.append({"path": self.path, "headers": headers, "body": body})
            ollama = self.path == "/api/chat"
            if not ollama and headers.get("authorization") != f"Bearer {KEY}":
                return self._send(401, {"error": {"message": "Incorrect API key provided"}})
            if body.get("model") not in MODELS:
                msg = f"model '{body.get('model')}' not found"
                return self._send(404, {"error": {"message": msg} if not ollama else msg})
            try:
                action = fake.next_action(body)
            except Exception as e:  # a broken script: fail the test, not the client
                fake.errors.append(repr(e))
                return self._send(500, {"error": {"message": f"test script failed: {e!r}"}})
            if isinstance(action, Hang):
                fake.wake.wait(action.seconds)
                return
            if isinstance(action, Status):
                return self._send(action.code, {"error": {"message": action.message}})
            if isinstance(action, Raw):
                return self._raw(action)
            if isinstance(action, Drip):
                return self._drip(body, action, ollama)
            try:
                if ollama:
                    self._ollama(body, action)
                elif body.get("stream"):
                    self._openai_stream(body, action)
                else:
                    self._send(200, _completion(body, action))
            except (BrokenPipeError, ConnectionResetError):
                pass

        def _raw(self, r: Raw) -> None:
            self.send_response(r.status)
            self.send_header("Content-Type", r.content_type)
            self.send_header("Content-Length", str(r.length or len(r.data)))
            self.end_headers()
            self.wfile.write(r.data)
            self.wfile.flush()
            self.close_connection = True

        def _drip(self, body: dict[str, Any], d: Drip, ollama: bool) -> None:
            self.send_response(200)
            streamed = bool(body.get("stream", ollama))
            kind = "application/x-ndjson" if ollama else "text/event-stream"
            self.send_header("Content-Type", kind if streamed else "application/json")
            if not streamed:
                self.send_header("Content-Length", "100000")
            self.end_headers()
            chunk = {"id": "c", "object": "chat.completion.chunk", "created": 1}
            chunk["choices"] = [{"index": 0, "delta": {"content": "word "}}]
            piece = (
                (json.dumps({"message": {"role": "assistant", "content": "word "}}) + "\n")
                if ollama
                else f"data: {json.dumps(chunk)}\n\n"
            ).encode()
            deadline = time.monotonic() + d.seconds
            try:
                while time.monotonic() < deadline and not fake.wake.is_set():
                    self.wfile.write(piece if streamed else b" ")
                    self.wfile.flush()
                    d.sent += 1
                    time.sleep(d.every)
            except OSError:  # the client hung up
                d.hung_up.set()

        def _openai_stream(self, body: dict[str, Any], r: Reply) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            base = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1}
            base["model"] = body["model"]
            chunks = [
                {**base, "choices": [{"index": 0, "delta": {"content": t}, "finish_reason": None}]}
                for t in _tokens(r.text)
            ]
            chunks.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
            if (body.get("stream_options") or {}).get("include_usage"):
                chunks.append({**base, "choices": [], "usage": _usage(r)})
            for i, c in enumerate(chunks):
                self.wfile.write(f"data: {json.dumps(c)}\n\n".encode())
                self.wfile.flush()
                if i == 0 and r.hold is not None and not r.hold.wait(20):
                    fake.errors.append("the client never read the first token before the rest")
            self.wfile.write(b"data: [DONE]\n\n")

        def _ollama(self, body: dict[str, Any], r: Reply) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/x-ndjson")
            self.end_headers()
            base = {"model": body["model"], "created_at": "2024-06-16T10:00:00Z"}
            for t in _tokens(r.text):
                msg = {"role": "assistant", "content": t}
                self.wfile.write(
                    (json.dumps({**base, "message": msg, "done": False}) + "\n").encode()
                )
            last = {
                **base,
                "message": {"role": "assistant", "content": ""},
                "done": True,
                "done_reason": "stop",
                "prompt_eval_count": r.prompt_tokens,
                "eval_count": r.completion_tokens,
            }
            self.wfile.write((json.dumps(last) + "\n").encode())

    return Handler


def _usage(r: Reply) -> dict[str, int]:
    total = r.prompt_tokens + r.completion_tokens
    return {
        "prompt_tokens": r.prompt_tokens,
        "completion_tokens": r.completion_tokens,
        "total_tokens": total,
    }


def _completion(body: dict[str, Any], r: Reply) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": body["model"],
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": r.text},
                "finish_reason": "stop",
            }
        ],
        "usage": _usage(r),
    }


@contextmanager
def running_fake_llm() -> Iterator[FakeLLM]:
    """Serve a :class:`FakeLLM` on 127.0.0.1 for the duration of the block."""
    fake = FakeLLM()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    httpd.daemon_threads = True
    httpd.block_on_close = False
    fake.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        fake.wake.set()
        httpd.shutdown()
        httpd.server_close()


def with_llm(a: Any, fake: FakeLLM, **kw: Any) -> Any:
    """An assistant over the same store and model with its LLM settings pointed at ``fake``."""
    opts = {
        "llm_provider": "openai",
        "llm_model": "fake-gpt",
        "llm_base_url": f"{fake.url}/v1",
        "llm_api_key": KEY,
        "llm_timeout": 5.0,
        "llm_max_retries": 2,
        **kw,
    }
    from assistant.service import Assistant

    return Assistant(a.settings.model_copy(update=opts), embedder=a.embedder, store=a.store)


# ------------------------------------------------------------------ a scripted "model"
def user_message(body: dict[str, Any]) -> str:
    return next(m["content"] for m in body["messages"] if m["role"] == "user")


def system_message(body: dict[str, Any]) -> str:
    return next(m["content"] for m in body["messages"] if m["role"] == "system")


def sources_on_wire(body: dict[str, Any]) -> dict[int, str]:
    return {int(n): text for n, text in SOURCE_RE.findall(user_message(body))}


def cite(body: dict[str, Any], words: str) -> int:
    """The number of the source (as sent on the wire) that contains ``words``."""
    hits = [n for n, text in sources_on_wire(body).items() if words in " ".join(text.split())]
    assert hits, f"no source on the wire contains {words!r}"
    return hits[0]


RUSSIA = (
    "conditions that ensure a credible path to peace, including guarantees and verification "
    "measures that would satisfy Moscow’s strategic concerns"
)
KIRBY = (
    "would need to demonstrate a genuine commitment to engaging in serious discussions about "
    "ending the conflict"
)


def good_reply(body: dict[str, Any]) -> Reply:
    """What a faithful model says: straight quotes, the right [n] after each."""
    r, k = cite(body, RUSSIA), cite(body, KIRBY)
    return Reply(
        "Russian officials frame negotiations as achievable only under "
        f'"{RUSSIA.replace("’", chr(39))}" [{r}]. John Kirby said Putin '
        f'"{KIRBY}" [{k}].'
    )
