"""Answer quality and latency on the RTQA dev questions (wraps `assistant eval rtqa`).

    python benchmarks/rtqa_bench.py [--limit N] [--no-dates]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.evaluate import eval_settings, run_eval  # noqa: E402
from assistant.service import Assistant  # noqa: E402
from assistant.settings import Settings  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared/bench/rtqa/corpus.jsonl.gz"))
    ap.add_argument("--questions",
                    default=str(ROOT.parent / "shared/bench/rtqa/questions-dev.jsonl"))
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--no-dates", action="store_true")
    args = ap.parse_args()
    if not Path(args.corpus).exists():
        sys.exit(f"corpus not found: {args.corpus} (the benchmark data lives in ../shared/bench)")
    corpus = Path(args.corpus)
    assistant = Assistant(eval_settings(Settings(), corpus))
    metrics = run_eval("rtqa", assistant, questions=Path(args.questions), corpus=corpus,
                       limit=args.limit, use_dates=not args.no_dates)
    print(json.dumps(metrics, indent=1))


if __name__ == "__main__":
    main()
