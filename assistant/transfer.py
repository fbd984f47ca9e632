"""``assistant export`` / ``assistant import``: a whole store in one file, and back, exactly.

The file is gzip-compressed JSON Lines (``.jsonl.gz``), format version 2 (version 1 files,
which have no ``kept`` lines, are read as well):

1. a header: ``{"format": "briefing-assistant-export", "version": 2, "schema": <the store's
   layout version>, "collection": ..., "embedding": <model and runtime>, "dimension": ...,
   "created": <UTC ISO time>}``;
2. for each article, its chunks, then the article: ``{"chunk": R}`` ... ``{"article": R}``,
   where R is ``{"id", "text", "metadata", "embedding"}`` exactly as the store holds them (the
   metadata keeps the chunk's article id, index, character offsets and sentence spans) and
   ``embedding`` is the vector's little-endian float32 bytes in base64 (exact, unlike decimal);
   after an article, when the store keeps its sentence data (``sentence_vectors="ingest"``),
   ``{"kept": {"id", "packed", "speech"}}``: its sentence vectors and analysis as stored, so an
   imported store answers a first question as fast as the one exported (the record is
   derived and checked against the article's text when read);
3. a trailer: ``{"end": {"articles": N, "chunks": M, "kept": K}}``; a file without it is
   truncated.

An import writes each article's chunks before its record, as an ingest does, so an import
that is killed or meets a damaged file keeps whole articles only; ids are kept, so importing
the same file twice changes nothing. The BM25 index is derived and is rebuilt after import.
Chunks whose article record was never written (left by a killed ingest, which a rerun
completes) are not exported.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from assistant.errors import TransferError
from assistant.store import SCHEMA_VERSION, Record, Store

FORMAT = "briefing-assistant-export"
FORMAT_VERSION = 2
PAGE = 100  # articles read from the store, or written to it, at a time


@dataclass
class TransferReport:
    """What an export or import moved."""

    articles: int = 0
    chunks: int = 0
    replaced: int = 0  # import: articles that were already stored under the same id
    left_out: int = 0  # export: chunks of unfinished articles
    kept: int = 0  # articles whose kept sentence data (vectors, analysis) came along
    seconds: float = 0.0
    bytes: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "articles": self.articles,
            "chunks": self.chunks,
            "replaced": self.replaced,
            "kept": self.kept,
            "left_out": self.left_out,
            "bytes": self.bytes,
            "seconds": round(self.seconds, 2),
        }


def _row(r: Record) -> dict[str, Any]:
    vec = np.ascontiguousarray(r.embedding, dtype="<f4")
    return {
        "id": r.id,
        "text": r.document,
        "metadata": r.metadata,
        "embedding": base64.b64encode(vec.tobytes()).decode("ascii"),
    }


def _record(row: dict[str, Any]) -> Record:
    vec = np.frombuffer(base64.b64decode(row["embedding"], validate=True), dtype="<f4")
    return Record(str(row["id"]), str(row["text"]), dict(row["metadata"]), vec.astype(np.float32))


def export_store(store: Store, path: Path, embedding: str, collection: str) -> TransferReport:
    """Write every article of ``store`` with its chunks and vectors to ``path`` (.jsonl.gz).

    Written to ``path.partial`` and renamed when complete, so ``path`` is never half a file.
    """
    t0 = time.perf_counter()
    report = TransferReport()
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    total_articles, total_chunks = store.counts()
    try:
        with gzip.open(partial, "wt", encoding="utf-8", compresslevel=6) as fh:
            header = {
                "format": FORMAT,
                "version": FORMAT_VERSION,
                "schema": SCHEMA_VERSION,
                "collection": collection,
                "embedding": embedding,
                "dimension": None,
                "created": datetime.now(UTC).isoformat(timespec="seconds"),
            }
            first = store.article_records(0, 1)
            if first:
                header["dimension"] = int(first[0].embedding.shape[0])
            fh.write(json.dumps(header, ensure_ascii=False) + "\n")
            for offset in range(0, total_articles, PAGE):
                articles = store.article_records(offset, PAGE)
                chunks = store.chunk_records([a.id for a in articles])
                kept = store.kept_records([a.id for a in articles])
                by_article: dict[str, list[Record]] = {}
                for c in chunks:
                    by_article.setdefault(str(c.metadata["article_id"]), []).append(c)
                for a in articles:
                    for c in by_article.get(a.id, []):
                        fh.write(json.dumps({"chunk": _row(c)}, ensure_ascii=False) + "\n")
                        report.chunks += 1
                    fh.write(json.dumps({"article": _row(a)}, ensure_ascii=False) + "\n")
                    report.articles += 1
                    if a.id in kept:
                        row = {"id": a.id, **kept[a.id]}
                        fh.write(json.dumps({"kept": row}, ensure_ascii=False) + "\n")
                        report.kept += 1
            end = {"articles": report.articles, "chunks": report.chunks, "kept": report.kept}
            fh.write(json.dumps({"end": end}) + "\n")
        os.replace(partial, path)
    except OSError as e:
        partial.unlink(missing_ok=True)
        raise TransferError(
            f"cannot write the export {path}: {e}; check the folder and its free space"
        ) from e
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    report.left_out = max(0, total_chunks - report.chunks)
    report.bytes = path.stat().st_size
    report.seconds = time.perf_counter() - t0
    return report


def _lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each line of the export; damage is a TransferError."""
    n = 0
    try:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                try:
                    obj = json.loads(line)
                except ValueError as e:
                    raise TransferError(f"{path}, line {n}, is not JSON ({e})") from e
                if not isinstance(obj, dict):
                    raise TransferError(f"{path}, line {n}, is not a JSON object")
                yield n, obj
    except FileNotFoundError:
        raise TransferError(f"{path} does not exist") from None
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as e:
        raise TransferError(
            f"{path} is damaged after line {n} ({type(e).__name__}: {e}); the whole articles "
            "before the damage are imported: export the store again"
        ) from e


