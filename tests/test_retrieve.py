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
