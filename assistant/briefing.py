"""Briefings: the key points on a topic and each party's positions, every line a cited quote."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from assistant.answer import extractive
from assistant.attribution import short_name
from assistant.types import Briefing, Filters, Passage, Position, Quote

__all__ = ["Briefing", "Position", "build_briefing"]

EmbedFn = Callable[[list[str]], np.ndarray]


def build_briefing(
    topic: str,
    passages: list[Passage],
    texts: dict[str, str],
    embed: EmbedFn,
    cache: extractive.SpeakerCache,
    filters: Filters,
    max_points: int = 5,
    max_parties: int = 5,
    per_party: int = 2,
    min_similarity: float = 0.3,
    min_point_similarity: float = 0.2,
) -> Briefing:
    """Pick diverse, relevant key points and group attributed statements by party.

    A key point must mean something close to the topic (``min_point_similarity``, cosine),
    a position a little closer (``min_similarity``); a topic the articles do not cover gets
    no key points, and the briefing says so.
    """
    q = extractive.analyse(topic)
    cands = extractive.candidates(passages, texts, cache, max_passages=len(passages))
    extractive.score(q, cands, embed, extractive.Weights(side=0.0, speaker=0.0))
    ranked = sorted(cands, key=lambda c: -c.score)
    vecs = embed([c.text for c in ranked]) if ranked else np.zeros((0, 0))  # none to compare
    # key points: relevant and different from each other (max marginal relevance)
    points: list[int] = []
    for i, c in enumerate(ranked):
        if len(points) >= max_points:
            break
        if c.features.get("semantic", 0.0) < min_point_similarity:
            continue
        if all(float(vecs[i] @ vecs[j]) < 0.8 for j in points):
            points.append(i)
    # positions: attributed statements grouped by party, best first
    parties: dict[str, list[int]] = {}
    for i, c in enumerate(ranked):
        if not c.speaker or c.features.get("semantic", 0.0) < min_similarity:
            continue
        party = _party(c)
        group = parties.setdefault(party, [])
        if len(group) < per_party and all(float(vecs[i] @ vecs[j]) < 0.85 for j in group):
            group.append(i)
    chosen_parties = list(parties.items())[:max_parties]
    numbering: dict[tuple[str, int], int] = {}

    def quote(i: int) -> Quote:
        c = ranked[i]
        key = (c.ref.article_id, c.start)
        numbering.setdefault(key, len(numbering) + 1)
        return Quote(c.text, c.ref, c.start, c.end, c.speaker, c.score, numbering[key], c.also_in)

    key_points = tuple(quote(i) for i in points)
    positions = tuple(Position(p, tuple(quote(i) for i in idx)) for p, idx in chosen_parties)
    return Briefing(topic, key_points, positions, tuple(passages), filters)


def _party(c: extractive.Candidate) -> str:
    if c.speaker_sides:
        return sorted(c.speaker_sides)[0].title().replace("Nato", "NATO")
    return short_name(c.speaker or "")