def check_header(header: dict[str, Any], path: Path, embedding: str) -> None:
    """Refuse a file that is not an export, from a newer version, or of other vectors."""
    if header.get("format") != FORMAT:
        raise TransferError(f"{path} is not an assistant export (no {FORMAT!r} header line)")
    version = header.get("version")
    if not isinstance(version, int) or version < 1:
        raise TransferError(f"{path} has an unknown export format version {version!r}")
    if version > FORMAT_VERSION:
        raise TransferError(
            f"{path} is export format version {version}, newer than this assistant reads "
            f"({FORMAT_VERSION}): upgrade the assistant to import it"
        )
    schema = header.get("schema")
    if schema != SCHEMA_VERSION:
        newer = isinstance(schema, int) and schema > SCHEMA_VERSION
        raise TransferError(
            f"{path} holds a store of layout version {schema!r}, "
            + (
                f"newer than this assistant's {SCHEMA_VERSION}: upgrade the assistant"
                if newer
                else f"which this assistant (layout {SCHEMA_VERSION}) cannot read"
            )
        )
    if embedding and header.get("embedding") and header["embedding"] != embedding:
        raise TransferError(
            f"{path} was embedded with {header['embedding']}, this assistant embeds with "
            f"{embedding}: set ASSISTANT_EMBEDDING_BACKEND/MODEL to match, then import"
        )


