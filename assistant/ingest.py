"""The ingest pipeline: read -> segment and chunk -> embed -> store, overlapped in threads.

Parsing runs in the caller's thread while the encoder (which releases the GIL) works on the
previous batch and a writer thread commits the batch before that to Chroma. With
``workers`` > 1, that many encoder threads take batches from the queue at once (the
encoder's session is shared; each run gets its share of the cores, see settings).
"""

from __future__ import annotations

import queue
import re
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from assistant.embed import SHORT_BATCH, Embedder
from assistant.errors import IngestCancelled
from assistant.sources import (
    FEED_EXT,
    JSON_EXT,
    JSON_LINES_EXT,
    Failure,
    Item,
    Reader,
    is_url,
    suffix,
)
from assistant.store import Store
from assistant.text import chunk_article, text_hash
from assistant.types import Article, Chunk

ProgressFn = Callable[["IngestReport"], None]
SentenceSpans = list[tuple[int, int, str]]  # start, end, text of each quotable span
Kept = tuple[SentenceSpans, str]  # the quotable spans and the packed analysis (speech_cache)
SpansFn = Callable[[Article, list[Chunk]], Kept]
Batch = list[tuple[Article, list[Chunk], bool, Kept]]
_STOP = object()
WRITE_GROUP = 8  # articles committed together (three Chroma calls per group)


@dataclass
class IngestReport:
    """What an ingest did, for the summary line and ``--json``."""

    added: int = 0
    updated: int = 0
    skipped: int = 0
    pruned: int = 0
    chunks: int = 0
    failures: list[Failure] = field(default_factory=list)
    seconds: float = 0.0
    seen: int = 0
    total: int | None = None

    @property
    def failed(self) -> int:
        return len(self.failures)

    def to_json(self) -> dict[str, object]:
        return {
            "added": self.added,
            "updated": self.updated,
            "skipped": self.skipped,
            "pruned": self.pruned,
            "failed": self.failed,
            "chunks": self.chunks,
            "seconds": round(self.seconds, 2),
            "failures": [{"origin": f.origin, "reason": f.reason} for f in self.failures],
        }


def embedding_text(article: Article, chunk: Chunk) -> str:
    """What the encoder sees for a chunk: the headline gives the passage its topic."""
    return f"{article.title}\n{chunk.text}" if article.title else chunk.text


def estimate_total(targets: Iterable[str], reader: Reader) -> int | None:
    """How many articles the targets hold, cheaply (None when unknown, e.g. feeds)."""
    total = 0
    for f in reader.files(targets):
        ext = suffix(f)
        if ext in JSON_LINES_EXT:
            n = reader.count_records(f)  # bounded; unreadable files are reported by the read
            if n is None:
                return None
            total += n
        elif ext in FEED_EXT or ext in JSON_EXT:  # many articles, uncounted
            return None
        else:
            total += 1
    return None if any(is_url(str(t)) for t in targets) else total


