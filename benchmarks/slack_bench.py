"""Slack bot latency: from an event reaching the bot to the first visible reply and the answer.

    python benchmarks/slack_bench.py [--runs 30] [--burst 50] [--llm-delay 0.5]

The bot runs for real (HTTP mode on 127.0.0.1, the real Assistant over corpus/) against the
tests' local fake Slack Web API; an optional fake OpenAI-compatible model (the tests' server)
answers after ``--llm-delay`` seconds and streams its reply. For each mention: the time from
the POST to the first message visible in the thread (``chat.postMessage`` or
``chat.startStream``) and to the final answer (the message with the feedback buttons, posted
or swapped in with ``chat.update``), as measured by the fake's clock. Sequential runs first,
then a burst of mentions sent at once. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.service import Assistant  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from tests import slack_fake as sf  # noqa: E402
from tests.conftest import free_port  # noqa: E402

QUESTION = "What does Russia require before talks?"
VISIBLE = ("chat.postMessage", "chat.startStream")


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) in milliseconds."""
    s = sorted(values)
    return round(1000 * s[min(len(s) - 1, max(0, round(p / 100 * len(s) + 0.5) - 1))], 1)


def timings(fake: sf.FakeSlack, sent: dict[str, float]) -> tuple[list[float], list[float]]:
    """(first visible, final) seconds per thread, from the calls the fake recorded."""
    first: dict[str, float] = {}
    final: dict[str, float] = {}
    stream_thread: dict[str, str] = {}  # message ts -> thread it was posted in
    for c in fake.calls:
        thread = c.args.get("thread_ts")
        if c.method in VISIBLE and thread in sent:
            first.setdefault(thread, c.at)
            stream_thread[str(c.reply.get("ts"))] = thread
        if c.method == "chat.update":
            thread = stream_thread.get(str(c.args.get("ts")))
        blocks = c.args.get("blocks") or []
        if thread in sent and blocks and blocks[-1].get("type") == "actions":
            final.setdefault(thread, c.at)
    missing = set(sent) - set(final)
    if missing:
        raise SystemExit(f"{len(missing)} mentions were not answered: {sorted(missing)}")
    return [first[t] - sent[t] for t in sent], [final[t] - sent[t] for t in sent]


def run(bot: sf.Running, fake: sf.FakeSlack, n: int, burst: bool) -> dict[str, Any]:
    fake.reset()
    stamps = [sf.next_ts() for _ in range(n)]
    sent: dict[str, float] = {}

    def post(ts: str) -> None:
        sent[ts] = time.time()
        r = bot.event(sf.mention(QUESTION, ts))
        assert r.status_code == 200, r.text

    if burst:
        with ThreadPoolExecutor(min(n, 25)) as pool:
            list(pool.map(post, stamps))
        bot.app.bot.wait_idle(600)
    else:
        for ts in stamps:
            post(ts)
            bot.app.bot.wait_idle(120)
    first, final = timings(fake, sent)
    return {
        "mentions": n,
        "first_p50_ms": pct(first, 50),
        "first_p95_ms": pct(first, 95),
        "final_p50_ms": pct(final, 50),
        "final_p95_ms": pct(final, 95),
        "mean_final_ms": round(1000 * statistics.mean(final), 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=30, help="sequential mentions per mode")
    ap.add_argument("--burst", type=int, default=50, help="mentions sent at once")
    ap.add_argument("--llm-delay", type=float, default=0.5, help="fake model's think time (s)")
    ap.add_argument("--workers", type=int, default=Settings().slack_workers)
    args = ap.parse_args()

    from tests.fake_llm import Reply, good_reply, running_fake_llm, with_llm

    results: dict[str, Any] = {
        "machine": f"{platform.machine()}, {platform.python_version()}",
        "workers": args.workers,
        "llm_delay_s": args.llm_delay,
    }
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        fake, server = sf.start_fake(free_port())
        stack.callback(server.shutdown)
        llm = stack.enter_context(running_fake_llm())

        def slow_reply(body: dict[str, Any]) -> Reply:
            time.sleep(args.llm_delay)
            return good_reply(body)

        llm.script = slow_reply
        assistant = Assistant(Settings(data_dir=Path(tmp) / "store"))
        assistant.ingest([str(ROOT / "corpus")])
        assistant.ask(QUESTION)  # load the model before timing
        for mode, a in (("extractive", assistant), ("llm", with_llm(assistant, llm, llm_timeout=30))):
            settings = Settings(data_dir=Path(tmp) / f"bot-{mode}", slack_workers=args.workers)
            bot = sf.start(a, fake, settings)
            try:
                run(bot, fake, 3, burst=False)  # warm-up (LLM client import, caches)
                results[f"{mode}_sequential"] = run(bot, fake, args.runs, burst=False)
                results[f"{mode}_burst"] = run(bot, fake, args.burst, burst=True)
            finally:
                bot.stop()
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
