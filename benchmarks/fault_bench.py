"""A SIGKILL campaign: `Assistant.ingest` killed with SIGKILL at random points, again and
again, each kill followed by a consistency audit; then a rerun that must end with exact
article and chunk counts, no leftovers and the BM25 index in step.

    PYTHONPATH=. .venv/bin/python benchmarks/fault_bench.py --kills 12 --seed 1

Each kill is either *after progress* (once k more articles were written, a random delay of
0-0.8 s, so it lands mid-embed, mid-write or mid-read) or *at a random time* after the
process started (model loading, reading, the hash check). Results: docs/reliability.md.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = """
import os, random, signal, sys, threading, time
from pathlib import Path
from assistant.service import Assistant
from assistant.settings import Settings
data, folder, mode, arg, delay = sys.argv[1:6]
a = Assistant(Settings(data_dir=Path(data)))
def die(after):
    time.sleep(after)
    os.kill(os.getpid(), signal.SIGKILL)
if mode == "time":
    threading.Thread(target=die, args=(float(arg),), daemon=True).start()
armed = []
def progress(report):
    if mode == "progress" and not armed and report.added + report.updated >= int(arg):
        armed.append(1)
        threading.Thread(target=die, args=(float(delay),), daemon=True).start()
r = a.ingest([folder], progress=progress)
print("finished", r.added, r.skipped, flush=True)
"""

AUDIT = """
import json, sys
from pathlib import Path
from assistant.service import Assistant
from assistant.settings import Settings
from assistant.text import chunk_article
from assistant.transfer import audit
a = Assistant(Settings(data_dir=Path(sys.argv[1])))
c = audit(a.store)
out = {"articles": c.articles, "chunks": c.chunks, "broken": c.broken, "orphans": len(c.orphans)}
if sys.argv[2] == "full":
    s = a.settings
    want = 0
    for st in a.store.list_articles():
        art = a.article(st.ref.article_id)
        want += len(chunk_article(art.id, art.text, s.chunk_words, s.chunk_overlap_sentences))
    lex = a.lexical()
    ids = {ch.id for ch, _ in a.store.iter_chunks()}
    out.update(expected_chunks=want, lexical=len(lex), lexical_ids_match=set(lex.by_id) == ids)
print(json.dumps(out))
"""


def write_articles(folder: Path, n: int, rng: random.Random) -> None:
    """``n`` Markdown articles of 3 to 40 sentences (1 to ~6 chunks each)."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        body = " ".join(
            f"Article {i} sentence {j} says the port authority of town {i} met on day {j}."
            for j in range(rng.randint(3, 40))
        )
        head = f'---\ntitle: "Story {i}"\nsource: Fault Wire\npublished: 2024-02-{1 + i % 28:02d}\n---\n'
        (folder / f"story{i:04d}.md").write_text(head + body + "\n")


def run(code: str, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


def audit(data: Path, full: bool = False) -> dict[str, object]:
    proc = run(AUDIT, str(data), "full" if full else "quick")
    if proc.returncode != 0:
        raise SystemExit(f"audit failed: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kills", type=int, default=12)
    ap.add_argument("--articles", type=int, default=240)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    tmp = Path(tempfile.mkdtemp(prefix="fault-bench-"))
    folder, data = tmp / "news", tmp / "data"
    write_articles(folder, args.articles, rng)
    print(f"{args.articles} articles in {folder}; store {data}")
    print("| kill | how | killed after s | stored articles | chunks | orphan articles | broken |")
    print("|---|---|---|---|---|---|---|")
    kills = finished = 0
    t_all = time.perf_counter()
    while kills < args.kills:
        if rng.random() < 0.5:
            mode, arg, delay = "time", f"{rng.uniform(0.5, 12):.2f}", "0"
            how = f"at {arg} s"
        else:
            mode, arg, delay = "progress", str(rng.randint(1, 24)), f"{rng.uniform(0, 0.8):.2f}"
            how = f"{arg} articles written + {delay} s"
        t0 = time.perf_counter()
        proc = run(CHILD, str(data), str(folder), mode, arg, delay)
        took = time.perf_counter() - t0
        if proc.returncode == 0:
            finished += 1
            print(f"| – | {how}: the ingest finished first | {took:.1f} | | | | |")
            break
        if proc.returncode != -9:
            raise SystemExit(f"the child failed: {proc.stderr[-3000:]}")
        kills += 1
        c = audit(data)
        print(
            f"| {kills} | {how} | {took:.1f} | {c['articles']} | {c['chunks']} | {c['orphans']} | {len(c['broken'])} |"
        )  # type: ignore[arg-type]
        if c["broken"]:
            raise SystemExit(f"an article with partial chunks after kill {kills}: {c['broken']}")
    proc = run(CHILD, str(data), str(folder), "none", "0", "0")
    if proc.returncode != 0:
        raise SystemExit(f"the rerun failed: {proc.stderr[-3000:]}")
    final = audit(data, full=True)
    print(f"\nrerun: {proc.stdout.strip()}; final audit: {json.dumps(final)}")
    ok = (
        final["articles"] == args.articles
        and final["chunks"] == final["expected_chunks"] == final["lexical"]
        and final["orphans"] == 0
        and not final["broken"]
        and final["lexical_ids_match"]
    )
    print(f"{kills} kills; {'PASS' if ok else 'FAIL'} in {time.perf_counter() - t_all:.0f} s")
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
