"""The extractive answerer: choose verbatim sentences from retrieved passages, no LLM.

Each candidate sentence (or a two-sentence window when one sentence leans on the one before)
is scored against the question by meaning (the same embedding model), by weighted word
overlap, by its passage's rank, by what the question asks for (a person, a number, a date),
and by who says it: a question about a party ("What does Russia require?") prefers what that
party's own people say over what others say of it.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from assistant.answer.features import agreement, answer_items
from assistant.answer.question import CAPS as _CAPS
from assistant.answer.question import NOT_PARTY as _NOT_PARTY
from assistant.answer.question import STOP_CAPS as _STOP_CAPS
from assistant.answer.question import Question, analyse, question_subject, unpossessed

__all__ = ["Candidate", "Question", "Weights", "analyse", "question_subject"]
from assistant.answer.vectors import SpanVectors
from assistant.attribution import Attribution
from assistant.lexical import tokenize
from assistant.speech_cache import SpeakerCache
from assistant.text import count_words, is_boilerplate, is_heading
from assistant.types import ArticleRef, Passage, Quote, SpeakerEvidence

EmbedFn = Callable[[list[str]], np.ndarray]

_LEANS_BACK = re.compile(
    r"^(?:he|she|they|it|this|that|these|those|his|her|their|its|the spokesperson|"
    r"but|and|however|also|still|yet|meanwhile|instead)\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"\d")
_MONTH = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b|\b(?:19|20)\d\d\b", re.I
)
_CONDITION = re.compile(
    r"\b(?:only if|if and only if|provided|on condition|conditions?|unless|until|must|"
    r"need(?:s|ed)? to|requir\w+|demand\w*|prerequisites?|preconditions?|as long as|"
    r"guarantees?|in exchange for|only under)\b",
    re.I,
)


@dataclass(frozen=True)
class Weights:
    """How the features combine (chosen on the RTQA dev questions; ``near``, the raised
    ``answer_type``, ``recent``, ``asked``, ``asked_words`` and ``bare`` on half of them by id
    hash, then checked on the other half: see benchmarks/select_bench.py and
    docs/benchmarks.md)."""

    semantic: float = 1.0
    lexical: float = 1.5
    passage: float = 0.3
    answer_type: float = 0.5
    side: float = 0.4
    speaker: float = 0.3
    novelty: float = 0.08
    near: float = 0.3  # an answer item beside the question's words
    agree: float = 0.0  # other articles report the same item (measured: no help, kept at 0)
    lead: float = 0.0  # the article's first sentences (measured: no help on both halves)
    keep: float = 0.0  # a later quote needs this share of the best one's score (0.7 hurt)
    recent: float = 0.4  # published in the week up to "as of" (news questions ask about it)
    asked: float = 0.7  # meaning next to the sentence that asks, after any context
    asked_words: float = 0.6  # the words of the sentence that asks, weighted as ``lexical``
    # ``lexical`` again when the question asks for a name, number or date and the span names
    # none the question does not say: words shared with the question count for less in a
    # span that restates it without the answer (A +2 questions, B see docs/benchmarks.md)
    bare: float = -1.0


@dataclass
class Candidate:
    """A quotable span with its features."""

    ref: ArticleRef
    start: int
    end: int
    text: str
    speaker: str | None
    speaker_sides: set[str]
    passage_rank: int
    also_in: tuple[ArticleRef, ...] = ()
    features: dict[str, float] = field(default_factory=dict)
    score: float = 0.0
    order: int = 0  # the sentence's place in its article (0: the first)
    evidence: SpeakerEvidence | None = None
    why: dict[str, object] = field(default_factory=dict)


def candidates(
    passages: list[Passage], texts: dict[str, str], cache: SpeakerCache, max_passages: int = 8
) -> list[Candidate]:
    """Quotable spans from the top passages, de-duplicated by text."""
    out: list[Candidate] = []
    seen: set[str] = set()
    top = passages[:max_passages]
    cache.warm({p.ref.article_id: texts[p.ref.article_id] for p in top if p.ref.article_id in texts})
    for rank, p in enumerate(top):
        text = texts.get(p.ref.article_id)
        if text is None:
            continue
        speech = cache.speech(p.ref.article_id, text)
        spans, atts, sides = speech.spans, speech.attributions, speech.sides
        index = {s.start: i for i, s in enumerate(spans)}
        for s in p.chunk.sentences:
            i = index.get(s.start)
            if i is None:
                continue
            sentence = text[s.start : s.end]
            n = count_words(sentence)
            if n < 5 or n > 90 or is_heading(sentence) or is_boilerplate(sentence):
                continue
            start = s.start
            # a sentence that leans on the one before takes it along, but only when both are
            # the same speaker's (or both the reporter's): a quote never crosses speakers
            if i > 0 and (_LEANS_BACK.match(sentence) or n < 8) and _same(atts[i - 1], atts[i]):
                prev = spans[i - 1]
                prev_text = text[prev.start : prev.end]
                if (
                    "\n\n" not in text[prev.end : s.start]
                    and not is_heading(prev_text)
                    and count_words(prev_text) + n <= 90
                ):
                    start = prev.start
            key = " ".join(text[start : s.end].split())
            if key in seen:
                continue
            seen.add(key)
            speaker = atts[i].speaker
            out.append(
                Candidate(
                    ref=p.ref,
                    start=start,
                    end=s.end,
                    text=text[start : s.end],
                    speaker=speaker,
                    speaker_sides=sides.get(speaker, set()) if speaker else set(),
                    passage_rank=rank,
                    also_in=p.duplicates,
                    order=i,
                    evidence=atts[i].evidence(),
                )
            )
    return out


def _same(a: Attribution, b: Attribution) -> bool:
    """Two sentences belong in one quote: the same speaker, or both narration, and both in
    the speaker's own words or both reported ("“I am sure it is possible.”" is not joined to
    "Before the war, Zelensky had said that ...": that is the reporter's account of him)."""
    return (a.speaker or None) == (b.speaker or None) and a.direct == b.direct


