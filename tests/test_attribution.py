from __future__ import annotations

import pytest

from assistant.attribution import find_speaker, sides_of, speakers
from assistant.sources import read_text
from assistant.text import split_sentences
from tests.conftest import SEED


@pytest.mark.parametrize(
    ("sentence", "speaker"),
    [
        ('"We are done," said John Smith, the mayor.', "John Smith"),
        ('"We are done," Smith said.', "Smith"),
        ("According to the Pentagon, troops left the base.", "the Pentagon"),
        ("The minister, who spoke on Monday, said it was over.", "The minister"),
        ("Top Russian officials said the deal was off.", "Top Russian officials"),
        ("DEA News reported that Kirby emphasized the US position.", "Kirby"),
        ("Until such signals emerge, negotiations are unlikely to move.", None),
        ("The implication was that Washington would consider dialogue if Russia signals it.", None),
        ("The weather was mild on Tuesday.", None),
    ],
)
def test_find_speaker(sentence: str, speaker: str | None) -> None:
    assert find_speaker(sentence) == speaker


def test_seed_speakers_with_pronouns_and_roles_resolved() -> None:
    a = read_text(SEED.read_text(), str(SEED))
    spans = split_sentences(a.text)
    who = dict(
        zip([a.text[s.start : s.end][:30] for s in spans], speakers(a.text, spans), strict=True)
    )
    kirby = "White House Strategic Communications Coordinator John Kirby"
    assert who["At a recent briefing, White Ho"] == kirby
    assert who["Kirby indicated that for any c"] == kirby  # short mention -> full name
    assert who["In his view, the door to negot"] == kirby  # "his" resolved
    assert who["The spokesperson underscored t"] == kirby  # role resolved
    assert who["In a separate public message d"] == "the Kremlin leadership"
    assert who["Officials from the Russian sid"] == "Officials from the Russian side"
    assert who["He argued that the current Ame"] == "Andrey Klimov"
    assert who["They stress that for genuine t"] == "Analysts"
    assert who["The updates were shared as par"] is None


@pytest.mark.parametrize(
    ("phrase", "sides"),
    [
        ("the Kremlin leadership", {"russia"}),
        ("White House Strategic Communications Coordinator John Kirby", {"united states"}),
        ("Ukrainian President Volodymyr Zelensky", {"ukraine"}),
        ("Analysts", set()),
    ],
)
def test_sides(phrase: str, sides: set[str]) -> None:
    assert sides_of(phrase) == sides
