"""Dense search among given ids (real Chroma): exact when ranked here, close when Chroma does."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from assistant.store import SMALL_SUBSET, ChromaStore
from assistant.types import Article, Chunk, Filters

DAYS = [date(2024, 3, 1), date(2024, 3, 2), date(2024, 3, 3)]
PER_DAY = 700  # two days together exceed SMALL_SUBSET: both code paths run


VECTORS: dict[str, np.ndarray] = {}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> ChromaStore:
    s = ChromaStore(tmp_path_factory.mktemp("store"), "t")
    rng = np.random.default_rng(7)
    batch = []
    for d in DAYS:
        aid = f"a{d.day}"
        text = " ".join(f"Sentence {i} of day {d.day}." for i in range(PER_DAY))
        art = Article(aid, f"Day {d.day}", text, "Wire", d, content_hash=aid)
        chunks = [Chunk(f"{aid}:{i}", aid, i, 0, 10, f"chunk {i}") for i in range(PER_DAY)]
        vecs = rng.normal(size=(PER_DAY, 384)).astype(np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        batch.append((art, chunks, vecs))
        VECTORS.update({c.id: v for c, v in zip(chunks, vecs, strict=True)})
    s.put_articles(batch)
    return s


def ids_of(days: list[date]) -> list[str]:
    return [f"a{d.day}:{i}" for d in days for i in range(PER_DAY)]


def exact(q: np.ndarray, among: list[str], k: int) -> list[str]:
    sims = np.array([VECTORS[i] @ q for i in among]) / np.linalg.norm(q)
    return [among[i] for i in np.argsort(-sims, kind="stable")[:k]]


@pytest.mark.parametrize("days", [[DAYS[1]], DAYS[:2]])
def test_among_ids_finds_the_nearest_of_those_ids(store: ChromaStore, days: list[date]) -> None:
    among = ids_of(days)
    q = np.random.default_rng(1).normal(size=384).astype(np.float32)
    got = store.dense_ids(q, 25, among=among)
    truth = exact(q, among, 25)
    assert all(cid in set(among) for cid, _ in got) and len(got) == 25
    if len(among) <= SMALL_SUBSET:  # ranked here: exact, with cosine similarities
        assert [cid for cid, _ in got] == truth
        assert np.isclose(got[0][1], VECTORS[truth[0]] @ q / np.linalg.norm(q), atol=1e-5)
    else:  # Chroma's HNSW among the ids: approximate, as its where-filtered search is
        assert len({cid for cid, _ in got} & set(truth)) >= 20
    where = store.dense(q, 25, Filters(since=days[0], until=days[-1]))
    assert len({c.id for c, _, _ in where} & set(truth)) >= 20


def test_among_no_ids_or_unknown_ids_finds_nothing(store: ChromaStore) -> None:
    q = np.ones(384, dtype=np.float32)
    assert store.dense_ids(q, 5, among=[]) == []
    assert store.dense_ids(q, 5, among=["gone:0"]) == []
