from __future__ import annotations

import pytest

from assistant.text import chunk_article, is_boilerplate, split_sentences
from tests.conftest import SEED


def sents(text: str) -> list[str]:
    return [text[s.start : s.end] for s in split_sentences(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            'The U.S. Senate voted 52-48. Sen. John F. Kennedy said, "We are done." Then he left.',
            [
                "The U.S. Senate voted 52-48.",
                'Sen. John F. Kennedy said, "We are done."',
                "Then he left.",
            ],
        ),
        (
            "He left at 3 p.m. The vote was close! Was it?",
            ["He left at 3 p.m.", "The vote was close!", "Was it?"],
        ),
        (
            '"Yes," she said. Mr. Smith went to Washington.',
            ['"Yes," she said.', "Mr. Smith went to Washington."],
        ),
        (
            "WASHINGTON (AP) — Gov. Ron DeSantis spoke.\n\nBy Jane Doe, CNN\nHe said no.",
            ["WASHINGTON (AP) — Gov. Ron DeSantis spoke.", "By Jane Doe, CNN", "He said no."],
        ),
        (
            "Prices rose 3.5% in June. Officials met in the U.K. on Monday.",
            ["Prices rose 3.5% in June.", "Officials met in the U.K. on Monday."],
        ),
        (
            "Sanctions hit the U.S. The markets fell.",
            ["Sanctions hit the U.S.", "The markets fell."],
        ),
    ],
)
def test_split_sentences_news(text: str, expected: list[str]) -> None:
    assert sents(text) == expected


def test_offsets_slice_the_original_text() -> None:
    text = "  First one.   Second one!\n\n\tThird “quoted.” Fourth?  "
    spans = split_sentences(text)
    assert [text[s.start : s.end] for s in spans] == [
        "First one.",
        "Second one!",
        "Third “quoted.”",
        "Fourth?",
    ]


@pytest.mark.parametrize(
    "line",
    [
        "Sign up here to get The Results Are In",
        "JUST WATCHED",
        "Replay",
        "More Videos ...",
        "MUST WATCH",
        "Read More",
        "___",
        "Contributing: The Associated Press",
        "For the latest news, click here.",
    ],
)
def test_boilerplate_lines(line: str) -> None:
    assert is_boilerplate(line)


def test_real_sentences_are_not_boilerplate() -> None:
    assert not is_boilerplate("Officials said they would sign up more volunteers next week.")
    assert not is_boilerplate(
        "Critics said the agency's advice to click here for updates left older residents, who "
        "rarely use the website, without the warnings they needed."
    )


def test_chunks_are_exact_spans_of_whole_sentences() -> None:
    text = SEED.read_text().split("---\n", 2)[2]
    chunks = chunk_article("a", text, chunk_words=60, overlap=1)
    assert len(chunks) >= 6
    starts = {s.start for s in split_sentences(text)}
    for c in chunks:
        assert text[c.start : c.end] == c.text
        assert c.start in starts
        assert next(text[s.start : s.end] for s in c.sentences) == c.text[
            : c.sentences[0].end - c.start
        ]
    # one sentence of overlap between neighbours
    assert chunks[1].sentences[0] == chunks[0].sentences[-1]


def test_boilerplate_breaks_chunks_and_is_left_out() -> None:
    text = "Real news one is here.\nJUST WATCHED\nReplay\nMore Videos ...\nReal news two is here."
    chunks = chunk_article("a", text, chunk_words=100, overlap=0)
    assert [c.text for c in chunks] == ["Real news one is here.", "Real news two is here."]
