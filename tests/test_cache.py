"""The thread-safe LRU, and the Assistant's caches under concurrent questions and ingest."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from assistant.cache import LRU
from tests.conftest import CORPUS


def test_lru_drops_the_least_recently_used() -> None:
    c: LRU[str, int] = LRU(2)
    c.put("a", 1)
    c.put("b", 2)
    assert c.get("a") == 1  # "b" is now the oldest
    c.put("c", 3)
    assert ("a" in c, "b" in c, "c" in c) == (True, False, True)
    assert len(c) == 2
    assert c.get_or_set("d", lambda: 4) == 4 and c.get_or_set("d", lambda: 5) == 4
    assert c.get("a") is None  # evicted by "d"
    c.clear()
    assert len(c) == 0 and c.get("c") is None


def test_lru_rejects_a_size_below_one() -> None:
    with pytest.raises(ValueError, match="maxsize must be at least 1, not 0"):
        LRU(0)


def test_lru_shared_by_threads_that_clear_it() -> None:
    """Readers racing writers and clear() never see an error or a wrong value."""
    c: LRU[int, int] = LRU(50)
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def work(seed: int) -> None:
        try:
            start.wait()
            for i in range(3000):
                key = (seed * 7919 + i) % 200
                assert c.get_or_set(key, lambda k=key: k * k) == key * key  # type: ignore[misc]
                if i % 500 == seed:
                    c.clear()
                assert len(c) <= 50
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


QUESTIONS = (
    "What does Russia require before talks?",
    "What did John Kirby say about negotiations with Russia?",
    "What did Andrey Klimov say about the American stance?",
)
OTHER = """---
title: Ferry terminal {n} to open in May
source: Harbor Gazette
published: 2024-03-0{n}
---
Harbor Authority chair Maria Lopez said the new ferry terminal on Pier {n} will open to \
passengers in May after final safety inspections. Lopez added that the terminal will add \
{n} daily crossings to the island of Corvo, and that the fares will not change this year.
"""


def _shown(answer) -> tuple:  # type: ignore[no-untyped-def]
    return (answer.abstained, tuple((q.ref.article_id, q.start, q.end, q.speaker) for q in answer.quotes))


@pytest.mark.slow
def test_eight_threads_ask_while_an_ingest_runs(fresh, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    fresh.ingest([str(CORPUS)])
    before = {q: _shown(fresh.ask(q)) for q in QUESTIONS}
    folder = tmp_path / "ferries"
    folder.mkdir()
    for n in range(1, 7):
        (folder / f"ferry-{n}.md").write_text(OTHER.format(n=n), encoding="utf-8")

    ingested = threading.Event()
    eight_answered = threading.Event()
    answered_during_ingest: list[int] = []
    lock = threading.Lock()

    def hold(report: object) -> None:  # ingest pauses at its first article until 8 answers
        if not eight_answered.is_set():
            assert eight_answered.wait(300), "the asking threads never answered"

    def ingest() -> int:
        try:
            return fresh.ingest([str(folder)], progress=hold).added
        finally:
            ingested.set()

    def ask(i: int) -> tuple[str, tuple]:  # type: ignore[type-arg]
        q = QUESTIONS[i % len(QUESTIONS)]
        shown = _shown(fresh.ask(q))
        with lock:
            if not ingested.is_set():
                answered_during_ingest.append(i)
            if len(answered_during_ingest) >= 8:
                eight_answered.set()
        return q, shown

    with ThreadPoolExecutor(9) as pool:
        ingest_job = pool.submit(ingest)
        asks = [pool.submit(ask, i) for i in range(24)]
        got = [f.result() for f in asks]  # re-raises any error of a worker
        assert ingest_job.result() == 6
    assert len(answered_during_ingest) >= 8  # the questions really overlapped the ingest
    for q, shown in got:
        assert shown == before[q], q
    # and single-threaded after the ingest: the same answers, the new articles searchable
    assert {q: _shown(fresh.ask(q)) for q in QUESTIONS} == before
    ferry = fresh.ask("When will the new ferry terminal open to passengers?")
    assert ferry.quotes[0].ref.source == "Harbor Gazette"
    assert "Lopez" in (ferry.quotes[0].speaker or "")


def test_split_returns_cached_values_and_missing_keys_once_in_order() -> None:
    lru: LRU[str, int] = LRU(3)
    lru.put("a", 1)
    lru.put("c", 3)
    found, missing = lru.split(["b", "a", "c", "b", "d"])
    assert found == {"a": 1, "c": 3}
    assert missing == ["b", "d"]
