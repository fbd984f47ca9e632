"""Text and bytes to :class:`Article`: metadata, text clean-up and the format parsers.

Pure functions over data already read (the :class:`~assistant.sources.Reader` does the
reading, with its limits); each raises :class:`IngestError` naming the input and the cause.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml
from charset_normalizer import from_bytes
from dateutil import parser as dateparser

from assistant.errors import IngestError
from assistant.types import Article

_FRONT = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*\r?\n", re.DOTALL)
MAX_PDF_PAGES = 2000


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


_DATELINE = re.compile(r"^(?:[A-Z][\w.,'’ ]{0,40})?\(?[A-Z]{2,}\)?\s*[—–-]*\s*$")


def _first_line(text: str) -> str:
    """A title for an article without one: its first line that is not a dateline ("CNN —",
    "New York (CNN) —"), cut to 120 characters at a word."""
    lines = [ln.strip() for ln in text.strip().split("\n") if ln.strip()]
    line = next((ln for ln in lines if not _DATELINE.match(ln)), lines[0] if lines else "")
    if len(line) <= 120:
        return line
    return line[:120].rsplit(" ", 1)[0].rstrip(",;:") + "…"


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

    # pypdf logs what it repairs ("EOF marker not found") without naming the file; the
    # failure below names it, so only errors are worth a line
    logging.getLogger("pypdf").setLevel(logging.ERROR)
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


@dataclass(frozen=True)
class FeedEntry:
    """One RSS/Atom entry as plain data (it crosses from the parser process)."""

    title: str
    link: str
    text: str  # the entry's content, else its summary, as text
    published: Any  # a time.struct_time, or None
    authors: tuple[str, ...]
    key: str = ""  # what tells entries apart between polls: its id, else link, else title


@dataclass(frozen=True)
class Feed:
    """An RSS/Atom feed's outlet name and entries; ``problem`` says why there are none."""

    outlet: str
    entries: tuple[FeedEntry, ...]
    problem: str = ""


def read_feed(data: bytes, origin: str) -> Feed:
    """An RSS/Atom feed's entries, each entry's HTML turned into text (feedparser)."""
    import feedparser

    feed = feedparser.parse(data)
    if not feed.entries:
        return Feed("", (), str(getattr(feed, "bozo_exception", None) or "no entries"))
    outlet = str(feed.feed.get("title", "")) if hasattr(feed, "feed") else ""
    entries = []
    for entry in feed.entries:
        content = entry.get("content") or []
        html = content[0].get("value", "") if content else ""
        entries.append(
            FeedEntry(
                title=str(entry.get("title", "")),
                link=str(entry.get("link", "")),
                text=html_to_text(html or str(entry.get("summary", ""))),
                # the raw keys: feedparser's own get maps one to the other with a warning
                published=dict.get(entry, "published_parsed") or dict.get(entry, "updated_parsed"),
                authors=tuple(a.get("name", "") for a in entry.get("authors", []) if a.get("name")),
                key=str(entry.get("id") or entry.get("link") or entry.get("title") or ""),
            )
        )
    return Feed(outlet, tuple(entries))
