"""Read articles from files, folders, feeds and URLs into :class:`Article` objects.

Each reader yields ``Article`` or ``Failure``; a broken input never stops the others.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from assistant.errors import IngestCancelled, IngestError
from assistant.formats import (
    Feed,
    FeedEntry,
    article_id,
    clean_text,
    decode,
    html_to_text,
    is_url,
    make_article,
    parse_date,
    read_html,
    read_pdf,
    read_text,
)
from assistant.limits import jsonl_lines, mb, open_limited, skip_blank
from assistant.netguard import NetGuard
from assistant.parsing import ParseWorker
from assistant.settings import Settings
from assistant.text import count_words
from assistant.types import Article

TEXT_EXT = {".txt", ".md", ".markdown"}
HTML_EXT = {".html", ".htm", ".xhtml"}
FEED_EXT = {".rss", ".atom", ".xml"}
JSON_LINES_EXT = {".jsonl", ".ndjson"}  # one article per line
JSON_EXT = {".json"} | JSON_LINES_EXT
PDF_EXT = {".pdf"}
SUPPORTED = TEXT_EXT | HTML_EXT | FEED_EXT | JSON_EXT | PDF_EXT
#: The one list of file names the reader takes (``.gz`` only for JSON), for uploads and pages.
SUFFIXES = tuple(sorted(SUPPORTED)) + tuple(f"{e}.gz" for e in sorted(JSON_EXT))
USER_AGENT = "BriefingAssistant/0.1 (+https://localhost)"
MAX_BAD_LINES = 100  # malformed JSON lines in one file before the rest of it is skipped


@dataclass(frozen=True)
class Failure:
    """An input that could not be read: where, and why (with what to do)."""

    origin: str
    reason: str


Item = Article | Failure
__all__ = [
    "FEED_EXT",
    "JSON_EXT",
    "JSON_LINES_EXT",
    "SUFFIXES",
    "SUPPORTED",
    "Article",
    "Failure",
    "Item",
    "Reader",
    "article_id",
    "clean_text",
    "decode",
    "html_to_text",
    "is_url",
    "make_article",
    "parse_date",
    "read_html",
    "read_pdf",
    "read_text",
    "suffix",
]


# ----------------------------------------------------------------------------- files


class Reader:
    """Turns paths and URLs into articles, with limits from settings."""

    def __init__(
        self,
        max_bytes: int = 20 * 1024 * 1024,
        timeout: float = 20.0,
        *,
        max_ratio: float = 10.0,
        guard: NetGuard | None = None,
        parse_seconds: float = 0.0,
    ) -> None:
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.max_ratio = max_ratio
        self.guard = guard or NetGuard()
        self.stop = threading.Event()
        # HTML and PDF parse in a worker process stopped after parse_seconds (0: in-process)
        self.parser = ParseWorker(parse_seconds, self.stop)
        self._client: httpx.Client | None = None

    @classmethod
    def from_settings(cls, s: Settings) -> Reader:
        """A reader with the size limits and URL guard of ``s``."""
        return cls(
            int(s.max_file_mb * 1024 * 1024),
            s.fetch_timeout,
            max_ratio=s.max_unpack_ratio,
            guard=NetGuard(s.allow_private_urls, tuple(s.url_allowlist)),
            parse_seconds=s.parse_seconds,
        )

    def trusting(self, hosts: Iterable[str]) -> Reader:
        """A reader like this one that may also fetch from ``hosts`` (an operator's own URLs)."""
        other = Reader(
            self.max_bytes, self.timeout, max_ratio=self.max_ratio, guard=self.guard.allowing(hosts)
        )
        other.stop = self.stop
        other.parser = self.parser
        return other

    def _check_stop(self) -> None:
        if self.stop.is_set():
            raise IngestCancelled("ingest stopped: the server is shutting down; run it again")

    # -- dispatch
    def read(self, targets: Iterable[str | Path]) -> Iterator[Item]:
        """Every article found under the given files, folders, feeds and URLs."""
        for target in targets:
            self._check_stop()
            t = str(target)
            if is_url(t):
                yield from self.read_url(t)
                continue
            path = Path(t)
            if path.is_dir():
                found, others = 0, []
                for f in sorted(path.rglob("*")):
                    if not f.is_file() or f.name.startswith("."):
                        continue
                    if suffix(f) not in SUPPORTED:
                        others.append(f.name)
                        continue
                    found += 1
                    self._check_stop()
                    yield from self.read_file(f)
                if not found and others:
                    yield Failure(
                        t,
                        f"{t}: no file of a readable type in the folder (found {len(others)} "
                        f"other file{'s' if len(others) > 1 else ''}, e.g. {others[0]}); "
                        "readable: " + " ".join(SUFFIXES),
                    )
            elif path.exists():
                yield from self.read_file(path)
            else:
                yield Failure(t, f"{t}: no such file or folder; check the path")

    def files(self, targets: Iterable[str | Path]) -> list[Path]:
        """The files a read of ``targets`` would open (for progress and prune)."""
        out: list[Path] = []
        for target in targets:
            path = Path(str(target))
            if is_url(str(target)):
                continue
            if path.is_dir():
                out += [
                    f
                    for f in sorted(path.rglob("*"))
                    if f.is_file() and not f.name.startswith(".") and suffix(f) in SUPPORTED
                ]
            elif path.exists():
                out.append(path)
        return out

    def read_file(self, path: Path) -> Iterator[Item]:
        """Articles in one file, by its extension."""
        origin = str(path)
        try:
            size = path.stat().st_size
            if size == 0:
                raise IngestError(f"{origin}: empty file")
            if size > self.max_bytes:
                raise IngestError(
                    f"{origin}: {mb(size)} is over the {mb(self.max_bytes)} "
                    "limit; raise ASSISTANT_MAX_FILE_MB to ingest it"
                )
            ext = suffix(path)
            if path.name.lower().endswith(".gz") and ext not in JSON_EXT:
                raise IngestError(f"{origin}: only JSON files may be gzipped (.jsonl.gz, .json.gz)")
            if ext in JSON_EXT:
                yield from self._read_json(path)
                return
            with open_limited(path, self.max_bytes, self.max_ratio, self.stop) as fh:
                data = fh.read_all()
            if ext in PDF_EXT:
                yield self.parser.pdf(data, origin)
            elif ext in HTML_EXT:
                yield self.parser.html(decode(data, origin), origin)
            elif ext in FEED_EXT:
                yield from self.read_feed(data, origin)
            elif ext in TEXT_EXT:
                yield read_text(decode(data, origin), origin)
            else:
                raise IngestError(
                    f"{origin}: unsupported file type '{ext}'; supported: "
                    + ", ".join(sorted(SUPPORTED))
                )
        except IngestCancelled:
            raise
        except IngestError as e:
            yield Failure(origin, str(e))
        except OSError as e:
            yield Failure(origin, f"{origin}: cannot read file ({e.strerror or e})")

    def _read_json(self, path: Path) -> Iterator[Item]:
        """A JSON array (or object), or JSON Lines; gzipped or not; within the byte budget.

        A ``.json`` file holding one object, however it is laid out (pretty-printed over many
        lines), is that one article, and the file is its origin (an edit replaces it, as for
        a text file); a ``.json`` file of one object per line is read as JSON Lines.
        """
        origin = str(path)
        with open_limited(path, self.max_bytes, self.max_ratio, self.stop) as fh:
            head, skipped = skip_blank(fh)
            if not head:
                yield Failure(origin, f"{origin}: no JSON found (only whitespace)")
                return
            whole = head[:1] == b"[" or suffix(path) not in JSON_LINES_EXT
            if not whole:  # .jsonl / .ndjson: streamed line by line
                yield from self._json_lines(origin, jsonl_lines(fh, head, skipped + 1, self.max_bytes))
                return
            data = head + fh.read_all()
        try:
            obj = json.loads(data)
        except (ValueError, RecursionError) as e:  # ValueError: also a huge number
            if head[:1] == b"{" and isinstance(e, json.JSONDecodeError) and e.msg == "Extra data":
                # one object per line in a file named .json
                lines = ((skipped + 1 + n, ln.strip()) for n, ln in enumerate(data.split(b"\n")))
                yield from self._json_lines(origin, ((n, ln) for n, ln in lines if ln))
                return
            msg = (
                f"{e.msg} at line {e.lineno + skipped}"
                if isinstance(e, json.JSONDecodeError)
                else _json_error(e)
            )
            yield Failure(origin, f"{origin}: invalid JSON ({msg})")
            return
        if isinstance(obj, dict):
            yield _json_item(obj, origin)
            return
        for i, one in enumerate(obj if isinstance(obj, list) else [obj], 1):
            yield _json_item(one, f"{origin}#{i}")

    def _json_lines(self, origin: str, lines: Iterable[tuple[int, bytes]]) -> Iterator[Item]:
        """An article per line; a malformed line is reported and skipped, up to a limit."""
        bad = 0
        for n, line in lines:
            try:
                obj = json.loads(line)
            except (ValueError, RecursionError) as e:
                msg = getattr(e, "msg", None) or _json_error(e)
                yield Failure(f"{origin}:{n}", f"{origin}:{n}: malformed JSON line ({msg})")
                bad += 1
                if bad >= MAX_BAD_LINES:
                    yield Failure(
                        origin,
                        f"{origin}: {bad} malformed lines; skipped the rest of the file "
                        "(is it JSON Lines?)",
                    )
                    return
                continue
            yield _json_item(obj, f"{origin}:{n}")

    def count_records(self, path: Path) -> int | None:
        """How many articles a JSON Lines file holds, cheaply (None when it cannot be read)."""
        try:
            with open_limited(path, self.max_bytes, self.max_ratio, self.stop) as fh:
                head, skipped = skip_blank(fh)
                return sum(1 for _ in jsonl_lines(fh, head, skipped + 1, self.max_bytes))
        except (IngestError, OSError):
            return None

    # -- feeds and URLs
    @property
    def client(self) -> httpx.Client:
        """The HTTP client; every request and redirect hop passes the :class:`NetGuard`."""
        if self._client is None:
            self._client = httpx.Client(
                timeout=self.timeout,
                follow_redirects=True,
                max_redirects=5,
                headers={"User-Agent": USER_AGENT},
                transport=self.guard.transport(),
            )
        return self._client

    def fetch(self, url: str) -> httpx.Response:
        """GET a URL, turning network and HTTP failures into IngestError.

        The body is read as it arrives and cut off at the size limit (after decompression),
        so neither a huge page nor a gzip-encoded bomb is ever held whole.
        """
        self._check_stop()
        try:
            with self.client.stream("GET", url) as resp:
                if resp.status_code >= 400:
                    raise IngestError(f"{url}: fetch failed (HTTP {resp.status_code})")
                parts, seen = [], 0
                for part in resp.iter_bytes():
                    seen += len(part)
                    if seen > self.max_bytes:
                        raise IngestError(
                            f"{url}: response over the {mb(self.max_bytes)} limit "
                            "(ASSISTANT_MAX_FILE_MB)"
                        )
                    self._check_stop()
                    parts.append(part)
        except httpx.InvalidURL as e:
            raise IngestError(f"{url[:200]}: not a valid URL ({e})") from e
        except httpx.HTTPError as e:
            raise IngestError(f"{url}: fetch failed ({type(e).__name__}: {e})") from e
        return httpx.Response(
            resp.status_code, headers=resp.headers, content=b"".join(parts), request=resp.request
        )

    def read_url(self, url: str) -> Iterator[Item]:
        """A web page (one article) or a feed (one article per entry)."""
        try:
            resp = self.fetch(url)
            ctype = resp.headers.get("content-type", "").lower()
            body = resp.content
            if _looks_like_feed(ctype, body):
                yield from self.read_feed(body, url)
            elif "pdf" in ctype:
                yield self.parser.pdf(body, url, url)
            else:
                yield self.parser.html(resp.text, url, url)
        except IngestCancelled:
            raise
        except IngestError as e:
            yield Failure(url, str(e))

    def read_feed(self, data: bytes, origin: str) -> Iterator[Item]:
        """Each entry of an RSS/Atom feed; entries with only a summary get their page fetched.
        The feed is parsed within the parse budget, like an HTML page."""
        return self.feed_items(self.parser.feed(data, origin), origin)

    def feed_items(self, feed: Feed, origin: str) -> Iterator[Item]:
        """The articles of a parsed feed (``assistant watch`` has parsed it already)."""
        if not feed.entries:
            yield Failure(origin, f"{origin}: not a readable RSS/Atom feed ({feed.problem})")
            return
        for i, entry in enumerate(feed.entries, 1):
            where = f"{origin}#{i}"
            try:
                yield self._feed_entry(entry, feed.outlet, where)
            except IngestCancelled:
                raise
            except IngestError as e:
                yield Failure(where, f"{where}: {e}")

    def _feed_entry(self, entry: FeedEntry, outlet: str, origin: str) -> Article:
        link, text = entry.link, entry.text
        if count_words(text) < 80 and link and is_url(link):
            page = self.fetch(link)
            art = self.parser.html(page.text, link, link)
            return make_article(
                art.text,
                title=entry.title or art.title,
                source=outlet or art.source,
                published=entry.published or art.published,
                url=link,
                authors=entry.authors or art.authors,
                origin=origin,
            )
        return make_article(
            text,
            title=entry.title,
            source=outlet,
            published=entry.published,
            url=link,
            authors=entry.authors,
            origin=origin,
        )


def _json_error(e: Exception) -> str:
    """Why JSON did not parse, short: nesting too deep, a number too long, bad bytes."""
    if isinstance(e, RecursionError):
        return "nested too deeply"
    if isinstance(e, UnicodeDecodeError):
        return f"not UTF-8 text: {e.reason} at byte {e.start}"
    if "integer string conversion" in str(e):
        return "a number with more than 4300 digits"
    return f"{type(e).__name__}: {e}"[:200]


def suffix(path: Path) -> str:
    """The file type that decides how a file is read ('.jsonl' for 'x.jsonl.gz')."""
    name = path.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    return Path(name).suffix


def _looks_like_feed(ctype: str, body: bytes) -> bool:
    if any(k in ctype for k in ("rss", "atom", "xml")) and "html" not in ctype:
        return True
    head = body[:500].lstrip().lower()
    return head.startswith(b"<?xml") and (b"<rss" in body[:2000] or b"<feed" in body[:2000])


def _json_item(obj: Any, origin: str) -> Item:
    if not isinstance(obj, dict):
        return Failure(origin, f"{origin}: expected a JSON object with a 'text' field")
    text = obj.get("text") or obj.get("body") or obj.get("content") or ""
    if not isinstance(text, str) or not text.strip():
        return Failure(origin, f"{origin}: no 'text' or 'body' field with article text")
    try:
        return make_article(
            text,
            title=str(obj.get("title") or ""),
            source=str(obj.get("source") or obj.get("outlet") or ""),
            published=obj.get("published") or obj.get("published_at") or obj.get("date"),
            url=str(obj.get("url") or ""),
            authors=obj.get("authors"),
            origin=origin,
            id=obj.get("id"),
        )
    except IngestError as e:
        return Failure(origin, str(e))