def import_store(store: Store, path: Path, embedding: str) -> TransferReport:
    """Write every article of the export at ``path`` into ``store``, ids and vectors as they
    were. Idempotent: articles already stored under the same id are replaced."""
    t0 = time.perf_counter()
    path = Path(path)
    report = TransferReport(bytes=path.stat().st_size if path.exists() else 0)
    lines = _lines(path)
    first = next(lines, None)
    if first is None:
        raise TransferError(f"{path} is empty: not an assistant export")
    check_header(first[1], path, embedding)
    articles: list[Record] = []
    chunks: list[Record] = []
    kept: dict[str, dict[str, str]] = {}
    waiting: list[Record] = []  # chunks read before their article
    end: Any = None
    last = ""  # the id of the last article read (a kept line belongs to it)

    def flush() -> None:
        if articles:
            stored = store.hashes([a.id for a in articles])
            store.put_records(articles, chunks)
            report.replaced += len(stored)
            report.articles += len(articles)
            report.chunks += len(chunks)
            articles.clear()
            chunks.clear()
        if kept:  # derived data, after the articles it belongs to (written before it)
            store.put_kept_records(kept)
            report.kept += len(kept)
            kept.clear()

    try:
        for n, obj in lines:
            if end is not None:
                raise TransferError(f"{path}, line {n}: data after the end record")
            try:
                if "chunk" in obj:
                    waiting.append(_record(obj["chunk"]))
                elif "article" in obj:
                    a = _record(obj["article"])
                    if any(c.metadata.get("article_id") != a.id for c in waiting):
                        raise TransferError(
                            f"{path}, line {n}: chunks of another article before {a.id}"
                        )
                    articles.append(a)
                    last = a.id
                    chunks.extend(waiting)
                    waiting = []
                    if len(articles) >= PAGE:
                        flush()
                elif "kept" in obj:
                    row = obj["kept"]
                    if row["id"] != last or not last:
                        raise TransferError(
                            f"{path}, line {n}: kept sentence data of {row['id']} does not "
                            "follow its article"
                        )
                    kept[str(row["id"])] = {
                        "packed": str(row["packed"]),
                        "speech": str(row["speech"]),
                    }
                elif "end" in obj:
                    end = obj["end"]
                else:
                    raise TransferError(f"{path}, line {n}: not a chunk, article or end record")
            except (KeyError, TypeError, ValueError) as e:
                raise TransferError(
                    f"{path}, line {n}: malformed record ({type(e).__name__}: {e})"
                ) from e
    except TransferError:
        flush()  # what came before the damage is whole articles: keep them
        raise
    flush()
    if end is None:
        raise TransferError(
            f"{path} is truncated (no end record): the {report.articles} whole articles in "
            "it were imported; export the store again"
        )
    if not isinstance(end, dict):
        raise TransferError(f"{path}: the end record is not an object ({end!r}): export it again")
    found = {"articles": report.articles, "chunks": report.chunks}
    if "kept" in end:  # version 2
        found["kept"] = report.kept
    if waiting or end != found:
        raise TransferError(
            f"{path} says it holds {end} but has {report.articles} articles and "
            f"{report.chunks} chunks (+{len(waiting)} without an article): export it again"
        )
    report.seconds = time.perf_counter() - t0
    return report


@dataclass
class Audit:
    """A store's consistency: every stored article has exactly its chunks, each slicing its
    text; ``orphans`` are chunks of articles whose record was never written (a killed ingest
    leaves them; the next run of that ingest replaces them)."""

    articles: int
    chunks: int
    broken: list[str]  # article ids whose chunks are missing, extra or do not slice the text
    orphans: list[str]  # article ids with chunks but no record

    @property
    def consistent(self) -> bool:
        return not self.broken


def audit(store: Store) -> Audit:
    """Check every article against its chunks (for tests, the fault benchmark and operators)."""
    stored = {s.ref.article_id: s.n_chunks for s in store.list_articles()}
    by_article: dict[str, list[Any]] = {}
    n_chunks = 0
    for chunk, _ in store.iter_chunks():
        by_article.setdefault(chunk.article_id, []).append(chunk)
        n_chunks += 1
    broken = []
    for aid, n in stored.items():
        got = sorted(by_article.get(aid, []), key=lambda c: c.index)
        if [c.index for c in got] != list(range(n)):
            broken.append(aid)
            continue
        text = store.get_texts([aid]).get(aid, "")
        if any(text[c.start : c.end] != c.text for c in got):
            broken.append(aid)
    orphans = sorted(a for a in by_article if a not in stored)
    return Audit(len(stored), n_chunks, sorted(broken), orphans)