class Ingestor:
    """Incremental, idempotent ingest into the store."""

    def __init__(
        self,
        store: Store,
        embedder: Embedder,
        reader: Reader,
        chunk_words: int = 120,
        overlap: int = 1,
        batch_articles: int = 64,
        workers: int = 1,
        spans: SpansFn | None = None,
    ) -> None:
        """``spans``, when given, names each article's quotable sentences and gives its
        analysis (sentence splits, speakers): the sentences' vectors are computed with the
        chunks' and kept with the store, the analysis too (the ``sentence_vectors`` setting).
        """
        self.spans = spans
        if workers < 1:
            raise ValueError(f"workers must be 1 or more; got {workers}")
        self.workers = workers
        self.store = store
        self.embedder = embedder
        self.reader = reader
        self.chunk_words = chunk_words
        self.overlap = overlap
        self.batch_articles = batch_articles

    def run(
        self,
        targets: list[str],
        prune: bool = False,
        progress: ProgressFn | None = None,
        force: bool = False,
        items: Iterable[Item] | None = None,
    ) -> IngestReport:
        """Ingest every article under ``targets`` (or ``items``, already read from them);
        return what happened."""
        t0 = time.perf_counter()
        # the total only feeds a progress bar: without one, files are not read twice
        total = estimate_total(targets, self.reader) if progress and items is None else None
        report = IngestReport(total=total)
        seen_ids: set[str] = set()
        read_files: set[str] = set()
        to_encode: queue.Queue[object] = queue.Queue(maxsize=self.workers + 1)
        to_write: queue.Queue[object] = queue.Queue(maxsize=self.workers + 1)
        errors: list[BaseException] = []
        lock = threading.Lock()

        def encoder() -> None:
            try:
                while (item := to_encode.get()) is not _STOP:
                    batch: Batch = item  # type: ignore[assignment]
                    if self.reader.stop.is_set():
                        continue  # shutting down: drop queued work; a rerun ingests it
                    texts = [embedding_text(a, c) for a, cs, _, _ in batch for c in cs]
                    vecs = self.embedder.embed(texts)
                    short = [t for *_, (spans, _) in batch for _, _, t in spans]
                    # sentences in small batches, as questions encode them (int8 activations
                    # are scaled per batch: mixed with long chunks they would drift)
                    kept = self.embedder.embed(short, SHORT_BATCH) if short else vecs[:0]
                    to_write.put((batch, vecs, kept))
            except BaseException as e:  # surfaced in the caller's thread
                errors.append(e)
            finally:
                to_write.put(_STOP)

        def batches() -> Iterator[object]:
            """What the encoders send, until every one of them has stopped."""
            stopped = 0
            while stopped < self.workers:
                item = to_write.get()
                if item is _STOP:
                    stopped += 1
                else:
                    yield item

        def writer() -> None:
            items = batches()
            try:
                for item in items:
                    done: Batch = item[0]  # type: ignore[index]
                    vecs: np.ndarray = item[1]  # type: ignore[index]
                    span_vecs: np.ndarray = item[2]  # type: ignore[index]
                    pos = 0
                    rows = []
                    kept = []
                    for article, chunks, is_new, _ in done:
                        rows.append((article, chunks, vecs[pos : pos + len(chunks)], is_new))
                        pos += len(chunks)
                    pos = 0
                    for article, *_, (spans, speech) in done:
                        keys = [(s, e, text_hash(t)) for s, e, t in spans]
                        kept.append((article.id, keys, span_vecs[pos : pos + len(spans)], speech))
                        pos += len(spans)
                    for g in range(0, len(rows), WRITE_GROUP):
                        group = rows[g : g + WRITE_GROUP]
                        self.store.put_articles([(a, cs, v) for a, cs, v, _ in group])
                        if self.spans is not None:
                            self.store.put_span_vectors(kept[g : g + WRITE_GROUP])
                        with lock:
                            for a, cs, _, is_new in group:
                                written.add(a.id)
                                report.chunks += len(cs)
                                if is_new:
                                    report.added += 1
                                else:
                                    report.updated += 1
                        if progress:
                            progress(report)
            except BaseException as e:
                errors.append(e)
                for _ in items:  # drain so no encoder blocks
                    pass

        threads = [threading.Thread(target=encoder, daemon=True) for _ in range(self.workers)]
        threads.append(threading.Thread(target=writer, daemon=True))
        for t in threads:
            t.start()
        pending: list[Article] = []
        by_origin: dict[str, list[str]] | None = None  # several: a file moved, then refilled
        # per file read again with other text: its new article and the ids it held before
        superseded: list[tuple[str, list[str]]] = []
        written: set[str] = set()  # articles the writer has stored in this run

        def flush() -> None:
            if not pending:
                return
            nonlocal by_origin
            stored = self.store.hashes([a.id for a in pending])
            batch: Batch = []
            for a in pending:
                if not force and stored.get(a.id) == a.content_hash:
                    with lock:
                        report.skipped += 1
                    continue
                replaces: list[str] = []
                # a file or page whose text changed replaces the article it held (deleted at
                # the end of the run, see below); an entry of a feed or a JSON file does not:
                # its position ("#3", ":12") is no identity (an entry put first would replace
                # the one that was first, then lost); an edited entry without a URL stays
                # beside its old version until --prune
                if a.id not in stored and a.origin and _origin_file(a.origin) == a.origin:
                    if by_origin is None:
                        by_origin = {}
                        for s in self.store.list_articles():
                            by_origin.setdefault(s.origin, []).append(s.ref.article_id)
                    replaces = [old for old in by_origin.get(a.origin, []) if old != a.id]
                if replaces:
                    superseded.append((a.id, replaces))
                chunks = chunk_article(a.id, a.text, self.chunk_words, self.overlap)
                spans = self.spans(a, chunks) if self.spans is not None else ([], "")
                batch.append((a, chunks, a.id not in stored and not replaces, spans))
            pending.clear()
            if batch:
                to_encode.put(batch)
            if progress:
                progress(report)

        try:
            for item in self.reader.read(targets) if items is None else items:
                if errors:
                    break
                report.seen += 1
                if isinstance(item, Failure):
                    report.failures.append(item)
                    if progress:
                        progress(report)
                    continue
                if item.origin:
                    read_files.add(_origin_file(item.origin))
                if item.id in seen_ids:
                    continue  # the same article twice in one run: first one wins
                seen_ids.add(item.id)
                pending.append(item)
                if len(pending) >= self.batch_articles:
                    flush()
            flush()
        finally:
            for _ in range(self.workers):
                to_encode.put(_STOP)
            for t in threads:
                t.join()
        if errors:
            raise errors[0]
        if self.reader.stop.is_set():  # stopped after the last file was read: queued work
            # was dropped, so nothing is replaced or pruned; a rerun completes the ingest
            raise IngestCancelled("ingest stopped: the server is shutting down; run it again")
        # only now, with the new version written: an old version goes unless this run read it
        # too (a file moved or copied before the first one was edited: it is still there)
        for new, olds in superseded:
            if new not in written:
                continue
            gone = [old for old in olds if old not in seen_ids]
            for old in gone:
                self.store.delete_article(old)
            if not gone:  # counted as an update when written: it was an addition after all
                report.updated -= 1
                report.added += 1
        if prune:
            report.pruned = self.prune(seen_ids, read_files)
        report.seconds = time.perf_counter() - t0
        if progress:
            progress(report)
        return report

    def prune(self, seen_ids: set[str], read_files: set[str]) -> int:
        """Delete articles whose file is gone, or that a re-read file no longer holds."""
        removed = 0
        for s in self.store.list_articles():
            if not s.origin or is_url(s.origin):
                continue
            if s.ref.article_id in seen_ids:
                continue  # read in this run, maybe from a file it was moved to
            path = _origin_file(s.origin)
            if _old_watch_feed(path):
                continue  # no file of the user's was behind it: nothing to prune by
            gone = not Path(path).exists()
            dropped = path in read_files and s.ref.article_id not in seen_ids
            if gone or dropped:
                self.store.delete_article(s.ref.article_id)
                removed += 1
        return removed


def _old_watch_feed(path: str) -> bool:
    """``/tmp/tmpab12cd/feed.xml``: where ``assistant watch`` used to save a feed to ingest it
    (its articles' origin now is the feed's URL); such a file was always gone after the poll."""
    p = Path(path)
    return (
        p.name == "feed.xml"
        and p.parent.name.startswith("tmp")
        and str(p.parent.parent) == tempfile.gettempdir()
    )


_SUFFIX = re.compile(r"(?:[:#]\d+)$")


def _origin_file(origin: str) -> str:
    """The file part of an origin like ``path/to/x.jsonl:12`` or ``feed.xml#3``."""
    return _SUFFIX.sub("", origin)
