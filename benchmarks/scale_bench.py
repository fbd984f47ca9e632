"""Query latency and memory on a large store (see build_scale_store.py for how it is built).

    python benchmarks/scale_bench.py --data /work/scale-data [--collection news]
        [--questions ../shared/bench/rtqa/questions-dev.jsonl] [--shift-days N] [--limit N]
        [--chroma-url http://127.0.0.1:8000]   (the store served by `chroma run`; the BM25
                                                index still lives under --data)
        [--sentence-vectors query|ingest]      (ingest: use the sentence vectors and speakers
                                                kept with the store, see
                                                build_sentence_vectors.py)
        [--no-kept-speech]                     (with ingest: work the speakers out instead)

Two fresh processes, one after the other:
1. ``prepare``: builds the BM25 index from the store (or finds it on disk) and reports the time
   and peak memory of that step (what a new deployment pays once per store change);
2. ``serve``: loads everything from disk as a server would, answers three warm-up questions,
   then every question twice over: with its date as "as of" (moved by --shift-days into the
   newest copy of the news) and without a date (the second pass finds most candidate
   sentences' vectors cached by the first). Before them, retrieval alone over the dated
   questions (the part that grows with the store). Reports warm `ask` p50/p95/max per pass
   (wall, and CPU time of the process, which moves less with other work on the machine),
   the peak RSS of the serving process, and the size of each bounded cache at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.service import Assistant  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from assistant.types import Filters  # noqa: E402


def rss_mib() -> dict[str, float]:
    """Current and peak resident memory of this process."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"rss_mib": round(pages * os.sysconf("SC_PAGE_SIZE") / 2**20, 1),
            "peak_rss_mib": round(peak_kib / 1024, 1)}


def pct(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return round(s[min(len(s) - 1, int(q * len(s)))], 1)


def prepare(a: Assistant) -> dict[str, Any]:
    t0 = time.perf_counter()
    lex = a.lexical()
    return {"chunks": len(lex), "bm25_seconds": round(time.perf_counter() - t0, 1), **rss_mib()}


def serve(a: Assistant, rows: list[dict[str, Any]], shift: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    t0 = time.perf_counter()
    a.store.counts()
    out["open_store_s"] = round(time.perf_counter() - t0, 2)
    t0 = time.perf_counter()
    lex = a.lexical()
    out["load_bm25_s"] = round(time.perf_counter() - t0, 2)
    out["chunks"] = len(lex)
    out["after_load"] = rss_mib()
    for r in rows[:3]:
        a.ask(r["question"])
    passes = {
        "dated (as of = question date, newest copy)": [
            (r["question"], date.fromisoformat(r["date"]) + timedelta(days=shift)) for r in rows
        ],
        "undated": [(r["question"], None) for r in rows],
    }
    ms = []
    for q, as_of in passes["dated (as of = question date, newest copy)"]:
        t0 = time.perf_counter()
        a.retrieve(q, Filters(until=as_of), ref_date=as_of)
        ms.append(1000 * (time.perf_counter() - t0))
    out["retrieve only, dated (dense + BM25 + fusion, no answer)"] = {
        "p50_ms": pct(ms, 0.5), "p95_ms": pct(ms, 0.95), "max_ms": round(max(ms), 1)}
    for name, qs in passes.items():
        ms = []
        cpu = []
        abstained = 0
        for q, as_of in qs:
            t0, c0 = time.perf_counter(), time.process_time()
            ans = a.ask(q, as_of=as_of)
            ms.append(1000 * (time.perf_counter() - t0))
            cpu.append(1000 * (time.process_time() - c0))
            abstained += ans.abstained
        out[name] = {"questions": len(ms), "p50_ms": pct(ms, 0.5), "p95_ms": pct(ms, 0.95),
                     "max_ms": round(max(ms), 1), "mean_ms": round(statistics.mean(ms), 1),
                     "cpu_p50_ms": pct(cpu, 0.5), "cpu_p95_ms": pct(cpu, 0.95),
                     "abstained": abstained}
    out["end"] = rss_mib()
    out["caches"] = {"article_texts": len(getattr(a, "_texts", ())),
                     "query_vectors": len(getattr(a.embedder, "_cache", ())),
                     "sentence_vectors": len(a.vectors),
                     "bm25_chunks": len(lex)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--collection", default="news")
    ap.add_argument("--questions", type=Path,
                    default=ROOT.parent / "shared/bench/rtqa/questions-dev.jsonl")
    ap.add_argument("--shift-days", type=int, default=0, help="added to each question's date")
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--chroma-url", default=None, help="a `chroma run` server holding the store")
    ap.add_argument("--sentence-vectors", choices=["query", "ingest"], default="query")
    ap.add_argument("--step", choices=["all", "prepare", "serve"], default="all")
    ap.add_argument("--no-kept-speech", action="store_true",
                    help="with --sentence-vectors ingest: work out speakers on first touch "
                         "instead of reading them from the store (A/B)")
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    if args.step == "all":
        result: dict[str, Any] = {
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                       f"{platform.python_version()}",
            "load_average_before": round(os.getloadavg()[0], 2),
        }
        for step in ("prepare", "serve"):
            cmd = [sys.executable, __file__, *sys.argv[1:], "--step", step]
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if proc.returncode:
                sys.exit(proc.stderr[-3000:])
            result[step] = json.loads(proc.stdout)
        result["load_average_after"] = round(os.getloadavg()[0], 2)
        print(json.dumps(result, indent=1))
        return
    a = Assistant(Settings(data_dir=args.data, collection=args.collection,
                           chroma_url=args.chroma_url, sentence_vectors=args.sentence_vectors))
    if args.no_kept_speech:
        a.speakers.stored = None
    if args.step == "prepare":
        print(json.dumps(prepare(a)))
        return
    rows = [json.loads(line) for line in args.questions.read_text().splitlines() if line.strip()]
    print(json.dumps(serve(a, rows[: args.limit], args.shift_days)))


if __name__ == "__main__":
    main()
