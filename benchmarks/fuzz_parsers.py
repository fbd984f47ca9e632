"""A bounded fuzz campaign over the file parsers: malformed and random bytes, counted.

For each format (txt, md with front matter, html, pdf, json, jsonl, jsonl.gz, rss, atom) it
mutates a valid seed file (bit flips, byte insertions and deletions, truncation, splicing of
junk, repeated blocks) or writes random bytes, reads the file with the real
:class:`~assistant.sources.Reader`, and counts what came back. Anything other than an
``Article`` or a ``Failure`` (an exception escaping the reader) is a finding: the input is
saved under ``--out`` for a regression test.

    PYTHONPATH=. .venv/bin/python benchmarks/fuzz_parsers.py --seconds 20 --seed 1
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.sources import Article, Failure, Reader

ROOT = Path(__file__).resolve().parent.parent
STORY = (
    "Harbor Authority chair Maria Lopez said the new ferry terminal will open in May. "
    "“We are ready,” she said. Officials added that twelve daily crossings will start."
)


def minimal_pdf(text: str) -> bytes:
    """A small valid one-page PDF showing ``text`` (xref offsets computed)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def seeds() -> dict[str, bytes]:
    """One valid file per format."""
    row = {"id": "s1", "title": "Ferry", "text": STORY, "published": "2024-03-02"}
    rss = (
        "<?xml version='1.0'?><rss version='2.0'><channel><title>Wire</title><item>"
        f"<title>Ferry</title><link>http://127.0.0.1:9/a</link><description>{STORY * 3}"
        "</description><pubDate>Mon, 06 Jun 2022 10:00:00 GMT</pubDate></item></channel></rss>"
    )
    atom = (
        "<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'><title>Wire</title>"
        f"<entry><title>Ferry</title><content type='html'>&lt;p&gt;{STORY}&lt;/p&gt;</content>"
        "<updated>2022-06-06T10:00:00Z</updated></entry></feed>"
    )
    return {
        ".txt": STORY.encode(),
        ".md": (ROOT / "corpus" / "kirby-russia-talks.md").read_bytes(),
        ".html": f"<html><head><title>Ferry</title></head><body><article><p>{STORY}</p>"
        "</article></body></html>".encode(),
        ".pdf": minimal_pdf("Harbor chair Maria Lopez said the ferry terminal opens in May."),
        ".json": json.dumps([row, {**row, "id": "s2"}]).encode(),
        ".jsonl": (json.dumps(row) + "\n" + json.dumps({**row, "id": "s2"})).encode(),
        ".jsonl.gz": gzip.compress((json.dumps(row) + "\n").encode() * 3),
        ".rss": rss.encode(),
        ".atom": atom.encode(),
    }


JUNK = [b"\x00", b"\xff\xfe", b"---\n", b"[", b"{", b'"', b"<", b"</p>", b"]]>", b"&#0;",
        b"\n" * 50, b" " * 200, b"%PDF", b"endobj", b"\x1f\x8b",
        b"\xed\xa0\x80",  # a lone surrogate (U+D800) as UTF-8 would spell it
        "“”’".encode()]  # fmt: skip


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One random mutation of ``data`` (or fresh random bytes)."""
    b = bytearray(data)
    op = rng.randrange(7)
    if op == 0 or not b:
        return rng.randbytes(rng.randrange(1, 4096))
    if op == 1:  # bit flips
        for _ in range(rng.randrange(1, 16)):
            i = rng.randrange(len(b))
            b[i] ^= 1 << rng.randrange(8)
    elif op == 2:  # truncate
        del b[rng.randrange(len(b)) :]
    elif op == 3:  # delete a run
        i = rng.randrange(len(b))
        del b[i : i + rng.randrange(1, 64)]
    elif op == 4:  # splice junk
        i = rng.randrange(len(b) + 1)
        b[i:i] = rng.choice(JUNK) * rng.randrange(1, 8)
    elif op == 5:  # repeat a block
        i = rng.randrange(len(b))
        b[i:i] = bytes(b[i : i + rng.randrange(1, 256)]) * rng.randrange(2, 50)
    else:  # random bytes in the middle
        i = rng.randrange(len(b))
        b[i : i + 32] = rng.randbytes(32)
    return bytes(b)


def campaign(seconds: float, seed: int, out: Path) -> list[dict[str, object]]:
    """Fuzz each format for ``seconds``; return one result row per format."""
    rng = random.Random(seed)
    reader = Reader(max_bytes=2_000_000)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for ext, seed_bytes in seeds().items():
            counts: Counter[str] = Counter()
            crashes: Counter[str] = Counter()
            slowest = 0.0
            path = Path(tmp) / f"fuzz{ext}"
            deadline = time.monotonic() + seconds
            data = seed_bytes
            while time.monotonic() < deadline:
                data = mutate(seed_bytes if rng.random() < 0.5 else data, rng)
                if ext.endswith(".gz") and rng.random() < 0.5:
                    data = gzip.compress(mutate(gzip.decompress(seed_bytes), rng))
                path.write_bytes(data)
                t0 = time.perf_counter()
                try:
                    for item in reader.read([path]):
                        counts["article" if isinstance(item, Article) else "failure"] += 1
                        assert isinstance(item, Article | Failure)
                except Exception as e:
                    name = f"{type(e).__name__}: {str(e)[:80]}"
                    if not crashes[name]:
                        out.mkdir(parents=True, exist_ok=True)
                        (out / f"crash-{len(crashes)}{ext}").write_bytes(data)
                        traceback.print_exc()
                    crashes[name] += 1
                slowest = max(slowest, time.perf_counter() - t0)
                counts["inputs"] += 1
            rows.append({"format": ext, "inputs": counts["inputs"], "articles": counts["article"],
                         "failures": counts["failure"], "escaped": sum(crashes.values()),
                         "distinct": list(crashes), "slowest_s": round(slowest, 3)})  # fmt: skip
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=20.0, help="per format")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=Path("fuzz-findings"))
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    rows = campaign(args.seconds, args.seed, args.out)
    if args.json:
        print(json.dumps(rows, indent=1))
        return
    print("| format | inputs | articles | failures (reported) | escaped exceptions | slowest s |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['format']} | {r['inputs']} | {r['articles']} | {r['failures']} | "
              f"{r['escaped']} | {r['slowest_s']} |")  # fmt: skip
    for r in rows:
        for d in r["distinct"]:  # type: ignore[attr-defined]
            print(f"{r['format']}: {d}")
    if any(r["escaped"] for r in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()
