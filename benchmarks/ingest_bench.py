"""Ingest speed: the whole pipeline versus the raw encoder on the same chunk texts.

    python benchmarks/ingest_bench.py [--corpus ../shared/bench/rtqa/corpus.jsonl.gz]
        [--limit N] [--encoder-sample N] [--backend torch|onnx|onnx-int8]
        [--workers N] [--device auto|cpu|cuda|mps] [--sentence-vectors query|ingest]

Prints one JSON object: articles/s and chunks/s of the ingest (into a fresh store), the raw
encoder's chunks/s on the same chunk texts (the limit: one encode call on the default
settings, every core), their ratio, the ratio to the LangChain tutorial pipeline's articles/s
(../shared/bench/README.md: 2.99 on the whole RTQA corpus), peak memory, store size and the
load average before and after.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.embed import SentenceEmbedder  # noqa: E402
from assistant.ingest import embedding_text  # noqa: E402
from assistant.service import Assistant  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from assistant.sources import Reader  # noqa: E402
from assistant.text import chunk_article  # noqa: E402
from assistant.types import Article  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared/bench/rtqa/corpus.jsonl.gz"))
    ap.add_argument("--limit", type=int, default=None, help="only the first N articles")
    ap.add_argument("--encoder-sample", type=int, default=3000, help="chunks for the raw rate")
    ap.add_argument("--backend", default=Settings().embedding_backend)
    ap.add_argument("--workers", type=int, default=1, help="ASSISTANT_INGEST_WORKERS")
    ap.add_argument("--device", default="auto", help="ASSISTANT_DEVICE")
    ap.add_argument("--sentence-vectors", default="query", choices=["query", "ingest"])
    ap.add_argument("--peer", type=float, default=2.99, help="the peer's articles/s")
    args = ap.parse_args()
    load_before = os.getloadavg()[0]
    if not Path(args.corpus).exists():
        sys.exit(f"corpus not found: {args.corpus} (the benchmark data lives in ../shared/bench)")
    tmp = Path(tempfile.mkdtemp(prefix="ingest-bench-"))
    src = Path(args.corpus)
    if args.limit:
        articles = [a for a in itertools.islice(Reader().read([src]), args.limit)
                    if isinstance(a, Article)]
        src = tmp / "slice.jsonl"
        src.write_text("\n".join(json.dumps({
            "id": a.id, "title": a.title, "text": a.text, "source": a.source,
            "published": a.published.isoformat() if a.published else None, "url": a.url,
        }) for a in articles))
    settings = Settings(data_dir=tmp / "data", embedding_backend=args.backend,
                        ingest_workers=args.workers, device=args.device,
                        sentence_vectors=args.sentence_vectors)
    a = Assistant(settings)
    a.embedder.embed(["warm up"])
    t0 = time.perf_counter()
    report = a.ingest([str(src)])
    wall = time.perf_counter() - t0
    n_articles = report.added + report.updated
    # the raw encoder on a sample of the same chunk texts, in the same process
    texts: list[str] = []
    for art in Reader().read([src]):
        if isinstance(art, Article):
            texts += [embedding_text(art, c) for c in chunk_article(
                art.id, art.text, settings.chunk_words, settings.chunk_overlap_sentences)]
        if len(texts) >= args.encoder_sample:
            break
    texts = texts[: args.encoder_sample]
    raw_encoder = a.embedder
    if args.workers > 1:  # the ceiling is the encoder on every core, not one worker's share
        raw_encoder = SentenceEmbedder(backend=args.backend, device=args.device,
                                       cache_dir=settings.model_cache_dir)
        raw_encoder.embed(["warm up"])
    t1 = time.perf_counter()
    raw_encoder.embed(texts)
    raw = len(texts) / (time.perf_counter() - t1)
    result = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                   f"{platform.python_version()}",
        "backend": args.backend,
        "device": a.embedder.resolved_device,
        "workers": args.workers,
        "sentence_vectors": args.sentence_vectors,
        "load_average_before_after": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "articles": n_articles,
        "chunks": report.chunks,
        "seconds": round(wall, 1),
        "articles_per_s": round(n_articles / wall, 2),
        "chunks_per_s": round(report.chunks / wall, 1),
        "raw_encoder_chunks_per_s": round(raw, 1),
        "ratio_to_raw_encoder": round((report.chunks / wall) / raw, 3),
        "x_peer_articles_per_s": round(n_articles / wall / args.peer, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "store_mb": round((a.store.size_bytes() or 0) / 1e6, 1),
        "failed": report.failed,
    }
    print(json.dumps(result, indent=1))
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
