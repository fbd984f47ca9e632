"""How fast hostile inputs are refused: gzip bombs (reader and POST /api/ingest), a 50 MB
request body, and a burst past the rate limit. Everything runs on 127.0.0.1.

    PYTHONPATH=. .venv/bin/python benchmarks/hostile_bench.py
"""

from __future__ import annotations

import gzip
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
import uvicorn

from assistant.api import create_api
from assistant.service import Assistant
from assistant.settings import Settings
from assistant.sources import Reader


def bomb(path: Path, megabytes: float) -> Path:
    """``megabytes`` of gzip holding ~1000x as many spaces (repeated members)."""
    member = gzip.compress(b" " * (1 << 24), 9)
    path.write_bytes(member * int(megabytes * 1_000_000 // len(member)))
    return path


def timed(fn: object, n: int = 5) -> tuple[float, object]:
    times, out = [], None
    for _ in range(n):
        t0 = time.perf_counter()
        out = fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        rows = []
        for mb in (2, 10):
            f = bomb(d / f"bomb{mb}.jsonl.gz", mb)
            secs, items = timed(lambda f=f: list(Reader().read([f])))
            reason = items[0].reason.split(": ", 1)[1][:60]  # type: ignore[index]
            rows.append((f"reader, {mb} MB gzip (~{mb} GB unpacked)", secs, reason))
        settings = Settings(data_dir=d / "data", upload_max_mb=10, rate_limit_per_minute=100)
        app = create_api(Assistant(settings))
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="error"))
        threading.Thread(target=server.run, daemon=True).start()
        while not server.started:
            time.sleep(0.05)
        port = server.servers[0].sockets[0].getsockname()[1]
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as c:
            body = (d / "bomb2.jsonl.gz").read_bytes()
            secs, r = timed(lambda: c.post("/api/ingest", files=[("files", ("b.jsonl.gz", body))]))
            rows.append(("POST /api/ingest, 2 MB bomb", secs, f"{r.status_code}"))  # type: ignore[attr-defined]
            big = b'{"question": "' + b"a" * 50_000_000 + b'"}'
            hdr = {"content-type": "application/json"}
            secs, r = timed(lambda: c.post("/api/ask", content=big, headers=hdr), n=3)
            rows.append(("POST /api/ask, 50 MB body", secs, f"{r.status_code}"))  # type: ignore[attr-defined]
            codes = [c.get("/api/sources").status_code for _ in range(150)]
            rows.append(("150 requests at once, limit 100/min", 0.0,
                         f"{codes.count(200)} x 200, {codes.count(429)} x 429"))  # fmt: skip
        server.should_exit = True
    print("| input | median seconds | answer |")
    print("|---|---|---|")
    for name, secs, what in rows:
        print(f"| {name} | {secs:.3f} | {what} |")


if __name__ == "__main__":
    main()
