"""Plain, frozen data passed between the parts of the assistant."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any


@dataclass(frozen=True)
class Article:
    """One news article with its metadata and full text (offsets refer to ``text``)."""

    id: str
    title: str
    text: str
    source: str = ""
    published: date | None = None
    url: str = ""
    authors: tuple[str, ...] = ()
    origin: str = ""  # the file path or URL it was read from
    content_hash: str = ""


@dataclass(frozen=True)
class Span:
    """A half-open character range ``[start, end)`` in an article's text."""

    start: int
    end: int


@dataclass(frozen=True)
class Chunk:
    """A run of whole sentences of one article, embedded and indexed as one passage."""

    id: str
    article_id: str
    index: int
    start: int
    end: int
    text: str
    sentences: tuple[Span, ...] = ()  # absolute offsets in the article text


@dataclass(frozen=True)
class ArticleRef:
    """What a citation needs to name an article."""

    article_id: str
    title: str
    source: str
    published: date | None
    url: str


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with its article's metadata and its retrieval scores."""

    chunk: Chunk
    ref: ArticleRef
    score: float
    dense_rank: int | None = None
    lexical_rank: int | None = None
    duplicates: tuple[ArticleRef, ...] = ()

    @property
    def text(self) -> str:
        return self.chunk.text

    def to_json(self, with_text: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "article_id": self.ref.article_id,
            "title": self.ref.title,
            "source": self.ref.source,
            "published": self.ref.published.isoformat() if self.ref.published else None,
            "start": self.chunk.start,
            "end": self.chunk.end,
            "score": round(self.score, 5),
        }
        if with_text:
            out["text"] = self.chunk.text
        return out


@dataclass(frozen=True)
class SpeakerEvidence:
    """Where the article names a quote's speaker: absolute spans in the article's text.

    ``mention`` is the speaker as written near the cue ("he", "Kirby"), ``cue`` the reporting
    words ("said", "according to"), ``antecedent`` the named mention a pronoun or a role
    ("the spokesperson") was resolved to.
    """

    mention: Span | None = None
    cue: Span | None = None
    antecedent: Span | None = None

    def to_json(self) -> dict[str, list[int] | None]:
        def pair(s: Span | None) -> list[int] | None:
            return [s.start, s.end] if s else None

        return {
            "mention": pair(self.mention),
            "cue": pair(self.cue),
            "antecedent": pair(self.antecedent),
        }


@dataclass(frozen=True)
class Attribution:
    """Who a sentence is attributed to, and where the article says so.

    ``mention`` is the span of the speaker as written near the cue ("he", "Smith");
    ``antecedent`` the span of the named mention a pronoun or description was resolved to.
    """

    speaker: str | None = None
    mention: Span | None = None
    cue: Span | None = None
    antecedent: Span | None = None
    direct: bool = False  # the sentence holds the speaker's own words in quotation marks

    def evidence(self) -> SpeakerEvidence | None:
        """The spans that show who is speaking (None for narration)."""
        if not self.speaker:
            return None
        return SpeakerEvidence(self.mention, self.cue, self.antecedent)


@dataclass(frozen=True)
class Quote:
    """A verbatim span of an article, with who said it and where it is."""

    text: str
    ref: ArticleRef
    start: int
    end: int
    speaker: str | None = None
    score: float = 0.0
    citation: int = 0  # 1-based number shown to the reader
    also_in: tuple[ArticleRef, ...] = ()
    speaker_evidence: SpeakerEvidence | None = None
    # what chose it (extractive answers): matched words, the answer type and the items of
    # that type found, the outlets reporting the same items; data only, no renderer shows it
    why: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "speaker": self.speaker,
            "speaker_evidence": self.speaker_evidence.to_json() if self.speaker_evidence else None,
            "article_id": self.ref.article_id,
            "title": self.ref.title,
            "source": self.ref.source,
            "published": self.ref.published.isoformat() if self.ref.published else None,
            "url": self.ref.url,
            "start": self.start,
            "end": self.end,
            "citation": self.citation,
            "score": round(self.score, 4),
            "also_in": [r.article_id for r in self.also_in],
            "why": dict(self.why),
        }


@dataclass(frozen=True)
class Filters:
    """Restrictions on what retrieval may return."""

    sources: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None  # inclusive; "as of" also lands here

    def merged(self, other: Filters) -> Filters:
        """Combine two filter sets, the tighter bound winning."""
        since = max((d for d in (self.since, other.since) if d), default=None)
        until = min((d for d in (self.until, other.until) if d), default=None)
        return Filters(sources=self.sources or other.sources, since=since, until=until)

    @property
    def empty(self) -> bool:
        return not (self.sources or self.since or self.until)


@dataclass(frozen=True)
class Turn:
    """One exchange of a conversation."""

    question: str
    answer: str = ""


