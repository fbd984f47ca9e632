"""The JSON API under load: the real server (`assistant web`, uvicorn) on 127.0.0.1.

    python benchmarks/load_bench.py [--clients 8] [--requests 40] [--data DIR]

Seeds a fresh store with corpus/ (or uses --data), starts `assistant web` on a free port of
127.0.0.1, waits for /healthz, then runs ``--clients`` concurrent clients, each sending
``--requests`` POST /api/ask in turn (questions about the seed article, 38 distinct, so most
question vectors are cached after their first use, as on a busy server). Every request has a
30 s timeout; the run is bounded by clients x requests. Prints one JSON object: errors, req/s,
latency p50/p95/max and the server's peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
SPEAKERS = ["John Kirby", "Andrey Klimov", "the Kremlin", "the White House"]
TOPICS = ["talks with Russia", "peace", "negotiations", "guarantees", "Ukraine", "Moscow",
          "Washington's terms", "ending the war"]


def questions() -> list[str]:
    seed = [json.loads(x)["question"] for x in
            (ROOT / "benchmarks" / "seed-questions.jsonl").read_text().splitlines() if x.strip()]
    return seed + [f"What did {s} say about {t}?" for s in SPEAKERS for t in TOPICS]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pct(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return round(s[min(len(s) - 1, int(q * len(s)))], 1)


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--requests", type=int, default=40, help="per client")
    ap.add_argument("--data", type=Path, default=None)
    args = ap.parse_args()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False",
           "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONPATH": str(ROOT)}
    data = args.data or Path(tempfile.mkdtemp(prefix="load-bench-")) / "data"
    env["ASSISTANT_DATA_DIR"] = str(data)
    cli = [sys.executable, "-m", "assistant.cli"]
    if args.data is None:
        subprocess.run([*cli, "ingest", str(ROOT / "corpus")], env=env, cwd=ROOT, check=True,
                       capture_output=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([*cli, "web", "--host", "127.0.0.1", "--port", str(port)],
                              env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    try:
        t0 = time.perf_counter()
        while True:
            if server.poll() is not None:
                sys.exit(f"the server exited: {server.stderr.read()[-2000:] if server.stderr else ''}")
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.perf_counter() - t0 > 120:
                sys.exit("the server did not answer /healthz within 120 s")
            time.sleep(0.2)
        startup = time.perf_counter() - t0
        qs = questions()
        with httpx.Client(timeout=30) as c:  # one warm-up request (model and BM25 load)
            c.post(base + "/api/ask", json={"question": qs[0]}).raise_for_status()

        latencies: list[float] = []
        errors: list[str] = []
        lock = threading.Lock()

        def client(n: int) -> None:
            with httpx.Client(timeout=30) as c:
                for i in range(args.requests):
                    q = qs[(n * args.requests + i) % len(qs)]
                    t = time.perf_counter()
                    try:
                        r = c.post(base + "/api/ask", json={"question": q})
                        ok = r.status_code == 200 and "quotes" in r.json()
                        err = "" if ok else f"{r.status_code}: {r.text[:200]}"
                    except httpx.HTTPError as e:
                        err = f"{type(e).__name__}: {e}"
                    with lock:
                        latencies.append(1000 * (time.perf_counter() - t))
                        if err:
                            errors.append(err)

        threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
        load = os.getloadavg()[0]
        t0 = time.perf_counter()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        wall = time.perf_counter() - t0
        print(json.dumps({
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                       f"{platform.python_version()}",
            "load_average_before": round(load, 2),
            "server_startup_s": round(startup, 1),
            "clients": args.clients, "requests": len(latencies),
            "distinct_questions": len(qs), "errors": len(errors), "first_errors": errors[:3],
            "seconds": round(wall, 1), "req_per_s": round(len(latencies) / wall, 1),
            "p50_ms": pct(latencies, 0.5), "p95_ms": pct(latencies, 0.95),
            "max_ms": round(max(latencies), 1), "server_peak_rss_mib": peak_rss_mib(server.pid),
        }, indent=1))
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    main()