def score(
    q: Question,
    cands: list[Candidate],
    embed: EmbedFn,
    w: Weights,
    vectors: SpanVectors | None = None,
    ref_date: date | None = None,
) -> None:
    """Fill in each candidate's features and score (sentence vectors from ``vectors`` when
    given, so a stored article's sentences are encoded once, not per question; ``ref_date``
    is the day the question is asked "as of": articles of the week up to it count as recent)."""
    if not cands:
        return
    if vectors is None:
        vecs = embed([q.text] + [c.text for c in cands])
        mat = vecs[1:]
        sims = mat @ vecs[0]
    else:
        qvec = embed([q.text])[0]
        spans = [(c.ref.article_id, c.start, c.end) for c in cands]
        mat = vectors.vectors(spans, [c.text for c in cands])
        sims = mat @ qvec
    # with context before the question, also the meaning next to the sentence that asks
    context = q.asked and q.asked != q.text.strip()
    asked = mat @ embed([q.asked])[0] if context and w.asked else sims
    toks = [set(tokenize([c.text])[0]) for c in cands]
    df = Counter(t for ts in toks for t in ts)
    n = len(cands)
    idf = {t: math.log(1 + n / (1 + df.get(t, 0))) + 0.5 for t in q.tokens}
    total = sum(idf.values()) or 1.0
    atoks = set(tokenize([q.asked or q.text])[0])  # the sentence that asks: its words
    atotal = sum(v for t, v in idf.items() if t in atoks) or 1.0
    qwords = _question_words(q)
    stems = {w: t[0] for w, t in zip(qwords, tokenize(list(qwords)), strict=True) if t}
    stems = {w: t for w, t in stems.items() if w not in _STOP_CAPS and w not in _NOT_PARTY}
    items = [answer_items(q.wants, qwords, q.tokens, c.text) for c in cands]
    agreed = agreement([(c.ref.article_id, it.found) for c, it in zip(cands, items, strict=True)])
    source = {c.ref.article_id: c.ref.source or c.ref.title for c in cands}
    for c, sim, ask, ts, it, (agree, shared, others) in zip(
        cands, sims, asked, toks, items, agreed, strict=True
    ):
        lex = sum(v for t, v in idf.items() if t in ts) / total
        alex = sum(v for t, v in idf.items() if t in ts and t in atoks) / atotal
        c.why = {
            "matched_words": sorted(w for w, t in stems.items() if t in ts),
            "answer_type": q.wants,
            "answer_found": list(it.found[:5]) if q.wants in _TYPED else [],
            "outlets_agreeing": sorted({source[a] for a in others}),
            "agreeing_on": list(shared[:5]),
        }
        f = {
            "semantic": float(sim),
            "lexical": lex,
            "asked_words": alex,
            "passage": 1.0 / (1.0 + 0.5 * c.passage_rank),
            "answer_type": _type_match(q, c.text, c.speaker),
            "side": _side(q, c),
            "speaker": _speaker_match(q, c),
            "novelty": _novelty(q, c.text),
            "near": it.near if q.wants in _TYPED else 0.0,
            "agree": agree,
            "lead": 1.0 if c.order < LEAD else 0.0,
            "recent": _recent(c.ref.published, ref_date),
            "asked": float(ask),
            "bare": lex if q.wants in _BARE and not it.found else 0.0,
        }
        c.why["published_this_week"] = bool(f["recent"])
        c.features = f
        c.score = sum(getattr(w, k) * v for k, v in f.items())


