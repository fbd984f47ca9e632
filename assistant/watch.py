"""``assistant watch``: poll feeds on a schedule and ingest each new entry once.

Each poll is a conditional GET (``If-None-Match`` / ``If-Modified-Since`` from the feed's last
``ETag`` / ``Last-Modified``), so an unchanged feed costs a 304 and nothing else. Entries are
known by their id (else link, else title); only a feed with unseen entries is ingested, and the
store skips entries it already holds unchanged. A failing feed is polled less often: the
interval doubles with each failure (at most ``MAX_BACKOFF``), or waits what ``Retry-After``
asks. State (validators, seen entries, failures) lives in ``<data dir>/watch.json``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx

from assistant.errors import AssistantError, IngestError
from assistant.service import Assistant

MAX_BACKOFF = 6 * 3600.0


def parse_every(text: str) -> float:
    """'15m' -> 900.0 seconds ('30s', '2h', '1d'; a bare number is seconds)."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    t = text.strip().lower()
    try:
        value = float(t[:-1]) * units[t[-1]] if t and t[-1] in units else float(t)
    except ValueError:
        value = -1
    if value <= 0:
        raise AssistantError(f"--every {text!r}: use e.g. 30s, 15m, 2h or 1d")
    return value


@dataclass
class FeedState:
    """What the watcher remembers about one feed."""

    etag: str = ""
    modified: str = ""
    seen: list[str] = field(default_factory=list)
    failures: int = 0
    next_poll: float = 0.0


@dataclass(frozen=True)
class PollResult:
    """One poll: ``new`` (entries ingested), ``unchanged`` (304 or nothing unseen), ``error``."""

    url: str
    status: str
    new: int = 0
    message: str = ""


class Watcher:
    """Polls feeds through the assistant's guarded HTTP client and ingests what is new."""

    def __init__(
        self,
        assistant: Assistant,
        urls: Sequence[str],
        every: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.assistant, self.urls, self.every, self.clock = assistant, list(urls), every, clock
        self.path = assistant.settings.data_dir / "watch.json"
        self.state: dict[str, FeedState] = {}
        if self.path.exists():
            try:
                raw = json.loads(self.path.read_text(encoding="utf-8"))
                self.state = {u: FeedState(**s) for u, s in raw.items()}
            except (ValueError, TypeError) as e:
                raise AssistantError(
                    f"{self.path} is damaged ({e}); delete it to start watching afresh"
                ) from e

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        data = {u: asdict(s) for u, s in self.state.items()}
        tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
        tmp.replace(self.path)

    def due(self) -> list[str]:
        """The feeds whose next poll time has come."""
        now = self.clock()
        return [u for u in self.urls if self.state.get(u, FeedState()).next_poll <= now]

    def poll(self, url: str) -> PollResult:
        """One conditional GET of ``url``; new entries ingested; state saved."""
        st = self.state.setdefault(url, FeedState())
        headers = {}
        if st.etag:
            headers["If-None-Match"] = st.etag
        if st.modified:
            headers["If-Modified-Since"] = st.modified
        try:
            resp = self.assistant.reader.client.get(url, headers=headers)
        except httpx.HTTPError as e:
            return self._failed(url, st, f"{type(e).__name__}: {e}", None)
        if resp.status_code == 304:
            return self._ok(url, st, PollResult(url, "unchanged", 0, "not modified (304)"))
        if resp.status_code >= 400:
            return self._failed(
                url, st, f"HTTP {resp.status_code}", resp.headers.get("retry-after")
            )
        if len(resp.content) > self.assistant.reader.max_bytes:
            return self._failed(url, st, "feed over the size limit (ASSISTANT_MAX_FILE_MB)", None)
        try:  # parsed within the parse budget, as ingest parses it
            feed = self.assistant.reader.parser.feed(resp.content, url)
        except IngestError as e:  # validators not kept: the next poll fetches it again
            return self._failed(url, st, str(e), None)
        st.etag = resp.headers.get("etag", "")
        st.modified = resp.headers.get("last-modified", "")
        ids = [e.key for e in feed.entries if e.key]
        new = [i for i in ids if i not in st.seen]
        if not new:
            return self._ok(url, st, PollResult(url, "unchanged", 0, "no new entries"))
        # the feed parsed above is ingested as it is (not parsed again), each article's
        # origin the feed's URL
        report = self.assistant.ingest([url], items=self.assistant.reader.feed_items(feed, url))
        st.seen += new
        msg = f"{len(new)} new entr{'y' if len(new) == 1 else 'ies'}; {report.added} added"
        return self._ok(url, st, PollResult(url, "new", len(new), msg))

    def _ok(self, url: str, st: FeedState, result: PollResult) -> PollResult:
        st.failures = 0
        st.next_poll = self.clock() + self.every
        self.save()
        return result

    def _failed(self, url: str, st: FeedState, why: str, retry_after: str | None) -> PollResult:
        st.failures += 1
        delay = min(self.every * 2**st.failures, MAX_BACKOFF)
        if retry_after and retry_after.strip().isdigit():
            delay = min(max(delay, float(retry_after)), MAX_BACKOFF)
        st.next_poll = self.clock() + delay
        self.save()
        return PollResult(url, "error", 0, f"{why}; next try in {delay:.0f}s")

    def run(
        self,
        rounds: int | None = None,
        report: Callable[[PollResult], Any] = print,
        sleep: Callable[[float], Any] = time.sleep,
    ) -> None:
        """Poll due feeds, then sleep until the next is due; ``rounds`` bounds the loop."""
        done = 0
        while rounds is None or done < rounds:
            for url in self.due():
                report(self.poll(url))
            done += 1
            if rounds is not None and done >= rounds:
                break
            nxt = min(self.state.get(u, FeedState()).next_poll for u in self.urls)
            sleep(max(1.0, nxt - self.clock()))

