"""The store contract, one suite run against embedded Chroma and a `chroma run` server.

Vectors here are small synthetic unit vectors (the store does not care about their width,
which comes from the embedder), so each case is exact and fast.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from assistant.errors import StoreError
from assistant.store import ChromaStore, Store
from assistant.text import chunk_article
from assistant.types import Article, Filters

ROOT = Path(__file__).resolve().parent.parent
WIDTH = 8


def unit(*axes: int) -> np.ndarray:
    v = np.zeros(WIDTH, np.float32)
    for a in axes:
        v[a] = 1.0
    return v / np.linalg.norm(v)


def article(n: int, source: str, published: date | None, body: str) -> Article:
    return Article(
        id=f"art-{n}",
        title=f"Story {n}",
        text=body,
        source=source,
        published=published,
        url=f"https://news.test/{n}",
        authors=("A. Writer",),
        origin=f"/tmp/story-{n}.md",
        content_hash=f"hash-{n}",
    )


BODY = (
    "The council approved the harbour budget on Monday. The mayor said the vote was close. "
    "Work on the new pier starts in spring."
)
A1 = article(1, "Harbor Gazette", date(2024, 3, 2), BODY)
A2 = article(2, "DEA News", date(2022, 6, 16), "Officials said talks need guarantees first.")
A3 = article(3, "", None, "An undated note without an outlet says nothing else.")


def batch(a: Article, axis: int) -> tuple[Article, list, np.ndarray]:  # type: ignore[type-arg]
    chunks = chunk_article(a.id, a.text, 5, 0)
    vecs = np.stack([unit(axis, (axis + i) % WIDTH) for i in range(len(chunks))])
    return a, chunks, vecs


@pytest.fixture(params=["embedded", "server"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator:  # type: ignore[type-arg]
    """Build stores over one location: embedded in tmp_path, or a fresh collection on the server."""
    prefix = "t" + uuid.uuid4().hex[:8]
    if request.param == "server":
        url = request.getfixturevalue("chroma_server")
        yield lambda **kw: ChromaStore(tmp_path, prefix, url=url, **kw)
    else:
        yield lambda **kw: ChromaStore(tmp_path, prefix, **kw)


@pytest.fixture
def store(make_store) -> Store:  # type: ignore[no-untyped-def]
    s: Store = make_store(embedding="test-embedder")
    s.put_articles([batch(A1, 0), batch(A2, 3)])
    return s


def test_articles_round_trip(store: Store) -> None:
    assert store.get_article("art-1") == A1
    assert store.get_article("missing") is None
    assert store.get_texts(["art-2", "art-1", "art-2", "missing"]) == {
        "art-2": A2.text,
        "art-1": A1.text,
    }
    assert store.hashes(["art-1", "art-2", "nope"]) == {"art-1": "hash-1", "art-2": "hash-2"}
    listed = {s.ref.article_id: s for s in store.list_articles()}
    assert set(listed) == {"art-1", "art-2"}
    assert listed["art-1"].n_chunks == len(chunk_article("art-1", BODY, 5, 0)) == 3
    assert listed["art-1"].to_json() == {
        "id": "art-1",
        "title": "Story 1",
        "source": "Harbor Gazette",
        "published": "2024-03-02",
        "url": "https://news.test/1",
        "chunks": 3,
        "origin": "/tmp/story-1.md",
    }
    assert store.counts() == (2, 4) and store.chunk_count() == 4


def test_chunks_keep_their_offsets_and_sentences(store: Store) -> None:
    by_id = {c.id: (c, ref) for c, ref in store.iter_chunks()}
    assert by_id.keys() == {c.id for c in chunk_article("art-1", BODY, 5, 0)} | {
        c.id for c in chunk_article("art-2", A2.text, 5, 0)
    }
    for chunk, ref in by_id.values():
        text = (A1 if chunk.article_id == "art-1" else A2).text
        assert text[chunk.start : chunk.end] == chunk.text
        assert [text[s.start : s.end] for s in chunk.sentences] == [chunk.text]  # one each
        assert ref.article_id == chunk.article_id


def test_dense_search_ranks_by_cosine_and_filters(store: Store) -> None:
    hits = store.dense(unit(3), 2)
    assert [c.article_id for c, _, _ in hits] == ["art-2", "art-1"]
    assert hits[0][2] == pytest.approx(float(unit(3) @ unit(3, 3)))
    ids = store.dense_ids(unit(0), 10)
    assert ids[0] == ("art-1:0", pytest.approx(1.0)) and len(ids) == 4
    only_dea = store.dense(unit(0), 10, Filters(sources=("DEA News",)))
    assert {c.article_id for c, _, _ in only_dea} == {"art-2"}
    older = store.dense(unit(0), 10, Filters(until=date(2023, 1, 1)))
    assert {r.article_id for _, r, _ in older} == {"art-2"}
    newer = store.dense(unit(3), 10, Filters(since=date(2024, 3, 2)))
    assert {r.article_id for _, r, _ in newer} == {"art-1"}
    assert newer[0][1].published == date(2024, 3, 2) and newer[0][1].url == "https://news.test/1"


def test_replacing_and_deleting_articles(store: Store) -> None:
    changed = article(1, "Harbor Gazette", date(2024, 3, 3), "A short correction to the story.")
    store.put_articles([batch(changed, 5)])
    assert store.get_article("art-1") == changed
    assert [c.article_id for c, _ in store.iter_chunks()].count("art-1") == 1
    store.delete_article("art-2")
    assert store.get_article("art-2") is None and store.counts() == (1, 1)


def test_an_article_without_chunks_takes_the_embedders_width(make_store) -> None:  # type: ignore[no-untyped-def]
    s = make_store()
    s.put_articles([(A3, [], np.zeros((0, WIDTH), np.float32))])
    assert s.get_article("art-3") == A3 and s.counts() == (1, 0)


def test_generation_changes_with_every_write_only(store: Store, make_store) -> None:  # type: ignore[no-untyped-def]
    g1 = store.generation()
    assert g1 != "0" and store.generation() == g1  # reads leave it alone
    store.get_texts(["art-1"])
    store.dense(unit(0), 3)
    assert store.generation() == g1
    store.delete_article("art-2")
    g2 = store.generation()
    store.put_articles([batch(A2, 3)])
    g3 = store.generation()
    assert len({g1, g2, g3}) == 3
    assert [int(g.split(":")[0]) for g in (g1, g2, g3)] == sorted(
        int(g.split(":")[0]) for g in (g1, g2, g3)
    )
    # a second handle on the same data (another front end) sees the same token at once
    other = make_store(embedding="test-embedder")
    assert other.generation() == g3
    other.delete_article("art-1")
    assert store.generation() == other.generation() != g3


def test_a_write_by_another_process_changes_the_generation(store: Store, make_store) -> None:  # type: ignore[no-untyped-def]
    before = store.generation()
    probe = make_store()
    code = (
        "import sys; from pathlib import Path; from assistant.store import ChromaStore\n"
        f"s = ChromaStore(Path({str(probe.data_dir)!r}), {probe.prefix!r}, url={probe.url!r})\n"
        "s.delete_article('art-2')\n"
        "print(s.generation())\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    written = proc.stdout.strip().splitlines()[-1]
    assert written != before and store.generation() == written
    assert store.get_article("art-2") is None


def test_a_store_built_with_another_embedder_is_refused(store: Store, make_store) -> None:  # type: ignore[no-untyped-def]
    other = make_store(embedding="another-model")
    with pytest.raises(StoreError, match="was embedded with test-embedder, not another-model"):
        other.counts()


def test_an_unreachable_server_says_what_to_do(tmp_path: Path) -> None:
    from tests.conftest import free_port

    s = ChromaStore(tmp_path, "x", url=f"http://127.0.0.1:{free_port()}")
    where = r"cannot open the Chroma store at http://127\.0\.0\.1:\d+.*is the server running\?"
    with pytest.raises(StoreError, match=where):
        s.counts()