LEAD = 3  # sentences: an article's lead
RECENT_DAYS = 7


def _recent(published: date | None, ref_date: date | None) -> float:
    """1 for an article published in the ``RECENT_DAYS`` up to the reference day."""
    if published is None or ref_date is None:
        return 0.0
    return 1.0 if 0 <= (ref_date - published).days <= RECENT_DAYS else 0.0


def reference_day(passages: list[Passage], until: date | None) -> date | None:
    """The day a question is asked about: its "as of" bound, else the newest article's day."""
    if until is not None:
        return until
    return max((p.ref.published for p in passages if p.ref.published), default=None)


def _question_words(q: Question) -> frozenset[str]:
    return frozenset(w.lower() for w in re.findall(r"[\w’'\-]+", q.text))


_TYPED = frozenset(["number", "date", "person", "place", "entity"])
# where a span without an answer item is a restatement: "which show" is often answered by
# a common noun ("chicken nuggets"), so entity questions are left out
_BARE = frozenset(["number", "date", "person", "place"])


def _type_match(q: Question, text: str, speaker: str | None = None) -> float:
    if q.wants == "condition":
        return 1.0 if _CONDITION.search(text) else 0.0
    if q.wants == "position":
        return 1.0 if speaker else 0.0
    if q.wants == "number":
        return 1.0 if _NUMBER.search(text) else 0.0
    if q.wants == "date":
        return 1.0 if _MONTH.search(text) else 0.0
    if q.wants in ("person", "place", "entity"):
        caps = {w.lower() for w in _CAPS.findall(text[1:])}
        return 1.0 if caps - q.names else 0.0
    return 0.0


def _novelty(q: Question, text: str) -> float:
    """Whether the span names something the question does not (an answer, not an echo)."""
    caps = {w.lower() for w in _CAPS.findall(text[1:])} | set(re.findall(r"\d[\d,.]*", text))
    return 1.0 if caps - q.names else 0.0


def _side(q: Question, c: Candidate) -> float:
    """+1 when the speaker belongs to the party asked about, -1 when to another party."""
    if not q.sides or not c.speaker:
        return 0.0
    if c.speaker_sides & q.sides:
        return 1.0
    if c.speaker_sides:
        return -1.0
    return 0.0


def _speaker_match(q: Question, c: Candidate) -> float:
    """1 when the speaker is the party the question names ("the analysts", "Kirby")."""
    return 1.0 if speaks_for(q, c) else 0.0


def speaks_for(q: Question, c: Candidate) -> bool:
    """Whether the candidate's speaker is the party asked about (by name or by role).

    A name matches by all its words ("John Kirby" in "White House ... John Kirby") or by its
    last word where the speaker's name ends ("Kirby", "John Kirby, White House"), never by a
    shared first name ("John Eastman" is not John Kirby; "Police Chief Lee White" is not Ann
    Lee)."""
    if not c.speaker or not (q.names or q.party):
        return False
    if any(_names(name, c.speaker) for name in _name_runs(q.party_name or q.text[1:])):
        return True
    return bool(q.party and q.party <= set(tokenize([c.speaker])[0]))


