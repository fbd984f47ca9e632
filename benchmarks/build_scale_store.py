"""Build a 100k+ passage store for the scale benchmark from an already embedded store.

    python benchmarks/build_scale_store.py --source /work/rtqa-data/eval \
        --source-collection eval-rtqa --dest /work/scale-data [--copies 2]

Nothing is re-embedded: every chunk (id, embedding, text, metadata) and every article record
of the source store is written ``--copies`` times into a new store, each copy under new ids
(``c1-<id>``, ``c2-<id>``, ...) with its publication dates shifted forward by whole spans of
the source's dates (copy k by k x (last - first + 1) days), so the copies read as successive
years of news rather than duplicates of the same days. The source is first copied to a
temporary folder and read from there, so the source store is never opened for writing.
Prints one JSON object: chunks and articles written, seconds, the shift per copy.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import chromadb  # noqa: E402
from chromadb.config import Settings as ChromaSettings  # noqa: E402

from assistant.store import PAGE, ChromaStore  # noqa: E402


def shifted(meta: dict[str, Any], days: int, prefix: str) -> dict[str, Any]:
    """Metadata of a chunk or article record, moved ``days`` later and renamed."""
    out = dict(meta)
    if out.get("published"):
        d = date.fromisoformat(str(out["published"])) + timedelta(days=days)
        out["published"] = d.isoformat()
        out["published_ord"] = d.toordinal()
    if "article_id" in out:
        out["article_id"] = prefix + str(out["article_id"])
    if "content_hash" in out:
        out["content_hash"] = hashlib.sha1(f"{prefix}{out['content_hash']}".encode()).hexdigest()
    return out


def pages(collection: Any, include: list[str]) -> Any:
    total = collection.count()
    for off in range(0, total, PAGE):
        yield collection.get(limit=PAGE, offset=off, include=include)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--source", type=Path, required=True, help="data dir holding chroma/")
    ap.add_argument("--source-collection", required=True)
    ap.add_argument("--dest", type=Path, required=True, help="new data dir (must not exist)")
    ap.add_argument("--collection", default="news")
    ap.add_argument("--copies", type=int, default=2)
    args = ap.parse_args()
    if args.dest.exists() and any(args.dest.iterdir()):
        sys.exit(f"{args.dest} is not empty; choose a new folder")
    t0 = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="scale-src-"))
    try:
        shutil.copytree(args.source / "chroma", tmp / "chroma")
        # raw collections of Chroma (a benchmark may use them; the package goes through
        # store.py): the source copy as it is, the destination created by ChromaStore itself
        # so that its collections have exactly the assistant's configuration and metadata
        quiet = ChromaSettings(anonymized_telemetry=False)
        src_client = chromadb.PersistentClient(str(tmp / "chroma"), settings=quiet)
        src_chunks = src_client.get_collection(f"{args.source_collection}_chunks")
        src_articles = src_client.get_collection(f"{args.source_collection}_articles")
        embedding = str((src_chunks.metadata or {}).get("embedding", ""))
        ChromaStore(args.dest, args.collection, embedding=embedding).counts()
        dest_client = chromadb.PersistentClient(str(args.dest / "chroma"), settings=quiet)
        dest_chunks = dest_client.get_collection(f"{args.collection}_chunks")
        dest_articles = dest_client.get_collection(f"{args.collection}_articles")
        dates = [
            str(m["published"])
            for page in pages(src_articles, ["metadatas"])
            for m in page["metadatas"]
            if m.get("published")
        ]
        first = date.fromisoformat(min(dates, default="2000-01-01"))
        last = date.fromisoformat(max(dates, default="2000-01-01"))
        span = (last - first).days + 1 if dates else 365
        n_chunks = n_articles = 0
        for k in range(1, args.copies + 1):
            prefix, days = f"c{k}-", k * span
            for page in pages(src_chunks, ["embeddings", "documents", "metadatas"]):
                dest_chunks.add(
                    ids=[prefix + i for i in page["ids"]],
                    embeddings=page["embeddings"],
                    documents=page["documents"],
                    metadatas=[shifted(m, days, prefix) for m in page["metadatas"]],
                )
                n_chunks += len(page["ids"])
            for page in pages(src_articles, ["embeddings", "documents", "metadatas"]):
                dest_articles.add(
                    ids=[prefix + i for i in page["ids"]],
                    embeddings=page["embeddings"],
                    documents=page["documents"],
                    metadatas=[shifted(m, days, prefix) for m in page["metadatas"]],
                )
                n_articles += len(page["ids"])
            print(f"copy {k}: {n_chunks} chunks, {n_articles} articles so far", file=sys.stderr)
        articles, chunks = ChromaStore(args.dest, args.collection, embedding=embedding).counts()
        assert (articles, chunks) == (n_articles, n_chunks), (articles, chunks)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps({
        "source": f"{args.source} ({args.source_collection})", "dest": str(args.dest),
        "collection": args.collection, "copies": args.copies, "chunks": n_chunks,
        "articles": n_articles, "source_dates": [first.isoformat(), last.isoformat()],
        "shift_days_per_copy": span, "seconds": round(time.perf_counter() - t0, 1),
    }))


if __name__ == "__main__":
    main()
