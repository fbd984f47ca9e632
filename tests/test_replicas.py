"""Two `assistant web` replicas on one `chroma run` server: an ingest through one replica is
answered by the other (real processes, all on 127.0.0.1)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import CORPUS, ROOT, free_port

pytestmark = pytest.mark.slow

ARTICLE = b"""---
title: Night trains return to the coast line
source: Coast Courier
published: 2024-05-14
---
Rail operator chief Anja Berglund said the night trains on the coast line will run again from \
September with sleeper cars and bicycle space. Berglund added that tickets go on sale in July.
"""
QUESTION = "What did Anja Berglund say about the night trains?"


def env_for(chroma: str, data: Path) -> dict[str, str]:
    return {**os.environ, "ASSISTANT_CHROMA_URL": chroma, "ASSISTANT_COLLECTION": "replicas",
            "ASSISTANT_DATA_DIR": str(data)}


@pytest.fixture
def replicas(chroma_server: str, tmp_path: Path) -> Iterator[list[str]]:
    seed = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "ingest", str(CORPUS), "--json"],
        cwd=ROOT, env=env_for(chroma_server, tmp_path / "seed"), capture_output=True, text=True,
        timeout=300,
    )
    assert json.loads(seed.stdout)["added"] == 1, seed.stderr[-2000:]
    procs, urls = [], []
    for n in range(2):
        port = free_port()
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "assistant.cli", "web", "--port", str(port)],
            cwd=ROOT, env=env_for(chroma_server, tmp_path / f"replica{n}"),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        ))
        urls.append(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 180
        for url, proc in zip(urls, procs, strict=True):
            while True:
                assert proc.poll() is None, "a replica exited"
                try:
                    if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, "a replica did not start within 180 s"
                time.sleep(0.5)
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()


def berglund_quotes(url: str) -> list[dict[str, object]]:
    r = httpx.post(url + "/api/ask", json={"question": QUESTION}, timeout=60)
    assert r.status_code == 200, r.text
    return [q for q in r.json()["quotes"] if q["source"] == "Coast Courier"]


def test_an_ingest_through_one_replica_is_answered_by_the_other(replicas: list[str]) -> None:
    first, second = replicas
    assert berglund_quotes(second) == []  # not in the store yet

    r = httpx.post(first + "/api/ingest", files=[("files", ("trains.md", ARTICLE))], timeout=120)
    assert r.status_code == 200, r.text
    assert r.json()["added"] == 1

    deadline = time.monotonic() + 30  # the other replica notices the store changed
    while not (quotes := berglund_quotes(second)):
        assert time.monotonic() < deadline, "the second replica never saw the new article"
        time.sleep(1)
    body = ARTICLE.decode().split("---\n", 2)[2]
    for q in quotes:  # verbatim from the new article, attributed to the operator's chief
        assert str(q["text"]) in body and str(q["speaker"]).endswith("Berglund"), q
    sources = httpx.get(second + "/api/sources", timeout=30).json()
    assert {s["title"] for s in sources} >= {"Night trains return to the coast line"}
