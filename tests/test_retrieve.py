from __future__ import annotations

from datetime import date

from assistant.lexical import LexicalIndex
from assistant.retrieve import FusionConfig, collapse_duplicates, fuse
from assistant.types import ArticleRef, Chunk, Filters


def hit(aid: str, text: str, published: date | None = None, source: str = "X"):  # type: ignore[no-untyped-def]
    return (Chunk(f"{aid}:0", aid, 0, 0, len(text), text), ArticleRef(aid, aid, source, published,
                                                                       ""), 1.0)


def test_rrf_rewards_agreement() -> None:
    a, b, c = hit("a", "alpha"), hit("b", "beta"), hit("c", "gamma")
    fused = fuse([a, b, c], [c, a], FusionConfig(rrf_k=60))
    assert [p.ref.article_id for p in fused] == ["a", "c", "b"]
    assert fused[0].dense_rank == 1 and fused[0].lexical_rank == 2
    assert fused[2].lexical_rank is None


def test_recency_boost_prefers_newer_when_on() -> None:
    old, new = hit("old", "x", date(2022, 1, 1)), hit("new", "y", date(2022, 6, 10))
    cfg_off = FusionConfig()
    cfg_on = FusionConfig(recency_weight=1.0, recency_half_life_days=7)
    assert fuse([old, new], [], cfg_off)[0].ref.article_id == "old"
    assert fuse([old, new], [], cfg_on, date(2022, 6, 12))[0].ref.article_id == "new"


def test_an_undated_article_is_neither_new_nor_old() -> None:
    """Undated (a plain text file) gets the median boost of the dated candidates, so it
    ranks like an article of middling age, not below every dated one."""
    undated = hit("seed", "x")
    dated = [hit(f"d{i}", "y", date(2022, 6, 12 - 3 * i)) for i in range(3)]  # 0, 3, 6 days old
    cfg = FusionConfig(recency_weight=1.0, recency_half_life_days=3)
    fused = fuse([undated, *dated], [undated, *dated], cfg, date(2022, 6, 12))
    scores = {p.ref.article_id: p.score for p in fused}
    assert scores["seed"] == 2 / 61 * (1 + 0.5)  # the median boost: the 3-day-old one's, 1/2
    assert scores["d2"] == 2 / 64 * (1 + 0.25) and scores["d0"] == 2 / 62 * 2
    # first in both rankings, it now stays above the older dated ones (it used to fall
    # below all three: 2/61 < 2/64 * 1.25)
    assert [p.ref.article_id for p in fused] == ["d0", "seed", "d1", "d2"]
    lone = fuse([undated], [undated], cfg, date(2022, 6, 12))  # nothing dated: no boost
    assert lone[0].score == 2 / 61


def test_syndicated_copies_fold_into_one_citation() -> None:
    story = ("The central bank raised interest rates by half a point on Wednesday, the largest "
             "increase in two decades, citing persistent inflation.")
    fused = fuse([hit("ap", story), hit("cnn", story + " More."), hit("other", "Unrelated.")],
                 [], FusionConfig())
    kept = collapse_duplicates(fused)
    assert [p.ref.article_id for p in kept] == ["ap", "other"]
    assert [d.article_id for d in kept[0].duplicates] == ["cnn"]


def test_bm25_filters_by_date_and_source() -> None:
    recs = [hit("a", "harbor strike ends", date(2022, 6, 1), "CNN")[:2],
            hit("b", "harbor strike continues", date(2022, 7, 1), "AP")[:2],
            hit("c", "election results", date(2022, 7, 1), "AP")[:2]]
    idx = LexicalIndex.build(recs)  # type: ignore[arg-type]
    both = idx.search("harbor strike", 5)
    assert {c.article_id for c, _, _ in both} == {"a", "b"}  # equal BM25 scores: any order
    assert all(score > 0 for _, _, score in both)
    only_june = idx.search("harbor strike", 5, Filters(until=date(2022, 6, 30)))
    assert [c.article_id for c, _, _ in only_june] == ["a"]
    only_ap = idx.search("harbor strike", 5, Filters(sources=("AP",)))
    assert [c.article_id for c, _, _ in only_ap] == ["b"]
    assert idx.search("zebra", 5) == []


def test_an_outlet_filter_finds_every_spelling_of_the_outlet() -> None:
    recs = [hit("a", "harbor strike ends", None, "The Guardian")[:2],
            hit("b", "harbor strike goes on", None, "the guardian")[:2],
            hit("c", "harbor strike talks", None, "CNN")[:2]]
    idx = LexicalIndex.build(recs)  # type: ignore[arg-type]
    assert idx.outlet("THE  GUARDIAN") == ["The Guardian", "the guardian"]
    assert idx.outlet("cnn") == ["CNN"] and idx.outlet("AP") == ["AP"]
    both = Filters(sources=tuple(idx.outlet("the guardian")))
    assert sorted(c.article_id for c, _, _ in idx.search("harbor strike", 5, both)) == ["a", "b"]
