"""Hybrid retrieval: dense (Chroma) + BM25, fused by weighted reciprocal rank, de-duplicated."""

from __future__ import annotations

import math
import re
import statistics
from dataclasses import dataclass
from datetime import date

from assistant.types import ArticleRef, Chunk, Filters, Passage

Hit = tuple[Chunk, ArticleRef, float]
_SHINGLE = re.compile(r"\w+")


@dataclass(frozen=True)
class FusionConfig:
    """How the two rankings are combined."""

    rrf_k: int = 60
    dense_weight: float = 1.0
    lexical_weight: float = 1.0
    recency_weight: float = 0.0
    recency_half_life_days: float = 30.0


def fuse(
    dense: list[Hit],
    lexical: list[Hit],
    cfg: FusionConfig,
    ref_date: date | None = None,
) -> list[Passage]:
    """Weighted reciprocal rank fusion, with an optional mild recency boost."""
    scores: dict[str, float] = {}
    items: dict[str, tuple[Chunk, ArticleRef]] = {}
    dranks: dict[str, int] = {}
    lranks: dict[str, int] = {}
    for rank, (c, r, _) in enumerate(dense, 1):
        scores[c.id] = scores.get(c.id, 0.0) + cfg.dense_weight / (cfg.rrf_k + rank)
        items[c.id] = (c, r)
        dranks[c.id] = rank
    for rank, (c, r, _) in enumerate(lexical, 1):
        scores[c.id] = scores.get(c.id, 0.0) + cfg.lexical_weight / (cfg.rrf_k + rank)
        items[c.id] = (c, r)
        lranks[c.id] = rank
    if cfg.recency_weight > 0 and scores:
        newest = ref_date or max(
            (r.published for _, r in items.values() if r.published), default=None
        )
        if newest:
            boosts = {
                cid: math.exp(
                    -max(0, (newest - r.published).days) * math.log(2) / cfg.recency_half_life_days
                )
                for cid, (_, r) in items.items()
                if r.published
            }
            # an undated article (a plain text file, a page without a date) is neither new nor
            # old: it gets the median boost of the dated ones, so dates never bury it
            neutral = statistics.median(boosts.values()) if boosts else 0.0
            for cid in items:
                scores[cid] *= 1.0 + cfg.recency_weight * boosts.get(cid, neutral)
    order = sorted(scores, key=lambda cid: -scores[cid])
    return [
        Passage(
            chunk=items[cid][0],
            ref=items[cid][1],
            score=scores[cid],
            dense_rank=dranks.get(cid),
            lexical_rank=lranks.get(cid),
        )
        for cid in order
    ]


def _shingles(text: str, n: int = 5) -> set[int]:
    toks = _SHINGLE.findall(text.lower())
    return {hash(tuple(toks[i : i + n])) for i in range(max(1, len(toks) - n + 1))}


def collapse_duplicates(passages: list[Passage], threshold: float = 0.6) -> list[Passage]:
    """Fold near-identical passages from other articles (syndicated copies) into the first.

    The kept passage lists the other copies' articles in ``duplicates`` so they stay citable.
    Passages of the same article are never merged (overlapping chunks are distinct places).
    """
    kept: list[Passage] = []
    sigs: list[set[int]] = []
    extra: list[list[ArticleRef]] = []
    for p in passages:
        sig = _shingles(p.chunk.text)
        dup_of = -1
        for i, (k, s) in enumerate(zip(kept, sigs, strict=True)):
            if k.ref.article_id == p.ref.article_id:
                continue
            inter = len(sig & s)
            if inter and inter / min(len(sig), len(s)) >= threshold:
                dup_of = i
                break
        if dup_of >= 0:
            if all(r.article_id != p.ref.article_id for r in extra[dup_of]):
                extra[dup_of].append(p.ref)
            continue
        kept.append(p)
        sigs.append(sig)
        extra.append([])
    return [
        Passage(p.chunk, p.ref, p.score, p.dense_rank, p.lexical_rank, tuple(e))
        for p, e in zip(kept, extra, strict=True)
    ]


def apply_filters(hits: list[Hit], filters: Filters | None) -> list[Hit]:
    """Drop hits outside the filters (a safety net; both retrievers filter already)."""
    if not filters or filters.empty:
        return hits
    out = []
    for c, r, s in hits:
        if filters.sources and r.source not in filters.sources:
            continue
        if filters.since and (not r.published or r.published < filters.since):
            continue
        if filters.until and r.published and r.published > filters.until:
            continue
        out.append((c, r, s))
    return out
