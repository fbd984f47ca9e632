"""The BM25 index: tokens, ranking, its disk cache, and freshness across processes."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from assistant.lexical import LexicalIndex, cached_index, tokenize
from assistant.types import ArticleRef, Chunk
from tests.conftest import CORPUS, ROOT


def rec(aid: str, text: str, title: str = "") -> tuple[Chunk, ArticleRef]:
    return (
        Chunk(f"{aid}:0", aid, 0, 0, len(text), text),
        ArticleRef(aid, title, "X", date(2024, 1, 1), ""),
    )


def test_tokens_are_stemmed_lowercase_without_stopwords() -> None:
    assert tokenize(["The Negotiations of a negotiated deal", "talks"]) == [
        ["negoti", "negoti", "deal"],
        ["talk"],
    ]


def test_rarer_and_repeated_terms_rank_higher_and_titles_count() -> None:
    idx = LexicalIndex.build(
        [
            rec("a", "The ferry sails daily to the island."),
            rec("b", "The ferry ferry terminal opens in May; ferry fares stay."),
            rec("c", "Budget vote on Monday.", title="Ferry budget"),
            rec("d", "Weather: rain all week."),
        ]
    )
    ranked = [c.article_id for c, _, _ in idx.search("ferry", 4)]
    assert ranked[0] == "b" and set(ranked) == {"a", "b", "c"}  # "d" has no match at all
    assert next(c.article_id for c, _, _ in idx.search("budget vote", 4)) == "c"
    assert idx.search("the of and", 4) == []  # only stop words
    assert idx.by_id["c:0"] == 2 and len(idx) == 4


def test_disk_cache_is_keyed_and_replaced(tmp_path: Path) -> None:
    built: list[int] = []

    def build(records: list[tuple[Chunk, ArticleRef]]):  # type: ignore[no-untyped-def]
        def go():  # type: ignore[no-untyped-def]
            built.append(len(records))
            return records

        return go

    one = [rec("a", "harbour strike ends")]
    two = [*one, rec("b", "harbour strike continues")]
    first = cached_index(tmp_path, "key-one-0123456789", build(one))
    again = cached_index(tmp_path, "key-one-0123456789", build(one))
    assert built == [1] and len(again) == len(first) == 1  # loaded, not rebuilt
    assert [c.id for c, _, _ in again.search("strike", 3)] == ["a:0"]
    newer = cached_index(tmp_path, "key-two-0123456789", build(two))
    assert built == [1, 2] and len(newer) == 2
    assert [p.name for p in tmp_path.iterdir()] == ["key-two-01234567"]  # the old one is gone


@pytest.mark.slow
def test_an_ingest_by_another_process_is_searchable_at_once(fresh, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    fresh.ingest([str(CORPUS)])
    assert fresh.lexical().search("ferry terminal Corvo", 5) == []
    story = tmp_path / "ferry.md"
    story.write_text(
        "---\ntitle: Ferry terminal to open\nsource: Harbor Gazette\npublished: 2024-03-02\n---\n"
        "Harbor Authority chair Maria Lopez said the new ferry terminal will open in May. "
        "It adds twelve daily crossings to the island of Corvo.\n",
        encoding="utf-8",
    )
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(fresh.settings.data_dir)}
    proc = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "ingest", str(story)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    hits = fresh.lexical().search("ferry terminal Corvo", 5)  # no restart, no waiting
    assert [r.title for _, r, _ in hits] == ["Ferry terminal to open"]
    assert fresh.retrieve("When does the ferry terminal to Corvo open?")[0].ref.source == (
        "Harbor Gazette"
    )
