"""Chroma, the one store: chunks (with embeddings) and articles (full text and metadata).

This is the only module that imports chromadb. The embedded persistent store is the default;
``ASSISTANT_CHROMA_URL`` points the same code at a ``chroma run`` server.

Consistency: an article's chunks are written before its article record, and the record carries
the content hash. An article counts as stored only when its record exists with that hash, so an
ingest killed at any point is completed by the next run with no duplicates (ids are stable and
old chunks of an article are deleted before its new ones are written).
"""

from __future__ import annotations

import threading
import uuid
from collections import deque
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from assistant.errors import StoreError
from assistant.store_faults import Guarded, store_failure
from assistant.store_layout import (
    KeptRow,
    Record,
    SpanHit,
    Store,
    StoredArticle,
    article_meta,
    centroid,
    chroma_where,
    chunk_meta,
    chunk_of,
    date_ord,
    pack_spans,
    records_of,
    ref_of,
    stored_of,
    unpack_spans,
)
from assistant.types import Article, ArticleRef, Chunk, Filters

__all__ = [  # the layout's names that callers have always imported from here
    "PAGE",
    "SCHEMA_VERSION",
    "SMALL_SUBSET",
    "ChromaStore",
    "Record",
    "Store",
    "StoredArticle",
    "chroma_where",
    "date_ord",
]

PAGE = 2000
#: Layout of the collections (ids, metadata fields, chunk offsets). Stores from before this
#: number was recorded have layout 1. Bump it, and migrate or refuse in _check_schema, when
#: the layout changes.
SCHEMA_VERSION = 1
SMALL_SUBSET = 1000  # dense search among at most this many ids ranks them here
_GENERATION = "generation"  # the one record of the ``<prefix>_meta`` collection


