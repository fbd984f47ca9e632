"""The extractive answerer's quote boundaries: a quote never crosses speakers, and the
speaker claim comes with evidence that slices to the article."""

from __future__ import annotations

import pytest

from assistant.attribution import SpeakerCache
from assistant.sources import read_text
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
