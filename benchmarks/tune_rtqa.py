"""Choose fusion and answer weights on the RTQA dev questions (never the hidden set).

Retrieval runs once per question (dense and BM25 top-N cached); fusion variants and answer
weight variants are then scored offline. Prints a table per variant.

    python benchmarks/tune_rtqa.py [--limit N]
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from dataclasses import replace
from datetime import date
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.answer import extractive  # noqa: E402
from assistant.dates import date_filter  # noqa: E402
from assistant.evaluate import earliest_choice, normalize  # noqa: E402
from assistant.retrieve import FusionConfig, collapse_duplicates, fuse  # noqa: E402
from assistant.service import Assistant  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from assistant.types import Filters  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--questions",
                    default=str(ROOT.parent / "shared/bench/rtqa/questions-dev.jsonl"))
    ap.add_argument("--collection", default="eval-corpus")
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--depth", type=int, default=100)
    ap.add_argument("--fusion-grid", default="[[20, 60], [1.0, 1.5], [0.0, 0.5, 1.0, 2.0], "
                    "[7.0, 30.0]]", help="JSON lists: rrf_k, lexical weight, recency, half-life")
    args = ap.parse_args()
    base = Settings()
    a = Assistant(base.model_copy(update={"data_dir": base.data_dir / "eval",
                                          "collection": args.collection}))
    with open(args.questions) as fh:
        qs = [json.loads(line) for line in fh][: args.limit]
    cached = []
    for q in qs:
        ref = date.fromisoformat(q["date"])
        since, until, query = date_filter(q["question"], ref)
        f = Filters(until=ref)
        if since or until:
            f = f.merged(Filters(since=since, until=until))
        vec = a.embedder.embed_cached([query])[0]
        dense = a.dense(vec, a.lexical(), f)  # the service's own dense path
        lex = a.lexical().search(query, args.depth, f)
        cached.append((q, ref, dense, lex))
    print(f"{len(cached)} questions cached", file=sys.stderr)

    def retrieval(cfg: FusionConfig, k: int = 10) -> tuple[dict[str, float], list]:
        hit = {1: 0, 5: 0, 10: 0}
        mrr = ctx5 = ctx10 = mc5 = 0.0
        gold_n = 0
        runs = []
        for q, ref, dense, lex in cached:
            ps = collapse_duplicates(fuse(dense[: 50], lex[: 50], cfg, ref)[: k * 3])[:k]
            runs.append(ps)
            gold = set(q["gold_doc_ids"])
            if gold:
                gold_n += 1
                r = next((i for i, p in enumerate(ps, 1) if p.ref.article_id in gold), None)
                if r:
                    mrr += 1 / r
                    for kk in hit:
                        hit[kk] += r <= kk
            t = normalize(q["answer"])
            r2 = next((i for i, p in enumerate(ps, 1) if t in normalize(p.chunk.text)), None)
            ctx5 += bool(r2 and r2 <= 5)
            ctx10 += bool(r2)
            mc5 += earliest_choice(q["choices"], [p.chunk.text for p in ps[:5]]) == q["answer"]
        n = len(cached)
        return ({**{f"hit@{kk}": v / gold_n for kk, v in hit.items()}, "mrr": mrr / gold_n,
                 "ctx@5": ctx5 / n, "ctx@10": ctx10 / n, "mc5": mc5 / n}, runs)

    best = None
    for rrf_k, lw, rw, hl in itertools.product(*json.loads(args.fusion_grid)):
        if rw == 0 and hl != 7.0:
            continue
        cfg = FusionConfig(rrf_k=rrf_k, lexical_weight=lw, recency_weight=rw,
                           recency_half_life_days=hl)
        m, runs = retrieval(cfg)
        print(json.dumps({"rrf_k": rrf_k, "lex_w": lw, "rec_w": rw, "half_life": hl,
                          **{k: round(v, 3) for k, v in m.items()}}))
        key = m["mrr"] + m["ctx@5"]
        if best is None or key > best[0]:
            best = (key, cfg, runs)
    assert best is not None
    print("best fusion:", best[1], file=sys.stderr)
    runs = best[2]
    # answer weights
    prepared = []
    qas = {}
    texts_of = {}
    for (q, _ref, _d, _l), ps in zip(cached, runs, strict=True):
        texts = a.texts([p.ref.article_id for p in ps])
        qa = extractive.analyse(q["question"])
        qas[q["id"]] = qa
        texts_of[q["id"]] = texts
        cands = extractive.candidates(ps, texts, a.speakers)
        extractive.score(qa, cands, a.embedder.embed_cached, extractive.Weights())
        prepared.append((q, cands))
    grid = {
        "lexical": (1.0, 1.5, 2.5),
        "passage": (0.3, 0.5, 0.8),
        "answer_type": (0.15,),
        "novelty": (0.08,),
        "extend": (0, 1),
    }
    for vals in itertools.product(*grid.values()):
        opts = dict(zip(grid, vals, strict=True))
        ext = opts.pop("extend")
        w = replace(extractive.Weights(), **opts)
        inq = mc = 0
        for q, cands in prepared:
            for c in cands:
                c.score = sum(getattr(w, k) * v for k, v in c.features.items())
            grow = None
            if ext:  # as the service does: grow each quote before the overlap checks
                qa, tx = qas[q["id"]], texts_of[q["id"]]
                grow = partial(extractive.extend_one, qa, texts=tx, cache=a.speakers)
            chosen = extractive.select(cands, 3, grow=grow)
            t = normalize(q["answer"])
            shown = [c.text for c in chosen]
            inq += any(t in normalize(s) for s in shown)
            mc += earliest_choice(q["choices"], shown) == q["answer"]
        n = len(prepared)
        print(json.dumps({**dict(zip(grid, vals, strict=True)),
                          "in_quotes": round(inq / n, 3), "mc": round(mc / n, 3)}))


if __name__ == "__main__":
    main()


def calibrate(results_file: Path) -> None:
    """Abstention threshold: answered-with-answer vs abstained-with-answer per threshold."""
    data = json.loads(results_file.read_text())["results"]
    for th in (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35):
        answered = [r for r in data if r["confidence"] >= th]
        lost = [r for r in data if r["confidence"] < th and r["in_context"]]
        print(json.dumps({"threshold": th, "abstain": round(1 - len(answered) / len(data), 3),
                          "lost_answerable": len(lost)}))
