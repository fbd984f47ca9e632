"""Briefings: bottom line, each actor's positions, where they disagree, timeline, sources.

Every item is a verbatim span of one article, attributed to one speaker (or marked as the
article's own narration); a span never crosses speakers (the extractive candidates guarantee
it). No sentence appears twice: spans that overlap in one article, or say the same thing in
two (syndicated copies, near-duplicates), are shown once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np

from assistant.answer import extractive
from assistant.attribution import short_name, sides_of
from assistant.types import ArticleRef, Briefing, Filters, Passage, Position, Quote

__all__ = ["Briefing", "Position", "actor_of", "build_briefing"]

EmbedFn = Callable[[list[str]], np.ndarray]

# what makes a statement a position: a demand, condition, offer, warning or claim
_STANCE = re.compile(
    r"\b(?:only if|if and only if|provided|on condition|conditions?|unless|until|must|"
    r"need(?:s|ed)? to|requir\w+|demand\w*|prerequisites?|preconditions?|guarantees?|"
    r"in exchange for|only under|ready|readiness|willing\w*|offer\w*|warn\w*|insist\w*|"
    r"reject\w*|refus\w*|argu\w+|suggest\w*|call\w* for)\b",
    re.I,
)
_APPOSITION = re.compile(r",\s*((?:who|which|the|a|an|head|chief|leader)\b[^,.;]{3,160}),")


@dataclass(frozen=True)
class Limits:
    """How much a briefing holds, and how close to the topic an item must be (cosine)."""

    bottom_line: int = 5
    details: int = 8
    parties: int = 6
    per_party: int = 3
    timeline: int = 8
    min_topic: float = 0.25  # the best sentence's confidence, as `ask` abstains below it
    min_point_similarity: float = 0.2
    min_position_similarity: float = 0.3
    near_duplicate: float = 0.9  # cosine above which two spans say the same thing
    redundant: float = 0.8  # bottom-line points this close to one another are redundant
    disagree: float = 0.45  # two actors' positions this close are on the same point
    corroborate: float = 0.75  # another article's sentence this close reports the same


def build_briefing(
    topic: str,
    passages: list[Passage],
    texts: dict[str, str],
    embed: EmbedFn,
    cache: extractive.SpeakerCache,
    filters: Filters,
    limits: Limits | None = None,
    delta: str = "",
) -> Briefing:
    """Bottom line, positions by actor, disagreements and a timeline from retrieved passages.

    A topic the passages do not cover gets an empty briefing, which every renderer words as
    "the sources don't cover this topic": when even the best sentence is less sure than
    ``min_topic`` (the confidence `ask` abstains below; retrieval always returns passages,
    so "quantum computing" over news of a trial must not become a briefing on the trial).
    """
    lim = limits or Limits()
    q = extractive.analyse(topic)
    cands = extractive.candidates(passages, texts, cache, max_passages=len(passages))
    cands = [c for c in cands if not _subheading(c, texts.get(c.ref.article_id, ""))]
    extractive.score(q, cands, embed, extractive.Weights(side=0.0, speaker=0.0))
    if max((extractive.confidence(c) for c in cands), default=0.0) < lim.min_topic:
        return Briefing(topic, (), (), tuple(passages), filters, (), (), delta, ())
    cands = [c for c in cands if c.features.get("semantic", 0.0) >= lim.min_point_similarity]
    cands.sort(key=lambda c: -c.score)
    vecs = embed([c.text for c in cands]) if cands else np.zeros((0, 1))
    keep = _distinct(cands, vecs, lim.near_duplicate)
    every, every_vecs = cands, vecs
    cands, vecs = [cands[i] for i in keep], vecs[keep]
    actors = {i: actor_of(c, texts) for i, c in enumerate(cands) if c.speaker}
    used: set[int] = set()

    # positions first: each actor's demands, conditions and claims, most relevant first,
    # taking each of the actor's speakers in turn (the Kremlin, then Russian officials, ...)
    groups: dict[str, dict[str, list[int]]] = {}
    for i in sorted(actors, key=lambda i: -_weight(cands[i])):
        if cands[i].features.get("semantic", 0.0) >= lim.min_position_similarity:
            by_speaker = groups.setdefault(actors[i], {})
            by_speaker.setdefault(cands[i].speaker or "", []).append(i)
    ranked_groups = sorted(
        ((a, _round_robin(list(v.values()), lim.per_party)) for a, v in groups.items()),
        key=lambda kv: -max(cands[i].score for i in kv[1]),
    )
    chosen = [
        (a, sorted(idx, key=lambda i: (cands[i].ref.article_id, cands[i].start)))
        for a, idx in ranked_groups[: lim.parties]
        if idx
    ]
    for _, idx in chosen:
        used.update(idx)

    # bottom line: the most central remaining points, none redundant with another
    centre = vecs.mean(axis=0) if len(cands) else np.zeros(1)
    central = sorted(
        (i for i in range(len(cands)) if i not in used),
        key=lambda i: -(_weight(cands[i]) + 0.5 * float(vecs[i] @ centre)),
    )
    points: list[int] = []
    # what someone said first; the reporter's narration only to make up three points
    for i in [
        *(i for i in central if cands[i].speaker),
        *(i for i in central if not cands[i].speaker),
    ]:
        if len(points) >= (lim.bottom_line if cands[i].speaker else max(3, len(points))):
            continue
        if all(float(vecs[i] @ vecs[j]) < lim.redundant for j in points):
            points.append(i)
    if len(points) < 3:  # too little left over: lead with the actors' strongest statements
        for _, idx in chosen:
            if len(points) < 3 and idx[0] not in points:
                points.append(idx[0])
        chosen = [(a, [i for i in idx if i not in points]) for a, idx in chosen]
        chosen = [(a, idx) for a, idx in chosen if idx]
    used.update(points)
    # more detail: further points, each relevant and unlike every point already listed; room
    # the bottom line left (it takes the reporter's narration only to make up three points)
    # goes to these, so that narration is moved down here rather than dropped
    details: list[int] = []
    room = lim.details + max(0, lim.bottom_line - len(points))
    listed = [*points, *(i for _, idx in chosen for i in idx)]
    for i in central:
        if len(details) >= room:
            break
        if i not in used and all(float(vecs[i] @ vecs[j]) < lim.redundant for j in listed):
            details.append(i)
            listed.append(i)
    used.update(details)

    # timeline: each day's best development, when the articles span several days; a day
    # whose best sentence is already listed above points back to it (no sentence twice)
    days = sorted({c.ref.published for c in cands if c.ref.published})
    timeline: list[int] = []
    if len(days) > 1:
        for day in days[-lim.timeline :]:
            of_day = [i for i in range(len(cands)) if cands[i].ref.published == day]
            fresh = [i for i in of_day if i not in used]
            listed = [i for i in of_day if i in used]
            pick = fresh[0] if fresh else (listed[0] if listed else None)
            if pick is not None:
                timeline.append(pick)
                used.add(pick)

    # where they disagree: the closest pair of positions of two actors on different sides
    disagree = _disagreements(chosen, cands, vecs, actors, lim.disagree)

    numbering: dict[int, int] = {}

    def quote(i: int) -> Quote:
        c = cands[i]
        numbering.setdefault(i, len(numbering) + 1)
        also = _corroborating(c, vecs[i], every, every_vecs, lim.corroborate)
        return Quote(
            c.text, c.ref, c.start, c.end, c.speaker, c.score, numbering[i], also, c.evidence
        )

    # what someone said leads, the reporter's narration after it, each by relevance
    key_points = tuple(
        quote(i) for i in sorted(points, key=lambda i: (not cands[i].speaker, -cands[i].score))
    )
    positions = tuple(Position(a, tuple(quote(i) for i in idx)) for a, idx in chosen)
    more = tuple(quote(i) for i in details)
    dated = tuple(
        quote(i) for i in sorted(timeline, key=lambda i: cands[i].ref.published or date.min)
    )
    pairs = tuple((quote(a), quote(b)) for a, b in disagree)
    if not key_points:
        positions, dated, pairs = (), (), ()
    if not key_points:
        more = ()
    return Briefing(
        topic, key_points, positions, tuple(passages), filters, pairs, dated, delta, more
    )


def _subheading(c: extractive.Candidate, text: str) -> bool:
    """A question the reporter sets as a section heading, alone in its paragraph ("How likely
    is Ukraine's bid to succeed?"): it says nothing, so it is no point of a briefing."""
    if c.speaker or not c.text.rstrip().endswith("?"):
        return False
    before, after = text[: c.start].rstrip(" \t"), text[c.end :].lstrip(" \t")
    return (not before or before.endswith("\n")) and (not after or after.startswith("\n"))


def _weight(c: extractive.Candidate) -> float:
    """Relevance, raised for a stance (a demand, condition, offer, warning), lowered for the
    reporter's own narration."""
    return c.score + (0.3 if _STANCE.search(c.text) else 0.0) - (0.0 if c.speaker else 0.2)


def _round_robin(lists: list[list[int]], k: int) -> list[int]:
    """Up to ``k`` items taking the first of each list in turn."""
    out: list[int] = []
    depth = 0
    while len(out) < k and any(depth < len(x) for x in lists):
        out.extend(x[depth] for x in lists if depth < len(x))
        depth += 1
    return out[:k]


def actor_of(c: extractive.Candidate, texts: dict[str, str]) -> str:
    """The party a speaker stands for: a side ("Russia") when the article says whose side the
    speaker is on ("the Kremlin", "Russian officials", "Moscow" merge), else the speaker."""
    sides = speaker_sides(c)
    if not sides and c.speaker:
        sides = _introduced_sides(c.speaker, texts.get(c.ref.article_id, ""))
    if len(sides) == 1:
        return next(iter(sides)).title().replace("Nato", "NATO")
    return short_name(c.speaker or "")


def speaker_sides(c: extractive.Candidate) -> set[str]:
    """The sides a quote's speaker is on: the one the speaker's own title names ("Ukrainian
    President Volodymyr Zelensky"), before the sides of a crowded introduction ("... in Kyiv
    with the EU's three leaders, ... Zelensky said Russia's attack ...")."""
    own = sides_of(c.speaker or "")
    return own if len(own) == 1 else set(c.speaker_sides)


def _introduced_sides(speaker: str, text: str) -> set[str]:
    """The side named where an article introduces a person: "Andrey Klimov, who headed the
    Federation Council's commission, ..." -> {"russia"}."""
    at = text.find(speaker)
    if at < 0:
        return set()
    m = _APPOSITION.match(text, at + len(speaker))
    return sides_of(m.group(1)) if m else set()


def _distinct(cands: list[extractive.Candidate], vecs: np.ndarray, near: float) -> list[int]:
    """Indices of candidates (best first) that repeat none before them: no overlap within an
    article, no sentence contained in another, no near-duplicate from another outlet."""
    keep: list[int] = []
    norms = [" ".join(c.text.split()).lower() for c in cands]
    for i, c in enumerate(cands):
        if any(
            (
                cands[j].ref.article_id == c.ref.article_id
                and cands[j].start < c.end
                and c.start < cands[j].end
            )
            or norms[i] in norms[j]
            or norms[j] in norms[i]
            or float(vecs[i] @ vecs[j]) >= near
            for j in keep
        ):
            continue
        keep.append(i)
    return keep


def _corroborating(
    c: extractive.Candidate,
    vec: np.ndarray,
    every: list[extractive.Candidate],
    vecs: np.ndarray,
    threshold: float,
) -> tuple[ArticleRef, ...]:
    """The other articles (syndicated copies first) that report what ``c`` says."""
    refs = {r.article_id: r for r in c.also_in}
    if len(every):
        for j in np.flatnonzero(vecs @ vec >= threshold):
            r = every[int(j)].ref
            if r.article_id != c.ref.article_id:
                refs.setdefault(r.article_id, r)
    return tuple(refs.values())


def _disagreements(
    chosen: list[tuple[str, list[int]]],
    cands: list[extractive.Candidate],
    vecs: np.ndarray,
    actors: dict[int, str],
    threshold: float,
) -> list[tuple[int, int]]:
    """For each pair of actors on different sides, their two positions closest in meaning,
    when close enough. Actors whose side is unknown ("Analysts"), or who are on the same side
    ("Volodymyr Zelensky" and "Ukraine"), are not set against each other: closeness alone says
    they speak to the same point, not that they disagree."""
    sides = [set().union(sides_of(a), *(speaker_sides(cands[i]) for i in idx)) for a, idx in chosen]
    out: list[tuple[int, int]] = []
    for x in range(len(chosen)):
        for y in range(x + 1, len(chosen)):
            if not sides[x] or not sides[y] or sides[x] & sides[y]:
                continue
            (_, a_idx), (_, b_idx) = chosen[x], chosen[y]
            best = max(
                ((float(vecs[a] @ vecs[b]), a, b) for a in a_idx for b in b_idx),
                default=None,
            )
            if best and best[0] >= threshold and actors[best[1]] != actors[best[2]]:
                out.append((best[1], best[2]))
    return out
