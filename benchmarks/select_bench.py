"""Quote selection A/B and warm `ask` latency on an RTQA store (issue 11).

    # 1) ask every question twice through `Assistant.ask` (first pass: sentence vectors not
    #    yet kept; second pass: warm), keep the retrieved passages and sentence vectors
    #    (with ASSISTANT_SENTENCE_VECTORS=ingest the first pass reads the vectors and the
    #    speakers kept with the store; --no-kept-speech works the speakers out instead):
    ASSISTANT_DATA_DIR=/work/select-data python benchmarks/select_bench.py prepare \\
        --corpus /work/rtqa-slice/corpus.jsonl.gz --questions questions-dev.jsonl --out sel.pkl
    # 2) re-answer from the kept passages with the selection as it is now (fast: retrieval and
    #    sentence vectors reused), metrics on both halves of the questions (by id hash):
    python benchmarks/select_bench.py score --out sel.pkl [--set feature=0 ...]

The halves: a question's half is the parity of the first byte of sha1(id). Weights were
changed only when a variant helped on half A and was then checked on half B.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import statistics
import sys
import time
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.answer.base import AnswerRequest  # noqa: E402
from assistant.answer.extractive_answerer import ExtractiveAnswerer  # noqa: E402
from assistant.evaluate import (  # noqa: E402
    eval_settings,
    load_jsonl,
    rtqa_metrics,
    score_rtqa,
)
from assistant.service import Assistant  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from assistant.types import Filters  # noqa: E402


def half(qid: str) -> str:
    return "A" if hashlib.sha1(qid.encode()).digest()[0] % 2 == 0 else "B"


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(q * (len(xs) - 1)))]


def as_of(q: dict[str, Any]) -> date | None:
    if q.get("as_of"):
        return date.fromisoformat(q["as_of"])
    return date.fromisoformat(q["date"]) if q.get("date") else None


def prepare(args: argparse.Namespace) -> None:
    corpus = Path(args.corpus)
    a = Assistant(eval_settings(Settings(), corpus))
    a.ingest([str(corpus)])
    if args.no_kept_speech:  # A/B: attribution worked out on first touch, as before it was kept
        a.speakers.stored = None
    rows = load_jsonl(Path(args.questions))[: args.limit]
    a.ask(rows[0]["question"])  # the model, the BM25 index
    kept: dict[str, Any] = {}
    timings: dict[str, list[float]] = {"first": [], "second": []}
    for label in ("first", "second"):
        for q in rows:
            t0 = time.perf_counter()
            ans = a.ask(q["question"], as_of=as_of(q))
            timings[label].append((time.perf_counter() - t0) * 1000)
            kept[q["id"]] = ans.passages
    lat = {
        k: {"p50_ms": statistics.median(v), "p95_ms": pct(v, 0.95), "n": len(v)}
        for k, v in timings.items()
    }
    print(json.dumps({"ask_latency": lat, "span_vectors": len(a.vectors)}, indent=1))
    vecs = dict(a.vectors._lru._data)
    with open(args.out, "wb") as fh:
        pickle.dump({"rows": rows, "passages": kept, "vectors": vecs, "latency": lat}, fh)


def score(args: argparse.Namespace) -> None:
    with open(args.out, "rb") as fh:
        kept = pickle.load(fh)
    corpus = Path(args.corpus)
    a = Assistant(eval_settings(Settings(), corpus))
    for key, val in kept["vectors"].items():
        a.vectors._lru.put(key, val)
    for variant in args.set or [""]:
        weights, threshold = a.weights, a.settings.abstain_threshold
        for kv in filter(None, variant.split(",")):
            name, value = kv.split("=")
            if name == "threshold":
                threshold = float(value)
            else:
                weights = replace(weights, **{name: float(value)})
        run_variant(a, kept, weights, threshold)


def run_variant(a: Assistant, kept: dict[str, Any], weights: Any, threshold: float) -> None:
    """Metrics per half; abstention judged from each answer's confidence, so the quotes an
    abstained question would have shown are known ("would_be_in_quotes": at most .10)."""
    never = ExtractiveAnswerer(
        a.texts,
        a.speakers,
        a.embedder.embed_cached,
        a.settings.max_quotes,
        -1e9,
        weights,
        a.vectors,
    )
    results: dict[str, list[Any]] = {"A": [], "B": [], "all": []}
    would: dict[str, list[bool]] = {"A": [], "B": [], "all": []}
    for q in kept["rows"]:
        passages = kept["passages"][q["id"]]
        request = AnswerRequest(
            q["question"], tuple(passages), q["question"], Filters(until=as_of(q))
        )  # "as of" reaches the answerer as the filters' upper bound, as in `ask`
        ans = never.answer(request)
        r = score_rtqa(q, ans, 0.0)
        if ans.confidence < threshold or not ans.quotes:
            for h in (half(str(q["id"])), "all"):
                would[h].append(r.in_quotes)
            r.abstained, r.in_quotes, r.mc_quotes, r.quotes = True, False, None, []
        results[half(str(q["id"]))].append(r)
        results["all"].append(r)
    keys = ("answer_in_quotes", "mc_accuracy", "abstention_rate")
    out = {h: {k: round(rtqa_metrics(rs)[k], 3) for k in keys} for h, rs in results.items()}
    for h, rs in results.items():
        out[h]["n"] = len(rs)
        out[h]["abstained_would_be_in_quotes"] = round(sum(would[h]) / max(1, len(would[h])), 3)
    print(
        json.dumps({"weights": weights.__dict__, "threshold": threshold, "metrics": out}),
        flush=True,
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("step", choices=["prepare", "score"])
    ap.add_argument("--corpus", default="/work/rtqa-slice/corpus.jsonl.gz")
    ap.add_argument(
        "--questions", default=str(ROOT.parent / "shared/bench/rtqa/questions-dev.jsonl")
    )
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument(
        "--no-kept-speech",
        action="store_true",
        help="prepare: ignore the sentence splits and speakers kept with the store "
        "(ASSISTANT_SENTENCE_VECTORS=ingest) and work them out on first touch",
    )
    ap.add_argument("--out", default="/work/select-data/select-bench.pkl")
    ap.add_argument(
        "--set", action="append", help="a variant (repeatable): weights, e.g. near=0.3,agree=0.2"
    )
    args = ap.parse_args()
    (prepare if args.step == "prepare" else score)(args)


if __name__ == "__main__":
    main()
