"""The extractive answerer: the best verbatim, attributed sentences, or an abstention."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from assistant.answer import extractive
from assistant.answer.base import AnswerRequest, EmbedFn, TextsFn
from assistant.answer.vectors import SpanVectors
from assistant.answer.verify import verify_quote
from assistant.speech_cache import SpeakerCache
from assistant.types import Answer, AnswerEvent, Quote, TokenEvent


@dataclass(frozen=True)
class ExtractiveAnswerer:
    """Score candidate sentences, grow and select quotes, verify them, abstain when unsure.

    Args:
        texts: Full article texts by id (quotes are cut from, and checked against, these).
        speakers: The per-article sentence spans and speakers, computed once.
        embed: The embedding function (the same model as retrieval).
        max_quotes: How many quotes an answer shows at most.
        abstain_threshold: Below this confidence in the best quote, abstain.
        weights: How the features of a candidate combine into its score.
        vectors: Stored articles' sentence vectors, kept across questions (None: encode the
            candidates every time).
    """

    texts: TextsFn
    speakers: SpeakerCache
    embed: EmbedFn
    max_quotes: int = 3
    abstain_threshold: float = 0.25
    weights: extractive.Weights = field(default_factory=extractive.Weights)
    vectors: SpanVectors | None = None

    def stream(
        self, request: AnswerRequest, tokens: bool = True
    ) -> Iterator[TokenEvent | AnswerEvent]:
        """No draft tokens: just the answer."""
        yield AnswerEvent(self.answer(request))

    def answer(self, request: AnswerRequest) -> Answer:
        """Verified quotes for the request, or an abstention with the closest passages."""
        passages = list(request.passages)
        texts = self.texts([p.ref.article_id for p in passages])
        q = extractive.analyse(request.asked)
        cands = extractive.candidates(passages, texts, self.speakers)
        ref = extractive.reference_day(passages, request.filters.until)
        extractive.score(q, cands, self.embed, self.weights, self.vectors, ref)
        cands, notice = extractive.on_topic(q, cands)
        chosen = extractive.select(
            cands,
            self.max_quotes,
            grow=lambda c: extractive.extend_one(q, c, texts, self.speakers),
            keep=self.weights.keep,
            party_first=extractive.asks_for_a_party(q),
        )
        conf = extractive.confidence(chosen[0]) if chosen else 0.0
        abstained = conf < self.abstain_threshold
        quotes: list[Quote] = []
        if not abstained:
            quotes = [
                qt
                for qt in extractive.to_quotes(chosen)
                if verify_quote(qt, texts[qt.ref.article_id])
            ]
            abstained = not quotes
        return Answer(
            question=request.question,
            quotes=tuple(quotes),
            passages=request.passages,
            abstained=abstained,
            confidence=conf,
            standalone_question=request.standalone,
            filters=request.filters,
            notice=notice if abstained else "",
        )