def mentions_party(q: Question, text: str) -> bool:
    """Whether ``text`` names the party a question asks about by name ("Ned Price", "Kirby";
    never for "the analysts"), by the rule :func:`speaks_for` uses for speakers."""
    return any(_names(name, text) for name in _name_runs(q.party_name))


_NAME_RUN = re.compile(r"\b[A-Z][\w’'\-]*(?:\s+[A-Z][\w’'\-]*)*")
_SPEAKER_TOKEN = re.compile(r"[\w’'\-]+|[^\w\s]")


def _name_runs(text: str) -> list[list[str]]:
    """The capitalised names in ``text``, each as its words ("John Kirby" -> [john, kirby])."""
    runs = []
    for m in _NAME_RUN.finditer(text):
        words = [unpossessed(w) for w in m.group().split()]
        words = [w for w in words if w and w not in _STOP_CAPS]
        if words:
            runs.append(words)
    return runs


def _names(name: list[str], speaker: str) -> bool:
    """Whether ``speaker`` names ``name``: all its words, or its last word alone at the end of
    the speaker's name (followed by nothing, punctuation or a lower-case word)."""
    tokens = _SPEAKER_TOKEN.findall(speaker)
    # only capitalised words are names: "Ned Price" is not in "the price of oil", nor
    # "Theresa May" in "talks may resume"
    bare = [unpossessed(t) if t[:1].isupper() else "" for t in tokens]
    if set(name) <= set(bare):
        return True
    for i, w in enumerate(bare):
        if w == name[-1]:
            after = tokens[i + 1] if i + 1 < len(tokens) else ""
            if not after[:1].isupper():
                return True
    return False


def on_topic(q: Question, cands: list[Candidate]) -> tuple[list[Candidate], str]:
    """The candidates that bear on a question about what a party says, and a notice.

    "What did the analysts say?" keeps the analysts' own statements when there are any
    (others' words are filler there). When nobody by that name speaks and no candidate even
    mentions the name, there is nothing to quote: none, with a notice saying so.
    """
    if not (q.asks_speech and q.party):
        return cands, ""
    own = [c for c in cands if speaks_for(q, c)]
    if own:
        return own, ""
    # a named party ("Kirby", "Ann Lee"; not "the analysts") that no candidate even mentions,
    # by the same rule as a speaker ("Police Chief Lee White" is no mention of Ann Lee)
    names = _name_runs(q.party_name)
    if names and not any(_names(n, c.text) for n in names for c in cands):
        return [], f"The sources don't quote {q.party_name}."
    return cands, ""


def select(
    cands: list[Candidate],
    k: int,
    grow: Callable[[Candidate], Candidate] | None = None,
    keep: float = 0.0,
    party_first: bool = True,
) -> list[Candidate]:
    """The best ``k`` candidates, each grown by ``grow`` (e.g. to two sentences), skipping
    any that overlap or repeat what is already chosen (syndicated copies included) and any
    after the first scoring below ``keep`` times the best (filler, not an answer).

    When the question asks what a party says or demands (``party_first``, see
    :func:`asks_for_a_party`), that party's own statements lead (if they are nearly as
    relevant as the best candidate); what others say of it follows as attributed context.
    """
    chosen: list[Candidate] = []
    ranked = sorted(cands, key=lambda c: -c.score)
    if ranked and party_first:
        bar = 0.7 * ranked[0].score
        ranked.sort(key=lambda c: (-(c.features.get("side", 0) > 0 and c.score >= bar), -c.score))
    shown: list[str] = []
    for c in ranked:
        if len(chosen) >= k:
            break
        if chosen and c.score < keep * chosen[0].score:
            continue
        core = " ".join(c.text.split())
        if any(core in s for s in shown):
            continue  # the same sentence is already on screen, maybe from another outlet
        for option in [grow(c), c] if grow else [c]:
            if not _clashes(option, chosen):
                chosen.append(option)
                shown.append(" ".join(option.text.split()))
                break
    return chosen