class ChromaStore:
    """Articles and chunks in two Chroma collections, and a generation record in a third."""

    def __init__(
        self,
        data_dir: Path,
        collection: str = "news",
        url: str | None = None,
        token: str | None = None,
        embedding: str = "",
    ) -> None:
        self.data_dir = Path(data_dir)
        self.embedding = embedding
        self.prefix = collection
        self.url = url
        self.token = token
        self._client: Any = None
        self._chunks: Any = None
        self._articles: Any = None
        self._meta: Any = None
        self._sentences: Any = None
        self._known: str | None = None  # the generation this store last read
        self._mine: deque[str] = deque(maxlen=64)  # generations this store wrote
        self._lock = threading.RLock()  # failure() may drop the client while open() holds it

    # ------------------------------------------------------------------ connection
    @property
    def where(self) -> str:
        return self.url or str(self.data_dir / "chroma")

    def _connect(self) -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        csettings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        try:
            if self.url:
                u = urlparse(self.url)
                headers = {"Authorization": f"Bearer {self.token}"} if self.token else None
                client = chromadb.HttpClient(
                    host=u.hostname or "localhost",
                    port=u.port or (443 if u.scheme == "https" else 8000),
                    ssl=u.scheme == "https",
                    headers=headers,
                    settings=csettings,
                )
            else:
                path = self.data_dir / "chroma"
                path.mkdir(parents=True, exist_ok=True)
                client = chromadb.PersistentClient(path=str(path), settings=csettings)
            cfg: Any = {"hnsw": {"space": "cosine"}}
            meta: dict[str, Any] = {"schema": SCHEMA_VERSION}
            if self.embedding:
                meta["embedding"] = self.embedding
            chunks = client.get_or_create_collection(
                f"{self.prefix}_chunks", embedding_function=None, configuration=cfg, metadata=meta
            )
            articles = client.get_or_create_collection(
                f"{self.prefix}_articles", embedding_function=None, configuration=cfg
            )
            meta_col = client.get_or_create_collection(
                f"{self.prefix}_meta", embedding_function=None
            )
        except StoreError:
            raise
        except Exception as e:
            raise self.failure(e, "cannot open") from e
        _check_schema((chunks.metadata or {}).get("schema", 1), self.where)
        built = (chunks.metadata or {}).get("embedding")
        if self.embedding and built and built != self.embedding:
            raise StoreError(
                f"the store at {self.where} (collection {self.prefix}) was embedded with "
                f"{built}, not {self.embedding}: set ASSISTANT_EMBEDDING_BACKEND/MODEL to match, "
                "or ingest into another ASSISTANT_DATA_DIR or ASSISTANT_COLLECTION"
            )
        # swapped in whole (a reopen replaces a working client: no reader ever sees a gap)
        self._client, self._sentences = client, None
        self._chunks, self._articles = Guarded(chunks, self), Guarded(articles, self)
        self._meta = Guarded(meta_col, self)  # last: open() is done when this is set

    def failure(self, e: Exception, doing: str = "cannot use") -> StoreError:
        """A store failure as a StoreError naming the store, the cause and the fix.

        An embedded client that failed a write (seen with a full disk) hangs on its next one,
        so it is dropped: the next use opens a fresh one (a server's client reconnects itself).
        """
        if not self.url:
            with self._lock:
                self._forget_system()
                self._meta = None  # the next use opens a fresh client
        return store_failure(e, self.where, self.url, self.data_dir, doing)

    def _forget_system(self) -> None:
        """Drop Chroma's process-wide cache of the embedded client for this path, so the next
        client is built from what is on disk (call with the lock held)."""
        from chromadb.api.shared_system_client import SharedSystemClient

        key = str(self.data_dir / "chroma")
        SharedSystemClient._identifier_to_system.pop(key, None)
        SharedSystemClient._identifier_to_refcount.pop(key, None)

    def _meta_col(self) -> Any:
        with self._lock:
            if self._meta is None:
                self._connect()
            return self._meta

    def open(self) -> None:
        """Connect now (two requests connecting at once would race)."""
        if self._meta is None:
            with self._lock:
                if self._meta is None:
                    self._connect()

    @property
    def _chunk_col(self) -> Any:
        self.open()
        return self._chunks

    @property
    def _article_col(self) -> Any:
        self.open()
        return self._articles

    # ------------------------------------------------------------------ generation
    def generation(self) -> str:
        """A token that changes with every write, by this or any other process.

        One small record (``<prefix>_meta``), read with one lookup by id: the lexical index
        and the text cache compare it instead of rescanning every article record.
        """
        got = self._meta_col().get(ids=[_GENERATION], include=["documents"])
        token = str(got["documents"][0]) if got["ids"] else "0"
        with self._lock:
            outside = token not in self._mine and self._known not in (None, token)
            self._known = token
            if outside and not self.url:
                # another process wrote: an embedded client keeps the vector index it loaded,
                # so reopen it to search what that process added (a server is shared)
                self._forget_system()
                self._connect()
        return token

    def _bump(self) -> None:
        """Record a write: the count goes up and a random part makes the token unique even
        when two processes bump from the same count at once."""
        n = int(self.generation().split(":")[0]) + 1
        token = f"{n}:{uuid.uuid4().hex[:12]}"
        with self._lock:
            self._mine.append(token)  # our own write: our client has it, no reopen for it
        meta = self._meta_col()
        meta.upsert(ids=[_GENERATION], documents=[token], embeddings=np.ones((1, 1), np.float32))

    # ------------------------------------------------------------------ writes
    def put_articles(self, batch: Sequence[tuple[Article, Sequence[Chunk], np.ndarray]]) -> None:
        """Replace the chunks of several articles, then record the articles.

        Three calls whatever the batch size: delete the articles' old chunks, write the new
        chunks, write the article records (the commit point: an article without its record is
        redone by the next ingest).
        """
        if not batch:
            return
        ids = [a.id for a, _, _ in batch]
        for i in range(0, len(ids), PAGE):
            self._chunk_col.delete(where={"article_id": {"$in": ids[i : i + PAGE]}})
        rows = [(a, c, e) for a, cs, vecs in batch for c, e in zip(cs, vecs, strict=True)]
        for i in range(0, len(rows), PAGE):
            part = rows[i : i + PAGE]
            self._chunk_col.upsert(
                ids=[c.id for _, c, _ in part],
                documents=[c.text for _, c, _ in part],
                embeddings=np.stack([e for _, _, e in part]).astype(np.float32),
                metadatas=[chunk_meta(a, c) for a, c, _ in part],
            )
        self._article_col.upsert(
            ids=ids,
            documents=[a.text for a, _, _ in batch],
            embeddings=np.stack([centroid(v) for _, _, v in batch]),
            metadatas=[article_meta(a, len(cs)) for a, cs, _ in batch],
        )
        self._bump()

    def delete_chunks(self, article_id: str) -> None:
        """Remove every chunk of an article."""
        self._chunk_col.delete(where={"article_id": article_id})
        self._bump()

    def delete_article(self, article_id: str) -> None:
        """Remove an article record, then its chunks (and its kept sentence vectors)."""
        self._article_col.delete(ids=[article_id])
        kept = self._sentence_col_if_any()
        if kept is not None:  # only a store that keeps sentence data has the collection
            kept.delete(ids=[article_id])
        self.delete_chunks(article_id)

    # ------------------------------------------------------------------ sentence vectors
    @property
    def _sentence_col(self) -> Any:
        """``<prefix>_sentences``: one record per article, its sentence vectors packed in a
        metadata string (float16). The 1-d embedding only satisfies Chroma; never searched."""
        self.open()
        if self._sentences is None:
            with self._lock:
                if self._sentences is None:
                    self._sentences = self._client.get_or_create_collection(
                        f"{self.prefix}_sentences",
                        embedding_function=None,
                        configuration={"hnsw": {"space": "l2"}},
                    )
        return self._sentences

    def _sentence_col_if_any(self) -> Any:
        """``<prefix>_sentences`` if it exists (None: no sentence data was ever kept)."""
        from chromadb.errors import NotFoundError

        self.open()
        if self._sentences is None:
            try:
                found = self._client.get_collection(f"{self.prefix}_sentences")
            except NotFoundError:
                return None
            with self._lock:
                self._sentences = self._sentences or found
        return self._sentences

    def put_span_vectors(self, rows: Sequence[KeptRow]) -> None:
        """Keep sentence vectors and analyses of articles (see ``KeptRow``).

        Derived data: a record is replaced with its article; readers check each span's text
        hash (and the analysis its article's), so a record left from older text is never
        used."""
        self.put_kept_records(
            {
                aid: {"packed": pack_spans(keys, vecs), "speech": speech}
                for aid, keys, vecs, speech in rows
                if len(keys) or speech
            }
        )

    def kept_sentences(
        self, article_ids: Sequence[str]
    ) -> tuple[dict[str, str], dict[tuple[str, int, int], SpanHit]]:
        """What is kept of these articles, in one read: the packed analyses by article id, and
        the sentence vectors by (article id, start, end) as (text hash, vector)."""
        speech: dict[str, str] = {}
        vectors: dict[tuple[str, int, int], SpanHit] = {}
        for aid, rec in self.kept_records(article_ids).items():
            if rec["speech"]:
                speech[aid] = rec["speech"]
            for (start, end, h), vec in unpack_spans(rec["packed"]) if rec["packed"] else ():
                vectors[(aid, start, end)] = (h, vec)
        return speech, vectors

    def span_vectors(self, article_ids: Sequence[str]) -> dict[tuple[str, int, int], SpanHit]:
        """Kept sentence vectors by (article id, start, end): (text hash, vector)."""
        return self.kept_sentences(article_ids)[1]

    def kept_records(self, article_ids: Sequence[str]) -> dict[str, dict[str, str]]:
        """The kept sentence records of these articles as stored, by article id (none when
        the store never kept sentence data: the collection is not created by asking)."""
        col = self._sentence_col_if_any()
        out: dict[str, dict[str, str]] = {}
        if col is None:
            return out
        ids = list(dict.fromkeys(article_ids))
        for i in range(0, len(ids), PAGE):
            got = col.get(ids=ids[i : i + PAGE], include=["metadatas"])
            for aid, meta in zip(got["ids"], got["metadatas"], strict=True):
                out[aid] = {
                    "packed": str(meta.get("packed", "")),
                    "speech": str(meta.get("speech", "")),
                }
        return out

    def put_kept_speech(self, rows: dict[str, str]) -> None:
        """Replace the packed analyses (article id -> packed) of kept records that exist; their
        vectors stay as they are, and an article without a record gets none."""
        col = self._sentence_col_if_any()
        items = list(rows.items())
        if col is None or not items:
            return
        for i in range(0, len(items), PAGE):
            part = items[i : i + PAGE]
            col.update(ids=[aid for aid, _ in part], metadatas=[{"speech": p} for _, p in part])

    def put_kept_records(self, rows: dict[str, dict[str, str]]) -> None:
        """Write kept sentence records as ``kept_records`` returned them."""
        items = list(rows.items())
        for i in range(0, len(items), PAGE):
            part = items[i : i + PAGE]
            self._sentence_col.upsert(  # in metadata: Chroma full-text indexes documents
                ids=[aid for aid, _ in part],
                metadatas=[{"packed": r["packed"], "speech": r["speech"]} for _, r in part],
                embeddings=np.arange(i, i + len(part), dtype=np.float32)[:, None],
            )

    # ------------------------------------------------------------------ reads
    def hashes(self, ids: Sequence[str]) -> dict[str, str]:
        """content_hash of the given article ids that are stored."""
        out: dict[str, str] = {}
        for i in range(0, len(ids), PAGE):
            got = self._article_col.get(ids=list(ids[i : i + PAGE]), include=["metadatas"])
            for aid, meta in zip(got["ids"], got["metadatas"], strict=True):
                out[aid] = str(meta.get("content_hash", ""))
        return out

    def list_articles(self) -> list[StoredArticle]:
        """Every stored article record (no text)."""
        out = []
        total = self._article_col.count()
        for off in range(0, total, PAGE):
            got = self._article_col.get(limit=PAGE, offset=off, include=["metadatas"])
            for aid, meta in zip(got["ids"], got["metadatas"], strict=True):
                out.append(stored_of(aid, meta))
        return out

    def get_article(self, article_id: str) -> Article | None:
        """An article with its full text, or None."""
        got = self._article_col.get(ids=[article_id], include=["metadatas", "documents"])
        if not got["ids"]:
            return None
        meta, text = got["metadatas"][0], got["documents"][0]
        s = stored_of(article_id, meta)
        return Article(
            id=article_id,
            title=s.ref.title,
            text=text,
            source=s.ref.source,
            published=s.ref.published,
            url=s.ref.url,
            authors=s.authors,
            origin=s.origin,
            content_hash=s.content_hash,
        )

    def get_texts(self, article_ids: Sequence[str]) -> dict[str, str]:
        """Full texts of several articles."""
        if not article_ids:
            return {}
        got = self._article_col.get(ids=list(dict.fromkeys(article_ids)), include=["documents"])
        return dict(zip(got["ids"], got["documents"], strict=True))

    def iter_chunks(self) -> Iterator[tuple[Chunk, ArticleRef]]:
        """Every stored chunk with its article's reference (for derived indexes)."""
        total = self._chunk_col.count()
        for off in range(0, total, PAGE):
            got = self._chunk_col.get(limit=PAGE, offset=off, include=["metadatas", "documents"])
            for cid, doc, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True):
                yield chunk_of(cid, doc, meta), ref_of(meta)

    def dense(
        self, embedding: np.ndarray, k: int, filters: Filters | None = None
    ) -> list[tuple[Chunk, ArticleRef, float]]:
        """Nearest chunks by cosine similarity, within the filters (fewer if the store is small).

        No ``count()`` first: Chroma returns what there is, and a count is a database scan
        that grows with the store.
        """
        kwargs: dict[str, Any] = {}
        where = chroma_where(filters)
        if where:
            kwargs["where"] = where
        res = self._chunk_col.query(
            query_embeddings=[embedding.astype(np.float32)],
            n_results=k,
            include=["metadatas", "documents", "distances"],
            **kwargs,
        )
        return [
            (chunk_of(cid, doc, meta), ref_of(meta), 1.0 - float(dist))
            for cid, doc, meta, dist in zip(
                res["ids"][0],
                res["documents"][0],
                res["metadatas"][0],
                res["distances"][0],
                strict=True,
            )
        ]

    def dense_ids(
        self, embedding: np.ndarray, k: int, among: Sequence[str] | None = None
    ) -> list[tuple[str, float]]:
        """Nearest chunk ids and cosine similarities, unfiltered or among the given ids.

        Restricting by ids (the chunks a filter allows, known from the BM25 index's records)
        is 5 to 30x faster than a ``where`` clause on a 100k-chunk store: a few hundred ids
        are fetched and ranked here, more are searched by Chroma among those ids.
        """
        v = embedding.astype(np.float32)
        if among is not None and len(among) <= SMALL_SUBSET:
            if not among:
                return []
            got = self._chunk_col.get(ids=list(among), include=["embeddings"])
            if not got["ids"]:
                return []
            m = np.asarray(got["embeddings"], dtype=np.float32)
            sims = (m @ v) / np.clip(np.linalg.norm(m, axis=1) * np.linalg.norm(v), 1e-12, None)
            top = np.argsort(-sims, kind="stable")[:k]
            return [(got["ids"][i], float(sims[i])) for i in top]
        kwargs: dict[str, Any] = {"ids": list(among)} if among is not None else {}
        res = self._chunk_col.query(
            query_embeddings=[v], n_results=k, include=["distances"], **kwargs
        )
        return [
            (cid, 1.0 - float(d)) for cid, d in zip(res["ids"][0], res["distances"][0], strict=True)
        ]

    def chunk_count(self) -> int:
        """How many chunks are stored."""
        return int(self._chunk_col.count())

    def counts(self) -> tuple[int, int]:
        """(articles, chunks)."""
        return self._article_col.count(), self._chunk_col.count()

    def size_bytes(self) -> int | None:
        """Bytes on disk of the embedded store (None for a server)."""
        if self.url:
            return None
        root = self.data_dir / "chroma"
        return sum(f.stat().st_size for f in root.rglob("*") if f.is_file())

    # ------------------------------------------------------------------ export / import
    def article_records(self, offset: int, limit: int) -> list[Record]:
        """A page of article records as stored (text, metadata, vector)."""
        got = self._article_col.get(
            limit=limit, offset=offset, include=["documents", "metadatas", "embeddings"]
        )
        return records_of(got)

    def chunk_records(self, article_ids: Sequence[str]) -> list[Record]:
        """The chunk records of these articles as stored, by article and index."""
        if not article_ids:
            return []
        got = self._chunk_col.get(
            where={"article_id": {"$in": list(article_ids)}},
            include=["documents", "metadatas", "embeddings"],
        )
        rows = records_of(got)
        return sorted(rows, key=lambda r: (str(r.metadata["article_id"]), int(r.metadata["idx"])))

    def put_records(self, articles: Sequence[Record], chunks: Sequence[Record]) -> None:
        """Replace these articles' chunks with ``chunks``, then write the article records (the
        commit point, as in :meth:`put_articles`)."""
        if not articles:
            return
        self._chunk_col.delete(where={"article_id": {"$in": [r.id for r in articles]}})
        for col, rows in ((self._chunk_col, chunks), (self._article_col, articles)):
            for i in range(0, len(rows), PAGE):
                part = rows[i : i + PAGE]
                col.upsert(
                    ids=[r.id for r in part],
                    documents=[r.document for r in part],
                    metadatas=[r.metadata for r in part],
                    embeddings=np.stack([r.embedding for r in part]).astype(np.float32),
                )
        self._bump()


def _check_schema(found: Any, where: str) -> None:
    """Refuse a store whose layout this version cannot read (never read it wrongly)."""
    if found == SCHEMA_VERSION:
        return
    if isinstance(found, int) and found > SCHEMA_VERSION:
        raise StoreError(
            f"the store at {where} has layout version {found}, newer than this assistant's "
            f"{SCHEMA_VERSION}: upgrade the assistant, or use another ASSISTANT_DATA_DIR"
        )
    raise StoreError(
        f"the store at {where} has layout version {found!r}, which this assistant "
        f"(version {SCHEMA_VERSION}) cannot read: re-ingest into a new ASSISTANT_DATA_DIR"
    )