@dataclass(frozen=True)
class Answer:
    """What the assistant says to a question: quotes, citations and whether it abstained."""

    question: str
    quotes: tuple[Quote, ...]
    passages: tuple[Passage, ...]
    abstained: bool
    confidence: float
    standalone_question: str = ""
    filters: Filters = field(default_factory=Filters)
    mode: str = "extractive"
    text: str = ""  # the LLM's prose (LLM mode), after verification
    unverified: tuple[str, ...] = ()
    fallback: bool = False
    usage: dict[str, int] = field(default_factory=dict)
    verification: dict[str, int] = field(default_factory=dict)  # LLM mode: quote/citation counts
    notice: str = ""  # why an LLM answer fell back (shown to the user), else empty

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "standalone_question": self.standalone_question or self.question,
            "abstained": self.abstained,
            "confidence": round(self.confidence, 4),
            "mode": self.mode,
            "fallback": self.fallback,
            "quotes": [q.to_json() for q in self.quotes],
            "unverified": list(self.unverified),
            "filters": {
                "sources": list(self.filters.sources),
                "since": self.filters.since.isoformat() if self.filters.since else None,
                "until": self.filters.until.isoformat() if self.filters.until else None,
            },
            "passages": [p.to_json() for p in self.passages],
            "usage": dict(self.usage),
            "verification": dict(self.verification),
            "notice": self.notice,
        }


@dataclass(frozen=True)
class Position:
    """What one party (a country's side, or a named speaker) says on the topic."""

    party: str
    quotes: tuple[Quote, ...]


@dataclass(frozen=True)
class Briefing:
    """A cited summary of a topic: the bottom line, each actor's positions, where they
    disagree and a timeline, every item a verbatim quote.

    ``key_points`` is the bottom line; ``disagreements`` pairs quotes that also stand under
    their actors' positions (same citation numbers); ``delta`` says what the briefing is new
    relative to ("since 2024-05-01", "since the briefing 'x' of ...") or is empty.
    """

    topic: str
    key_points: tuple[Quote, ...]
    positions: tuple[Position, ...]
    passages: tuple[Passage, ...]
    filters: Filters
    disagreements: tuple[tuple[Quote, Quote], ...] = ()
    timeline: tuple[Quote, ...] = ()
    delta: str = ""
    details: tuple[Quote, ...] = ()  # further points after the positions ("More detail")
    # with an LLM: its summary, verified; [n] in it names summary_sources' passage n
    summary: str = ""
    summary_sources: tuple[tuple[int, Passage], ...] = ()
    summary_quotes: tuple[Quote, ...] = ()
    unverified: tuple[str, ...] = ()
    mode: str = "extractive"
    notice: str = ""
    usage: dict[str, int] = field(default_factory=dict)

    def listed_above(self) -> set[int]:
        """Citations already shown before the timeline (which points back to them)."""
        shown = [*self.key_points, *self.details, *(q for p in self.positions for q in p.quotes)]
        return {q.citation for q in shown}

    def quotes(self) -> list[Quote]:
        """Every distinct quote once, in citation order."""
        seen: dict[int, Quote] = {}
        for q in [*self.key_points, *(q for p in self.positions for q in p.quotes),
                  *self.details, *self.timeline,
                  *(q for pair in self.disagreements for q in pair)]:
            seen.setdefault(q.citation, q)
        return [seen[n] for n in sorted(seen)]

    def sources(self) -> list[dict[str, Any]]:
        """The cited articles, each once, with the citation numbers that point to it."""
        rows: dict[str, dict[str, Any]] = {}
        for q in self.quotes():
            r = q.ref
            row = rows.setdefault(r.article_id, {
                "article_id": r.article_id,
                "title": r.title,
                "source": r.source,
                "published": r.published.isoformat() if r.published else None,
                "url": r.url,
                "citations": [],
            })
            row["citations"].append(q.citation)
        return list(rows.values())

    def to_json(self) -> dict[str, Any]:
        sections: list[dict[str, Any]] = []
        if self.key_points:
            sections.append({"title": "Bottom line",
                             "items": [q.to_json() for q in self.key_points]})
        for p in self.positions:
            sections.append({"title": p.party, "actor": p.party,
                             "items": [q.to_json() for q in p.quotes]})
        if self.details:
            sections.append({"title": "More detail",
                             "items": [q.to_json() for q in self.details]})
        if self.disagreements:
            sections.append({"title": "Where they disagree",
                             "items": [q.to_json() for pair in self.disagreements for q in pair],
                             "pairs": [[a.citation, b.citation] for a, b in self.disagreements]})
        if self.timeline:
            sections.append({"title": "Timeline", "items": [q.to_json() for q in self.timeline]})
        out: dict[str, Any] = {
            "topic": self.topic,
            "whats_new": self.delta or None,
            "sections": sections,
            "sources": self.sources(),
            "mode": self.mode,
        }
        if self.mode == "llm" or self.notice:
            out["summary"] = self.summary
            out["summary_sources"] = [
                {**p.to_json(), "number": n} for n, p in self.summary_sources
            ]
            out["summary_quotes"] = [q.to_json() for q in self.summary_quotes]
            out["unverified"] = list(self.unverified)
            out["notice"] = self.notice
        return out


@dataclass(frozen=True)
class StatusEvent:
    """What the assistant is doing now (e.g. searching, asking the LLM)."""

    text: str


@dataclass(frozen=True)
class TokenEvent:
    """A piece of the LLM's draft as it arrives (not yet verified)."""

    text: str


@dataclass(frozen=True)
class AnswerEvent:
    """The final, verified answer: always the last event of a stream."""

    answer: Answer


AskEvent = StatusEvent | TokenEvent | AnswerEvent


def ref_of(article: Article) -> ArticleRef:
    """The citation fields of an article."""
    return ArticleRef(article.id, article.title, article.source, article.published, article.url)


def as_dict(obj: Any) -> dict[str, Any]:
    """A dataclass as a plain dict (dates left as objects)."""
    return asdict(obj)
