"""What the parse budget costs on ordinary files, and what it saves on hostile ones.

Reads a folder of ordinary HTML pages (a news article with navigation, related links and a
footer, ~25 KB) and PDFs (a few pages of text) with the real ``Reader``, once parsing in this
process (``ASSISTANT_PARSE_SECONDS=0``) and once through the worker process (the default
budget), and times the hostile files of ``tests/test_parse_budget.py`` against the budget.

    PYTHONPATH=. .venv/bin/python benchmarks/parse_budget.py [--html 200] [--pdf 50]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.parsing import WORKER  # noqa: E402
from assistant.sources import Article, Reader  # noqa: E402
from benchmarks.fuzz_parsers import minimal_pdf  # noqa: E402
from tests.test_parse_budget import hostile_html, hostile_pdf  # noqa: E402

SEED = (ROOT / "corpus" / "kirby-russia-talks.md").read_text(encoding="utf-8").split("---")[-1]
PARAS = [p.strip() for p in SEED.split("\n\n") if p.strip()]


def page(i: int) -> str:
    """A news page: header, navigation, the article (the seed's paragraphs), related, footer."""
    nav = "".join(f'<li><a href="/section/{k}">Section {k}</a></li>' for k in range(40))
    related = "".join(
        f'<li><a href="/story/{i}-{k}">Related story {k} about talks</a></li>' for k in range(20)
    )
    body = "".join(f"<p>{p}</p>" for p in PARAS)
    return (
        f"<html><head><title>Story {i}: talks</title><meta name='author' content='Desk {i}'>"
        f"</head><body><header><nav><ul>{nav}</ul></nav></header><main><article>"
        f"<h1>Story {i}: conditions for talks</h1><p class='byline'>By Desk {i}</p>{body}"
        f"</article><aside><ul>{related}</ul></aside></main><footer>{'© News ' * 50}"
        "</footer></body></html>"
    )


def read_all(folder: Path, seconds: float) -> tuple[float, list[float], int]:
    """Seconds for the whole folder, per-file seconds, articles read."""
    reader = Reader(parse_seconds=seconds)
    files = reader.files([folder])
    per: list[float] = []
    n = 0
    t0 = time.perf_counter()
    for f in files:
        t = time.perf_counter()
        n += sum(isinstance(x, Article) for x in reader.read_file(f))
        per.append(time.perf_counter() - t)
    return time.perf_counter() - t0, per, n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--html", type=int, default=200)
    ap.add_argument("--pdf", type=int, default=50)
    ap.add_argument("--budget", type=float, default=30.0)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for i in range(args.html):
            (folder / f"p{i:04}.html").write_text(page(i), encoding="utf-8")
        for i in range(args.pdf):
            text = " ".join(PARAS)[:1500].replace("(", "[").replace(")", "]")
            (folder / f"d{i:04}.pdf").write_bytes(minimal_pdf(text))
        t = time.perf_counter()
        Reader(parse_seconds=args.budget).parser.html(page(0), "warm.html")
        start = time.perf_counter() - t
        print(f"worker start (first parse, once per process): {start:.2f} s")
        runs: dict[str, list[tuple[float, float, int]]] = {"in-process": [], "worker": []}
        for _ in range(args.rounds):  # alternated, the fastest round kept (a shared machine)
            for label, seconds in (("in-process", 0.0), ("worker", args.budget)):
                total, per, n = read_all(folder, seconds)
                runs[label].append((total, statistics.median(per), n))
        rows = [(label, *min(r)) for label, r in runs.items()]
        for label, total, med, n in rows:
            print(
                f"{label:10} {n} articles from {args.html} HTML + {args.pdf} PDF: "
                f"{total:.2f} s, median {med * 1000:.1f} ms/file"
            )
        extra = rows[1][1] - rows[0][1]
        print(f"overhead of the worker: {extra:+.2f} s ({extra / rows[0][1]:+.1%})")
        for name, data in (("hostile.html", hostile_html()), ("hostile.pdf", hostile_pdf())):
            path = folder / name
            if isinstance(data, bytes):
                path.write_bytes(data)
            else:
                path.write_text(data, encoding="utf-8")
            for budget in (1.0, 5.0):
                t = time.perf_counter()
                (item,) = Reader(parse_seconds=budget).read_file(path)
                took = time.perf_counter() - t
                print(
                    f"{name} ({path.stat().st_size / 1e6:.1f} MB), budget {budget:g} s: "
                    f"{took:.2f} s -> {type(item).__name__}"
                )
        print(f"worker processes started: {WORKER.started}")


if __name__ == "__main__":
    main()
