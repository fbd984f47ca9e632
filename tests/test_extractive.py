"""The extractive answerer's quote boundaries: a quote never crosses speakers, and the
speaker claim comes with evidence that slices to the article."""

from __future__ import annotations

import pytest

from assistant.sources import read_text
from assistant.speech_cache import SpeakerCache
from tests.conftest import SEED

QUESTIONS = [
    "What does Russia require before talks?",
    "What did John Kirby say about negotiations with Russia?",
    "What does Washington demand of Moscow?",
    "What did Klimov say about the American stance?",
]


@pytest.mark.parametrize("question", QUESTIONS)
def test_no_quote_mixes_speakers_or_puts_narration_under_a_name(seeded, question: str) -> None:  # type: ignore[no-untyped-def]
    ans = seeded.ask(question)
    assert ans.quotes
    for q in ans.quotes:
        text = seeded.article(q.ref.article_id).text
        assert text[q.start : q.end] == q.text
        speech = SpeakerCache().speech(q.ref.article_id, text)
        inside = [
            a.speaker
            for s, a in zip(speech.spans, speech.attributions, strict=True)
            if q.start <= s.start and s.end <= q.end
        ]
        assert inside and set(inside) == {q.speaker}, (q.text, inside)


def test_reporter_sentences_never_join_the_russian_conditions(seeded) -> None:  # type: ignore[no-untyped-def]
    ans = seeded.ask("What does Russia require before talks?")
    officials, kremlin = ans.quotes[0], ans.quotes[1]
    assert officials.speaker == "Officials from the Russian side"
    assert officials.text.endswith("that would satisfy Moscow’s strategic concerns.")
    assert "This framing highlights" not in officials.text
    assert kremlin.speaker == "the Kremlin leadership"
    assert kremlin.text.startswith("In a separate public message")
    assert "The current stance reflects" not in kremlin.text


def test_speaker_evidence_in_json_slices_to_the_article(seeded) -> None:  # type: ignore[no-untyped-def]
    ans = seeded.ask("What did Klimov say about the American stance?")
    body = ans.to_json()
    text = read_text(SEED.read_text(), str(SEED)).text
    seen = 0
    for q in body["quotes"]:
        ev = q["speaker_evidence"]
        if q["speaker"] is None:
            assert ev is None
            continue
        seen += 1
        mention = text[ev["mention"][0] : ev["mention"][1]]
        cue = text[ev["cue"][0] : ev["cue"][1]]
        named = text[ev["antecedent"][0] : ev["antecedent"][1]] if ev["antecedent"] else mention
        assert mention and cue.strip()
        # the named mention is the speaker shown, or its last word ("Klimov" of "Andrey Klimov")
        assert named.split()[-1] in q["speaker"], (named, q["speaker"])
    assert seen


def test_a_stored_articles_sentences_are_encoded_once(seeded) -> None:  # type: ignore[no-untyped-def]
    """The second question over the same article encodes only itself, not its sentences."""
    from assistant.answer.base import AnswerRequest
    from assistant.answer.extractive_answerer import ExtractiveAnswerer
    from assistant.answer.vectors import SpanVectors

    calls: list[list[str]] = []

    def counting(texts: list[str]):  # type: ignore[no-untyped-def]
        calls.append(list(texts))
        return seeded.embedder.embed(texts)

    answerer = ExtractiveAnswerer(
        seeded.texts, seeded.speakers, counting, vectors=SpanVectors(counting)
    )
    first_q = "What does Russia require before talks?"
    second_q = "What did Klimov say about the American stance?"
    passages = seeded.retrieve(first_q)
    first = answerer.answer(AnswerRequest(first_q, tuple(passages)))
    assert first.quotes and calls[0] == [first_q]
    encoded = [t for call in calls[1:] for t in call]
    assert len(encoded) > 10  # the candidate sentences of the seed article, once
    calls.clear()
    second = answerer.answer(AnswerRequest(second_q, tuple(passages)))
    assert calls == [[second_q]]  # no sentence encoded again
    assert second.quotes and second.quotes[0].speaker == "Andrey Klimov"
    text = seeded.article(second.quotes[0].ref.article_id).text
    for q in second.quotes:
        assert text[q.start : q.end] == q.text


def test_span_vectors_encode_again_when_the_words_at_the_offsets_change(embedder) -> None:  # type: ignore[no-untyped-def]
    from assistant.answer.vectors import SpanVectors

    calls: list[list[str]] = []

    def counting(texts: list[str]):  # type: ignore[no-untyped-def]
        calls.append(list(texts))
        return embedder.embed(texts)

    vectors = SpanVectors(counting, maxsize=2)
    old = vectors.vectors([("a", 0, 9)], ["Old words"])
    new = vectors.vectors([("a", 0, 9)], ["New terms"])
    assert calls == [["Old words"], ["New terms"]]
    assert float(old[0] @ new[0]) < 0.99
    vectors.vectors([("b", 0, 3), ("c", 0, 3)], ["one", "two"])
    assert len(vectors) == 2  # bounded: the oldest entry went
