"""Read articles from files, folders, feeds and URLs into :class:`Article` objects.

Each reader yields ``Article`` or ``Failure``; a broken input never stops the others.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx
import yaml
from charset_normalizer import from_bytes
from dateutil import parser as dateparser

from assistant.errors import IngestCancelled, IngestError
from assistant.limits import jsonl_lines, mb, open_limited, skip_blank
from assistant.netguard import NetGuard
from assistant.settings import Settings
from assistant.text import count_words
from assistant.types import Article

TEXT_EXT = {".txt", ".md", ".markdown"}
HTML_EXT = {".html", ".htm", ".xhtml"}
FEED_EXT = {".rss", ".atom", ".xml"}
JSON_EXT = {".json", ".jsonl", ".ndjson"}
PDF_EXT = {".pdf"}
SUPPORTED = TEXT_EXT | HTML_EXT | FEED_EXT | JSON_EXT | PDF_EXT
_FRONT = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*\r?\n", re.DOTALL)
USER_AGENT = "BriefingAssistant/0.1 (+https://localhost)"
MAX_PDF_PAGES = 2000
MAX_BAD_LINES = 100  # malformed JSON lines in one file before the rest of it is skipped


@dataclass(frozen=True)
class Failure:
    """An input that could not be read: where, and why (with what to do)."""

    origin: str
    reason: str


Item = Article | Failure


def is_url(s: str) -> bool:
    """Whether ``s`` is an http(s) URL."""
    return s.startswith(("http://", "https://"))


def article_id(url: str, text: str) -> str:
    """Stable id: from the URL when there is one, else from the text."""
    key = ("url:" + url.strip()) if url else ("text:" + text)
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


def make_article(
    text: str,
    *,
    title: str = "",
    source: str = "",
    published: Any = None,
    url: str = "",
    authors: Iterable[str] | str | None = None,
    origin: str = "",
    id: str | None = None,
) -> Article:
    """Build an Article with a stable id and a content hash over text and metadata."""
    text = clean_text(text)
    title, source, url = _valid(title), _valid(source), _valid(url)
    if not text.strip():
        raise IngestError(f"{origin or title or 'article'}: no text found (empty article)")
    auth = tuple(_valid(a) for a in _authors(authors))
    pub = parse_date(published)
    title = " ".join((title or "").split()) or _first_line(text)
    url = (url or "").strip()
    url = url if is_url(url.lower()) else ""  # never javascript:, data:, file: ...
    aid = str(id) if id else article_id(url, text)
    digest = hashlib.sha1(
        json.dumps([title, source, str(pub), url, auth, text], ensure_ascii=False).encode()
    ).hexdigest()
    return Article(aid, title, text, source or "", pub, url or "", auth, origin, digest)


def _authors(value: Any) -> tuple[str, ...]:
    """Author names from a string ("A, B and C"), a list of names, or a single value."""
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        return tuple(a.strip() for a in re.split(r",| and ", value) if a.strip())
    items = value if isinstance(value, list | tuple) else [value]
    out = []
    for a in items:
        if isinstance(a, dict):
            a = a.get("name")
        if isinstance(a, str | int | float) and str(a).strip():
            out.append(str(a).strip())
    return tuple(out)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _valid(s: str) -> str:
    """``s`` with lone UTF-16 surrogates (from ``\\ud800`` escapes in JSON) replaced by U+FFFD."""
    return _SURROGATE.sub("\ufffd", s) if s else s


def clean_text(text: str) -> str:
    """Normalise line endings and strip trailing spaces; keep everything else as written.

    Lone surrogates (not valid Unicode, cannot be stored) become U+FFFD.
    """
    text = _valid(text).replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    text = text.replace("\ufeff", "")
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")


def _first_line(text: str) -> str:
    line = text.strip().split("\n", 1)[0]
    return line[:120]


def parse_date(value: Any) -> date | None:
    """A date from a date, datetime, ISO string or human date; None when absent."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, tuple | list):  # feedparser's struct_time
        try:
            return date(int(value[0]), int(value[1]), int(value[2]))
        except (ValueError, TypeError, IndexError, OverflowError):
            return None
    try:
        return dateparser.parse(str(value), fuzzy=True).date()
    except (ValueError, OverflowError, TypeError):
        return None


