"""How the store lays out what it keeps, apart from Chroma itself: the :class:`Store`
protocol the assistant codes against, the record types, and the conversions between our types
(Articles, Chunks, ArticleRefs) and the ids, documents and metadata of Chroma's collections.
Nothing here imports chromadb (``assistant.store`` is the one module that does).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

import numpy as np

from assistant.types import Article, ArticleRef, Chunk, Filters, Span

SpanKey = tuple[int, int, str]  # start, end, hash of the span's text
SpanHit = tuple[str, np.ndarray]  # hash of the span's text, its unit vector
# what ingest keeps of an article for the answerer: its id, its quotable spans and their
# vectors, and its sentence splits and speakers (packed by assistant.speech_cache; "": none)
KeptRow = tuple[str, Sequence[SpanKey], np.ndarray, str]


def date_ord(d: date | None) -> int:
    """Dates as integers Chroma can compare (0 = undated)."""
    return d.toordinal() if d else 0


@dataclass(frozen=True)
class StoredArticle:
    """An article record as the store holds it (text loaded on demand)."""

    ref: ArticleRef
    origin: str
    content_hash: str
    n_chunks: int
    authors: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The row `assistant sources --json` and `GET /api/sources` print."""
        return {
            "id": self.ref.article_id,
            "title": self.ref.title,
            "source": self.ref.source,
            "published": self.ref.published.isoformat() if self.ref.published else None,
            "url": self.ref.url,
            "chunks": self.n_chunks,
            "origin": self.origin,
        }


@dataclass(frozen=True)
class Record:
    """One stored row exactly as the store holds it (export and import)."""

    id: str
    document: str
    metadata: dict[str, Any]
    embedding: np.ndarray


class Store(Protocol):
    """What the assistant needs of a store; :class:`ChromaStore` is the implementation.

    Nothing of the backend leaves it: callers see Articles, Chunks, ArticleRefs and numbers.
    """

    @property
    def where(self) -> str:
        """Where the data lives (a path or a URL), for messages."""
        ...

    def open(self) -> None:
        """Connect now (otherwise the first use does)."""
        ...

    def put_articles(self, batch: Sequence[tuple[Article, Sequence[Chunk], np.ndarray]]) -> None:
        """Replace the chunks of several articles, then record the articles."""
        ...

    def delete_article(self, article_id: str) -> None:
        """Remove an article record and its chunks."""
        ...

    def hashes(self, ids: Sequence[str]) -> dict[str, str]:
        """content_hash of the given article ids that are stored."""
        ...

    def list_articles(self) -> list[StoredArticle]:
        """Every stored article record (no text)."""
        ...

    def get_article(self, article_id: str) -> Article | None:
        """An article with its full text, or None."""
        ...

    def get_texts(self, article_ids: Sequence[str]) -> dict[str, str]:
        """Full texts of several articles."""
        ...

    def iter_chunks(self) -> Iterator[tuple[Chunk, ArticleRef]]:
        """Every stored chunk with its article's reference."""
        ...

    def dense(
        self, embedding: np.ndarray, k: int, filters: Filters | None = None
    ) -> list[tuple[Chunk, ArticleRef, float]]:
        """Nearest chunks by cosine similarity, within the filters."""
        ...

    def dense_ids(
        self, embedding: np.ndarray, k: int, among: Sequence[str] | None = None
    ) -> list[tuple[str, float]]:
        """Nearest chunk ids and cosine similarities, unfiltered or among the given ids."""
        ...

    def chunk_count(self) -> int:
        """How many chunks are stored."""
        ...

    def counts(self) -> tuple[int, int]:
        """(articles, chunks)."""
        ...

    def generation(self) -> str:
        """A token that changes with every write, by any process (cheap to read)."""
        ...

    def size_bytes(self) -> int | None:
        """Bytes on disk, or None when the store is a server."""
        ...

    def article_records(self, offset: int, limit: int) -> list[Record]:
        """A page of article records as stored (text, metadata, vector)."""
        ...

    def chunk_records(self, article_ids: Sequence[str]) -> list[Record]:
        """The chunk records of these articles as stored, by article and index."""
        ...

    def put_records(self, articles: Sequence[Record], chunks: Sequence[Record]) -> None:
        """Replace these articles' chunks with ``chunks``, then write the article records."""
        ...

    def put_span_vectors(self, rows: Sequence[KeptRow]) -> None:
        """Keep sentence vectors and analyses of articles (see ``KeptRow``)."""
        ...

    def kept_sentences(
        self, article_ids: Sequence[str]
    ) -> tuple[dict[str, str], dict[tuple[str, int, int], SpanHit]]:
        """What is kept of these articles, in one read: packed analyses by article id, and
        sentence vectors by (article id, start, end)."""
        ...

    def span_vectors(self, article_ids: Sequence[str]) -> dict[tuple[str, int, int], SpanHit]:
        """Kept sentence vectors by (article id, start, end): (text hash, vector)."""
        ...

    def kept_records(self, article_ids: Sequence[str]) -> dict[str, dict[str, str]]:
        """The kept sentence records of these articles as stored ({"packed", "speech"} by
        article id; none when the store keeps no sentence data), for export."""
        ...

    def put_kept_speech(self, rows: dict[str, str]) -> None:
        """Replace the packed analyses of existing kept records (their vectors stay)."""
        ...

    def put_kept_records(self, rows: dict[str, dict[str, str]]) -> None:
        """Write kept sentence records as ``kept_records`` returned them (import)."""
        ...


