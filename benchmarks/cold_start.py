"""CLI cold start: `assistant ask "..."` and `assistant --help` from a shell, repeated.

    python benchmarks/cold_start.py [--runs 5] [--compare /path/to/other/checkout]
        [--question "..."] [--data DIR]

Ingests the seed corpus (corpus/) into a fresh store (or uses --data), then starts a new
interpreter for each run, as a shell would, and reports the median and spread of wall time and
of CPU time (user + system of the child: less sensitive to other work on the machine), plus
the time of each phase of one `ask` measured inside a fresh interpreter. With --compare, the
same commands run from another checkout (e.g. the previous version) in the same session,
interleaved run by run, so the ratio is measured under the same machine load.
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
import tempfile
import time
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "What does Russia require before talks?"

# One `ask` split into phases, in a fresh interpreter (the order the CLI does them in).
PHASES = r"""
import json, sys, time
clock = lambda: (time.perf_counter(), time.process_time())
t0 = start = clock()
laps = {}
def lap(name):
    global t0
    t = clock()
    laps[name] = [round(1000 * (t[0] - t0[0])), round(1000 * (t[1] - t0[1]))]
    t0 = t
import assistant.cli; lap("import cli (typer, rich)")
from assistant.service import Assistant; lap("import service (settings, numpy, parts)")
from assistant.settings import Settings
a = Assistant(Settings()); lap("Assistant()")
a.store.counts(); lap("import chromadb + open store")
a.lexical(); lap("BM25 index (bm25s, scipy; cached on disk)")
a.embedder.model; lap("encoder (onnxruntime session)")
answer = a.ask(sys.argv[1]); lap("answer (first: embeds candidate sentences)")
t = clock()
laps["total"] = [round(1000 * (t[0] - start[0])), round(1000 * (t[1] - start[1]))]
print(json.dumps(laps))
"""


def timed(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """Wall and child CPU seconds of one run (which must succeed)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=300)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def summary(xs: list[float]) -> dict[str, float]:
    return {"median": round(statistics.median(xs), 3), "min": round(min(xs), 3),
            "max": round(max(xs), 3)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--question", default=QUESTION)
    ap.add_argument("--data", type=Path, default=None, help="an existing store (else seeded)")
    ap.add_argument("--compare", type=Path, default=None, help="another checkout to time too")
    args = ap.parse_args()

    base = {**os.environ, "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False",
            "GRADIO_ANALYTICS_ENABLED": "False", "COLUMNS": "120"}
    data = args.data or Path(tempfile.mkdtemp(prefix="cold-start-")) / "data"
    base["ASSISTANT_DATA_DIR"] = str(data)
    checkouts = {"this": ROOT} | ({"compare": args.compare.resolve()} if args.compare else {})

    def env_for(root: Path) -> dict[str, str]:
        return {**base, "PYTHONPATH": str(root)}

    cli = [sys.executable, "-m", "assistant.cli"]
    if args.data is None:  # seed the store; this also exports the ONNX model if not cached
        subprocess.run([*cli, "ingest", str(ROOT / "corpus")], env=env_for(ROOT), cwd=ROOT,
                       check=True, capture_output=True)
    commands = {"help": ["--help"], "ask": ["ask", args.question]}
    for root in checkouts.values():  # one unmeasured run each: files in the page cache
        for c in commands.values():
            timed([*cli, *c], env_for(root), root)

    load_before = os.getloadavg()
    walls: dict[str, list[float]] = {}
    cpus: dict[str, list[float]] = {}
    for _ in range(args.runs):
        for label, root in checkouts.items():
            for name, c in commands.items():
                w, u = timed([*cli, *c], env_for(root), root)
                walls.setdefault(f"{label} {name}", []).append(w)
                cpus.setdefault(f"{label} {name}", []).append(u)
    load_after = os.getloadavg()

    phases = [json.loads(subprocess.run(
        [sys.executable, "-c", PHASES, args.question], env=env_for(ROOT), cwd=ROOT, check=True,
        capture_output=True, text=True).stdout) for _ in range(args.runs)]
    result = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}",
        "versions": {p: metadata.version(p) for p in ("chromadb", "onnxruntime", "typer")},
        "load_average_before_after": [round(load_before[0], 2), round(load_after[0], 2)],
        "runs": args.runs,
        "wall_s": {k: summary(v) for k, v in walls.items()},
        "cpu_s": {k: summary(v) for k, v in cpus.items()},
        "ask_phases_ms_median_wall_cpu": {
            k: [statistics.median(p[k][0] for p in phases), statistics.median(p[k][1] for p in phases)]
            for k in phases[0]
        },
    }
    if args.compare:
        result["ask_speedup_wall"] = round(
            statistics.median(walls["compare ask"]) / statistics.median(walls["this ask"]), 2)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