def decode(data: bytes, origin: str) -> str:
    """Bytes to text: UTF-8 first, else the detected legacy encoding; binary is refused."""
    if b"\x00" in data[:8192]:
        raise IngestError(f"{origin}: binary file (contains NUL bytes); not an article")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    best = from_bytes(data).best()
    if best is None:
        raise IngestError(f"{origin}: cannot detect the text encoding; save it as UTF-8 and retry")
    return str(best)


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
    ) -> None:
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.max_ratio = max_ratio
        self.guard = guard or NetGuard()
        self.stop = threading.Event()
        self._client: httpx.Client | None = None

    @classmethod
    def from_settings(cls, s: Settings) -> Reader:
        """A reader with the size limits and URL guard of ``s``."""
        return cls(
            int(s.max_file_mb * 1024 * 1024),
            s.fetch_timeout,
            max_ratio=s.max_unpack_ratio,
            guard=NetGuard(s.allow_private_urls, tuple(s.url_allowlist)),
        )

    def trusting(self, hosts: Iterable[str]) -> Reader:
        """A reader like this one that may also fetch from ``hosts`` (an operator's own URLs)."""
        other = Reader(
            self.max_bytes, self.timeout, max_ratio=self.max_ratio, guard=self.guard.allowing(hosts)
        )
        other.stop = self.stop
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
                for f in sorted(path.rglob("*")):
                    if f.is_file() and not f.name.startswith(".") and _suffix(f) in SUPPORTED:
                        self._check_stop()
                        yield from self.read_file(f)
            elif path.exists():
                yield from self.read_file(path)
            else:
                yield Failure(t, "no such file or folder; check the path")

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
                    if f.is_file() and not f.name.startswith(".") and _suffix(f) in SUPPORTED
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
            ext = _suffix(path)
            if path.name.lower().endswith(".gz") and ext not in JSON_EXT:
                raise IngestError(f"{origin}: only JSON files may be gzipped (.jsonl.gz, .json.gz)")
            if ext in JSON_EXT:
                yield from self._read_json(path)
                return
            with open_limited(path, self.max_bytes, self.max_ratio, self.stop) as fh:
                data = fh.read_all()
            if ext in PDF_EXT:
                yield read_pdf(data, origin)
            elif ext in HTML_EXT:
                yield read_html(decode(data, origin), origin)
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
        """A JSON array (or object), or JSON Lines; gzipped or not; within the byte budget."""
        origin = str(path)
        with open_limited(path, self.max_bytes, self.max_ratio, self.stop) as fh:
            head, skipped = skip_blank(fh)
            if not head:
                yield Failure(origin, f"{origin}: no JSON found (only whitespace)")
                return
            if head[:1] == b"[":  # one JSON array
                data = head + fh.read_all()
                try:
                    items = json.loads(data)
                except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as e:
                    msg = (
                        f"{e.msg} at line {e.lineno + skipped}"
                        if isinstance(e, json.JSONDecodeError)
                        else type(e).__name__
                    )
                    yield Failure(origin, f"{origin}: invalid JSON ({msg})")
                    return
                for i, obj in enumerate(items if isinstance(items, list) else [items], 1):
                    yield _json_item(obj, f"{origin}#{i}")
                return
            bad = 0
            for n, line in jsonl_lines(fh, head, skipped + 1, self.max_bytes):
                try:
                    obj = json.loads(line)
                except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as e:
                    msg = getattr(e, "msg", type(e).__name__)
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
                yield read_pdf(body, url, url=url)
            else:
                yield read_html(resp.text, url, url=url)
        except IngestCancelled:
            raise
        except IngestError as e:
            yield Failure(url, str(e))

    def read_feed(self, data: bytes, origin: str) -> Iterator[Item]:
        """Each entry of an RSS/Atom feed; entries with only a summary get their page fetched."""
        import feedparser

        feed = feedparser.parse(data)
        if not feed.entries:
            reason = getattr(feed, "bozo_exception", None) or "no entries"
            yield Failure(origin, f"{origin}: not a readable RSS/Atom feed ({reason})")
            return
        outlet = str(feed.feed.get("title", "")) if hasattr(feed, "feed") else ""
        for i, entry in enumerate(feed.entries, 1):
            where = f"{origin}#{i}"
            try:
                yield self._feed_entry(entry, outlet, where)
            except IngestCancelled:
                raise
            except IngestError as e:
                yield Failure(where, f"{where}: {e}")

    def _feed_entry(self, entry: Any, outlet: str, origin: str) -> Article:
        link = str(entry.get("link", ""))
        content = entry.get("content") or []
        html = content[0].get("value", "") if content else ""
        summary = str(entry.get("summary", ""))
        text = html_to_text(html or summary)
        published = entry.get("published_parsed") or entry.get("updated_parsed")
        authors = [a.get("name", "") for a in entry.get("authors", []) if a.get("name")]
        if count_words(text) < 80 and link and is_url(link):
            page = self.fetch(link)
            art = read_html(page.text, link, url=link)
            return make_article(
                art.text,
                title=str(entry.get("title", "")) or art.title,
                source=outlet or art.source,
                published=published or art.published,
                url=link,
                authors=authors or art.authors,
                origin=origin,
            )
        return make_article(
            text,
            title=str(entry.get("title", "")),
            source=outlet,
            published=published,
            url=link,
            authors=authors,
            origin=origin,
        )