def records_of(got: dict[str, Any]) -> list[Record]:
    vecs = got["embeddings"]
    return [
        Record(rid, doc, dict(meta), np.asarray(vecs[i], dtype=np.float32))
        for i, (rid, doc, meta) in enumerate(
            zip(got["ids"], got["documents"], got["metadatas"], strict=True)
        )
    ]


def pack_spans(keys: Sequence[SpanKey], vecs: np.ndarray) -> str:
    """Spans and their vectors as one JSON document (vectors: float16, base64)."""
    blob = base64.b64encode(np.asarray(vecs, dtype="<f2").tobytes()).decode("ascii")
    return json.dumps({"spans": [list(k) for k in keys], "dim": int(vecs.shape[1]), "f16": blob})


def unpack_spans(doc: str) -> list[tuple[SpanKey, np.ndarray]]:
    d = json.loads(doc)
    vecs = np.frombuffer(base64.b64decode(d["f16"]), dtype="<f2").reshape(-1, d["dim"])
    vecs = vecs.astype(np.float32)
    vecs /= np.clip(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12, None)
    return [((int(s), int(e), str(h)), v) for (s, e, h), v in zip(d["spans"], vecs, strict=True)]


def centroid(vecs: np.ndarray) -> np.ndarray:
    """An article's vector: the normalised mean of its chunks' (a unit vector if none).

    ``vecs`` is ``(chunks, width)``, also when there are no chunks: the embedder's width.
    """
    if len(vecs):
        c = vecs.mean(axis=0)
        return (c / (float(np.linalg.norm(c)) or 1.0)).astype(np.float32)
    v = np.zeros(vecs.shape[1], np.float32)
    v[0] = 1.0
    return v


def chroma_where(filters: Filters | None) -> dict[str, Any] | None:
    """A Chroma ``where`` clause for the filters."""
    if not filters or filters.empty:
        return None
    clauses: list[dict[str, Any]] = []
    if filters.sources:
        clauses.append({"source": {"$in": list(filters.sources)}})
    if filters.since:
        clauses.append({"published_ord": {"$gte": date_ord(filters.since)}})
    if filters.until:
        clauses.append({"published_ord": {"$lte": date_ord(filters.until)}})
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def chunk_meta(article: Article, c: Chunk) -> dict[str, Any]:
    return {
        "article_id": article.id,
        "idx": c.index,
        "start": c.start,
        "end": c.end,
        "sents": ",".join(f"{s.start - c.start}-{s.end - c.start}" for s in c.sentences),
        "title": article.title,
        "source": article.source,
        "published": article.published.isoformat() if article.published else "",
        "published_ord": date_ord(article.published),
        "url": article.url,
    }


def article_meta(a: Article, n_chunks: int) -> dict[str, Any]:
    return {
        "title": a.title,
        "source": a.source,
        "published": a.published.isoformat() if a.published else "",
        "published_ord": date_ord(a.published),
        "url": a.url,
        "authors": "; ".join(a.authors),
        "origin": a.origin,
        "content_hash": a.content_hash,
        "n_chunks": n_chunks,
    }


def ref_of(meta: dict[str, Any]) -> ArticleRef:
    pub = meta.get("published") or ""
    return ArticleRef(
        article_id=str(meta["article_id"]),
        title=str(meta.get("title", "")),
        source=str(meta.get("source", "")),
        published=date.fromisoformat(pub) if pub else None,
        url=str(meta.get("url", "")),
    )


def chunk_of(cid: str, doc: str, meta: dict[str, Any]) -> Chunk:
    start = int(meta["start"])
    spans = []
    for part in str(meta.get("sents", "")).split(","):
        if part:
            a, b = part.split("-")
            spans.append(Span(start + int(a), start + int(b)))
    return Chunk(
        id=cid,
        article_id=str(meta["article_id"]),
        index=int(meta["idx"]),
        start=start,
        end=int(meta["end"]),
        text=doc,
        sentences=tuple(spans),
    )


def stored_of(aid: str, meta: dict[str, Any]) -> StoredArticle:
    pub = meta.get("published") or ""
    return StoredArticle(
        ref=ArticleRef(
            aid,
            str(meta.get("title", "")),
            str(meta.get("source", "")),
            date.fromisoformat(pub) if pub else None,
            str(meta.get("url", "")),
        ),
        origin=str(meta.get("origin", "")),
        content_hash=str(meta.get("content_hash", "")),
        n_chunks=int(meta.get("n_chunks", 0)),
        authors=tuple(a for a in str(meta.get("authors", "")).split("; ") if a),
    )