def asks_for_a_party(q: Question) -> bool:
    """Whether the question asks what a party says, wants or demands ("What does Washington
    demand?"), where that party's own words should lead; not a question about a fact that
    merely names a party ("How much will Ukraine's reconstruction cost?")."""
    return q.asks_speech or q.wants in ("position", "condition")


def _clashes(c: Candidate, chosen: list[Candidate]) -> bool:
    return any(
        (o.ref.article_id == c.ref.article_id and o.start < c.end and c.start < o.end)
        or _jaccard(o.text, c.text) > 0.6
        for o in chosen
    )


def extend_one(
    q: Question,
    c: Candidate,
    texts: dict[str, str],
    cache: SpeakerCache,
    max_words: int = 70,
) -> Candidate:
    """Give a one-sentence quote its neighbour of the same speaker (the one sharing more of the question's words,
    the next one on a tie) when both fit in ``max_words``: two sentences read better alone
    and more often hold the whole answer. Quotes never exceed two sentences. ``c`` has been
    through ``score`` (its ``why`` says whether it names an item of the kind asked for)."""
    text = texts[c.ref.article_id]
    speech = cache.speech(c.ref.article_id, text)
    spans, atts = speech.spans, speech.attributions
    i = next((k for k, sp in enumerate(spans) if sp.start == c.start and sp.end == c.end), -1)
    if i < 0:
        return c
    qwords = _question_words(q)
    names_one = bool(c.why.get("answer_found"))  # score() found an item of the asked kind
    options = []
    for j in (i + 1, i - 1):
        if 0 <= j < len(spans) and _same(atts[i], atts[j]):
            neighbour = text[spans[j].start : spans[j].end]
            if (
                is_heading(neighbour)
                or is_boilerplate(neighbour)
                or count_words(neighbour) + count_words(c.text) > max_words
            ):
                continue
            overlap = len(q.tokens & set(tokenize([neighbour])[0]))
            # a sentence that restates the question without naming the answer takes the
            # neighbour that names something of the kind asked for ("... the wildly popular
            # South Korean show is green lit." + "“Squid Game” is ...")
            adds = bool(
                q.wants in _TYPED
                and not names_one
                and answer_items(q.wants, qwords, q.tokens, neighbour).found
            )
            options.append((adds, overlap, j == i + 1, j))
    if not options:
        return c
    *_, j = max(options)
    start, end = min(spans[i].start, spans[j].start), max(spans[i].end, spans[j].end)
    return Candidate(
        ref=c.ref,
        start=start,
        end=end,
        text=text[start:end],
        speaker=c.speaker,
        speaker_sides=c.speaker_sides,
        passage_rank=c.passage_rank,
        also_in=c.also_in,
        features=c.features,
        score=c.score,
        evidence=c.evidence,
        why=c.why,
        order=c.order,
    )


def _jaccard(a: str, b: str) -> float:
    sa, sb = set(a.lower().split()), set(b.lower().split())
    return len(sa & sb) / max(1, len(sa | sb))


def to_quotes(chosen: list[Candidate]) -> list[Quote]:
    """Candidates as numbered quotes."""
    return [
        Quote(
            text=c.text,
            ref=c.ref,
            start=c.start,
            end=c.end,
            speaker=c.speaker,
            score=c.score,
            citation=i,
            also_in=c.also_in,
            speaker_evidence=c.evidence,
            why=dict(c.why),
        )
        for i, c in enumerate(chosen, 1)
    ]


def confidence(c: Candidate) -> float:
    """How sure the best quote is, from meaning and word overlap; a statement by the very
    party the question asks about ("What did the analysts say?", or one of its people for
    "What does Washington demand?") counts for more."""
    return (
        0.6 * c.features.get("semantic", 0.0)
        + 0.4 * c.features.get("lexical", 0.0)
        + 0.15 * max(c.features.get("speaker", 0.0), c.features.get("side", 0.0))
    )
