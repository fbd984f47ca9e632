"""Give an existing store the sentence vectors and analyses that ``sentence_vectors="ingest"``
keeps.

    python benchmarks/build_sentence_vectors.py --data /work/scale-speed [--collection news]

For a store ingested before the setting existed (``assistant ingest --force`` does the same
but re-encodes every chunk too): for each stored article, the spans the extractive answerer
would consider in its chunks (``Assistant.sentence_spans``), encoded as ingest encodes them
and written to ``<collection>_sentences`` with the article's sentence splits and speakers. Articles with the same text (the scale store's
copies, syndicated duplicates) are analysed and encoded once. The store's generation is not
changed (the vectors are derived data), so the BM25 cache stays valid.
Prints one JSON object: articles, distinct texts, spans, seconds.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.answer.vectors import text_hash  # noqa: E402
from assistant.embed import SHORT_BATCH  # noqa: E402
from assistant.service import Assistant  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from assistant.types import Article, Chunk  # noqa: E402

GROUP = 200  # articles per write


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--collection", default="news")
    args = ap.parse_args()
    t0 = time.perf_counter()
    a = Assistant(Settings(data_dir=args.data, collection=args.collection))
    chunks: dict[str, list[Chunk]] = {}
    for chunk, _ in a.lexical().records:  # the BM25 index's records: from its disk cache
        chunks.setdefault(chunk.article_id, []).append(chunk)
    by_text: dict[str, tuple[Any, Any, str]] = {}  # text sha1 -> spans, vecs, analysis
    ids = sorted(chunks)
    spans_total = 0
    for g in range(0, len(ids), GROUP):
        part = ids[g : g + GROUP]
        texts = a.store.get_texts(part)
        rows = []
        for aid in part:
            text = texts.get(aid)
            if text is None:
                continue
            cs = sorted(chunks[aid], key=lambda c: c.index)
            key = hashlib.sha1((text + repr([(c.start, c.end) for c in cs])).encode()).hexdigest()
            if key not in by_text:
                spans, speech = a.kept_analysis(Article(aid, "", text), cs)
                vecs = a.embedder.embed([t for _, _, t in spans], SHORT_BATCH)
                by_text[key] = (spans, vecs, speech)
            spans, vecs, speech = by_text[key]
            rows.append((aid, [(s, e, text_hash(t)) for s, e, t in spans], vecs, speech))
            spans_total += len(spans)
        a.store.put_span_vectors(rows)  # type: ignore[arg-type]
        print(f"{g + len(part)}/{len(ids)} articles", file=sys.stderr, flush=True)
    print(json.dumps({"articles": len(ids), "distinct_texts": len(by_text), "spans": spans_total,
                      "seconds": round(time.perf_counter() - t0, 1)}))


if __name__ == "__main__":
    main()
