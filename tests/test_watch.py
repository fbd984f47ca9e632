"""`assistant watch` against a local feed server (127.0.0.1) whose entries change between polls."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from assistant.errors import AssistantError
from assistant.watch import FeedState, Watcher, parse_every
from tests.conftest import make_settings

BODY = (
    "Harbor Authority chair Maria Lopez said the new ferry terminal on Pier {n} will open to "
    "passengers in May after final safety inspections, adding {n} daily crossings to the island "
    "of Corvo. " * 8
)


def entry(n: int) -> str:
    return (
        f"<item><title>Ferry news {n}</title><link>http://127.0.0.1/ferry-{n}</link>"
        f"<guid>ferry-{n}</guid><pubDate>Mon, 0{n} Apr 2024 10:00:00 GMT</pubDate>"
        f"<description>{BODY.format(n=n)}</description></item>"
    )


class Feed:
    """The feed's current entries, an ETag that changes with them, and every request seen."""

    def __init__(self) -> None:
        self.entries = [1, 2]
        self.fail: int | None = None
        self.body: bytes | None = None  # served instead of the entries when set
        self.requests: list[dict[str, str]] = []

    @property
    def etag(self) -> str:
        return '"v' + "-".join(map(str, self.entries)) + '"'

    def xml(self) -> bytes:
        items = "".join(entry(n) for n in self.entries)
        return (
            '<?xml version="1.0"?><rss version="2.0"><channel><title>Harbor Wire</title>'
            f"{items}</channel></rss>"
        ).encode()


@pytest.fixture
def feed() -> Iterator[tuple[Feed, str]]:
    state = Feed()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            state.requests.append({k.lower(): v for k, v in self.headers.items()})
            if state.fail:
                self.send_response(state.fail)
                self.send_header("Retry-After", "120")
                self.end_headers()
                return
            if self.headers.get("If-None-Match") == state.etag:
                self.send_response(304)
                self.end_headers()
                return
            body = state.body or state.xml()
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("ETag", state.etag)
            self.send_header("Last-Modified", "Mon, 01 Apr 2024 10:00:00 GMT")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}/feed.xml"
    finally:
        server.shutdown()
        thread.join(5)


def test_polls_conditionally_ingests_each_new_entry_once_and_backs_off(
    feed: tuple[Feed, str], tmp_path: Path, embedder: Any
) -> None:
    from assistant.service import Assistant

    state, url = feed
    a = Assistant(make_settings(tmp_path / "data", allow_private_urls=True), embedder=embedder)
    now = [1000.0]
    w = Watcher(a, [url], every=900, clock=lambda: now[0])

    parsed: list[str] = []
    parse = a.reader.parser.feed
    a.reader.parser.feed = lambda data, origin: parsed.append(origin) or parse(data, origin)  # type: ignore[method-assign]
    first = w.poll(url)
    assert (first.status, first.new) == ("new", 2)
    assert sorted(s.ref.title for s in a.sources()) == ["Ferry news 1", "Ferry news 2"]
    assert parsed == [url]  # parsed once: the poll's parse is the one ingested
    origins = {a.article(s.ref.article_id).origin for s in a.sources()}  # type: ignore[union-attr]
    assert origins == {f"{url}#1", f"{url}#2"}  # the feed's address, not a temporary file
    assert "if-none-match" not in state.requests[0]
    assert w.due() == [] and w.state[url].next_poll == 1900.0

    # nothing changed: a conditional GET, answered 304, nothing ingested
    now[0] = 1900.0
    same = w.poll(url)
    assert (same.status, same.message) == ("unchanged", "not modified (304)")
    assert state.requests[1]["if-none-match"] == '"v1-2"'
    assert state.requests[1]["if-modified-since"] == "Mon, 01 Apr 2024 10:00:00 GMT"

    # a new entry: only it is new; the store holds three articles, each once
    state.entries = [3, 1, 2]
    fresh = w.poll(url)
    assert (fresh.status, fresh.new) == ("new", 1)
    assert sorted(s.ref.title for s in a.sources()) == [f"Ferry news {n}" for n in (1, 2, 3)]

    # the feed fails: back off (twice the interval, or Retry-After if longer)
    state.fail = 503
    now[0] = 5000.0
    bad = w.poll(url)
    assert bad.status == "error" and bad.message == "HTTP 503; next try in 1800s"
    assert w.state[url].failures == 1 and w.state[url].next_poll == 6800.0
    bad = w.poll(url)
    assert w.state[url].failures == 2 and bad.message.endswith("next try in 3600s")

    # state survives a restart: the next watcher sends the validators it saved
    state.fail = None
    again = Watcher(a, [url], every=900, clock=lambda: 99999.0)
    assert again.state[url].seen == ["ferry-1", "ferry-2", "ferry-3"]
    assert again.poll(url).status == "unchanged"
    assert state.requests[-1]["if-none-match"] == '"v3-1-2"'
    assert again.state[url] == FeedState(
        '"v3-1-2"', "Mon, 01 Apr 2024 10:00:00 GMT", ["ferry-1", "ferry-2", "ferry-3"], 0,
        99999.0 + 900,
    )  # fmt: skip


def test_a_feed_built_to_be_slow_is_a_failed_poll_stopped_at_the_budget(
    feed: tuple[Feed, str], tmp_path: Path, embedder: Any
) -> None:
    from assistant.service import Assistant
    from tests.test_parse_budget import hostile_feed

    state, url = feed
    state.body = hostile_feed()
    settings = make_settings(tmp_path / "data", allow_private_urls=True, parse_seconds=1.0)
    a = Assistant(settings, embedder=embedder)
    w = Watcher(a, [url], every=900, clock=lambda: 1000.0)
    bad = w.poll(url)
    assert (bad.status, bad.new) == ("error", 0)
    assert bad.message == (
        f"{url}: parsing took over 1 s and was stopped (the FEED is malformed or built to be "
        "slow, e.g. deeply nested or with huge content); raise ASSISTANT_PARSE_SECONDS if it "
        "is genuine; next try in 1800s"
    )
    assert a.sources() == [] and w.state[url].seen == []
    state.body = None  # the feed mends: the next poll reads it
    assert (w.poll(url).status, len(a.sources())) == ("new", 2)


def test_run_polls_due_feeds_and_sleeps_until_the_next(
    feed: tuple[Feed, str], tmp_path: Path, embedder: Any
) -> None:
    from assistant.service import Assistant

    _, url = feed
    a = Assistant(make_settings(tmp_path / "data", allow_private_urls=True), embedder=embedder)
    now = [0.0]
    slept: list[float] = []

    def sleep(s: float) -> None:
        slept.append(s)
        now[0] += s

    seen: list[str] = []
    Watcher(a, [url], every=60, clock=lambda: now[0]).run(
        rounds=2, report=lambda r: seen.append(r.status), sleep=sleep
    )
    assert seen == ["new", "unchanged"] and slept == [60.0]


@pytest.mark.parametrize(("text", "seconds"), [("15m", 900), ("30s", 30), ("2h", 7200), ("45", 45)])
def test_parse_every(text: str, seconds: float) -> None:
    assert parse_every(text) == seconds


@pytest.mark.parametrize("text", ["", "0m", "soon", "-5s"])
def test_parse_every_refuses_nonsense(text: str) -> None:
    with pytest.raises(AssistantError, match=r"use e\.g\. 30s, 15m, 2h or 1d"):
        parse_every(text)