def _suffix(path: Path) -> str:
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


def read_text(raw: str, origin: str) -> Article:
    """A .txt/.md article with optional YAML front matter."""
    meta: dict[str, Any] = {}
    body = raw.lstrip("\ufeff")
    m = _FRONT.match(body)
    if m:
        try:
            loaded = yaml.safe_load(m.group(1)) or {}
        except yaml.YAMLError as e:
            raise IngestError(f"{origin}: invalid YAML front matter ({e})") from e
        if not isinstance(loaded, dict):
            raise IngestError(f"{origin}: front matter must be key: value pairs")
        meta = loaded
        body = body[m.end() :]
    return make_article(
        body,
        title=str(meta.get("title") or ""),
        source=str(meta.get("source") or ""),
        published=meta.get("published") or meta.get("date"),
        url=str(meta.get("url") or ""),
        authors=meta.get("authors"),
        origin=origin,
        id=meta.get("id"),
    )


def html_to_text(html: str) -> str:
    """Main text of an HTML fragment or page."""
    import trafilatura

    if not html.strip():
        return ""
    if "<" not in html:
        return html.strip()
    text = trafilatura.extract(
        html, include_comments=False, include_tables=False, favor_recall=True
    )
    if text:
        return text
    from lxml import html as lhtml

    try:
        return str(lhtml.fromstring(html).text_content())
    except Exception:  # lxml raises several types for junk
        return ""


def read_html(raw: str, origin: str, url: str = "") -> Article:
    """A web page: main text and metadata via trafilatura."""
    import trafilatura

    if "<" not in raw:
        raise IngestError(f"{origin}: not HTML (no tags found)")
    try:
        doc = trafilatura.bare_extraction(
            raw, url=url or None, with_metadata=True, include_comments=False, favor_recall=True
        )
    except Exception as e:  # a third-party parser on untrusted input: any failure is "malformed"
        raise IngestError(f"{origin}: malformed HTML ({type(e).__name__}: {e})") from e
    if doc is None or not getattr(doc, "text", None):
        raise IngestError(f"{origin}: no article text found in the HTML")
    authors = getattr(doc, "author", None) or ""
    return make_article(
        str(getattr(doc, "text", "")),
        title=str(getattr(doc, "title", "") or ""),
        source=str(getattr(doc, "sitename", "") or getattr(doc, "hostname", "") or ""),
        published=getattr(doc, "date", None),
        url=url or str(getattr(doc, "url", "") or ""),
        authors=[a.strip() for a in str(authors).split(";") if a.strip()],
        origin=origin,
    )


def read_pdf(data: bytes, origin: str, url: str = "") -> Article:
    """Text of a PDF's pages (pypdf), with its document title when it has one."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        if len(reader.pages) > MAX_PDF_PAGES:
            raise IngestError(f"{origin}: over {MAX_PDF_PAGES} pages; split the PDF")
        pages: list[str] = []
        chars = 0
        for page in reader.pages:
            pages.append(page.extract_text() or "")
            chars += len(pages[-1])
            if chars > len(data) * 50 + 1_000_000:
                raise IngestError(f"{origin}: the PDF's text is implausibly large; refused")
        meta = reader.metadata
    except IngestError:
        raise
    except Exception as e:  # pypdf raises many types (AttributeError, ...) on junk
        raise IngestError(f"{origin}: malformed PDF ({type(e).__name__}: {e})") from e
    text = "\n\n".join(p.strip() for p in pages if p.strip())
    if not text:
        raise IngestError(f"{origin}: the PDF has no extractable text (scanned image?)")
    return make_article(
        text,
        title=str(meta.title) if meta and meta.title else Path(origin).stem,
        published=meta.creation_date if meta and meta.creation_date else None,
        url=url,
        authors=[str(meta.author)] if meta and meta.author else None,
        origin=origin,
    )
