"""Briefings: the key points on a topic and each party's positions, every line a cited quote."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from assistant.answer import extractive
from assistant.answer.render import cite
from assistant.attribution import short_name
from assistant.types import Filters, Passage, Quote

EmbedFn = Callable[[list[str]], np.ndarray]


@dataclass(frozen=True)
class Position:
    """What one party (a country's side, or a named speaker) says on the topic."""

    party: str
    quotes: tuple[Quote, ...]


@dataclass(frozen=True)
class Briefing:
    """A cited summary of a topic."""

    topic: str
    key_points: tuple[Quote, ...]
    positions: tuple[Position, ...]
    passages: tuple[Passage, ...]
    filters: Filters
    markdown: str

    def to_json(self) -> dict[str, Any]:
        return {
            "topic": self.topic,
            "key_points": [q.to_json() for q in self.key_points],
            "positions": [
                {"party": p.party, "quotes": [q.to_json() for q in p.quotes]}
                for p in self.positions
            ],
            "markdown": self.markdown,
        }


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
) -> Briefing:
    """Pick diverse, relevant key points and group attributed statements by party."""
    q = extractive.analyse(topic)
    cands = extractive.candidates(passages, texts, cache, max_passages=len(passages))
    extractive.score(q, cands, embed, extractive.Weights(side=0.0, speaker=0.0))
    ranked = sorted(cands, key=lambda c: -c.score)
    vecs = embed([c.text for c in ranked]) if ranked else np.zeros((0, 384))
    # key points: relevant and different from each other (max marginal relevance)
    points: list[int] = []
    for i, _c in enumerate(ranked):
        if len(points) >= max_points:
            break
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
    md = render(topic, key_points, positions)
    return Briefing(topic, key_points, positions, tuple(passages), filters, md)


def _party(c: extractive.Candidate) -> str:
    if c.speaker_sides:
        return sorted(c.speaker_sides)[0].title().replace("Nato", "NATO")
    return short_name(c.speaker or "")


def render(topic: str, points: tuple[Quote, ...], positions: tuple[Position, ...]) -> str:
    """The briefing as Markdown (template: ui/briefing.md sections, rendered here)."""
    if not points:
        return f"## Briefing: {topic}\n\nThe sources don't cover this topic."
    lines = [f"## Briefing: {topic}", "", "### Key points", ""]
    for q in points:
        who = f" — {q.speaker}" if q.speaker else ""
        lines.append(f"- “{_flat(q.text)}”{who} [{q.citation}]")
    if positions:
        lines += ["", "### Positions", ""]
        for p in positions:
            lines.append(f"**{p.party}**")
            lines.append("")
            for q in p.quotes:
                lines.append(f"- “{_flat(q.text)}” — {q.speaker} [{q.citation}]")
            lines.append("")
    seen: dict[int, Quote] = {}
    for q in list(points) + [q for p in positions for q in p.quotes]:
        seen.setdefault(q.citation, q)
    lines += ["", "### Sources", ""]
    for n in sorted(seen):
        q = seen[n]
        lines.append(f"- [{n}] {_flat(cite(q.ref))}, characters {q.start}–{q.end}")
    return "\n".join(lines)


def _flat(text: str) -> str:
    return " ".join(text.split()).replace("<", "&lt;").replace(">", "&gt;")
