"""The BM25 tokenizer: the same tokens as bm25s's, which built the indexes on disk."""

from __future__ import annotations

import bm25s
import pytest

from assistant.lexical import _stemmer, tokenize
from tests.conftest import SEED

TEXTS = [
    "",
    "the and of a",  # stopwords only
    "A",  # one-letter words are not tokens
    "Zürich's café served naïve São Paulo visitors; ÉLAN and Straße!",
    "It's 2024: the U.S. and e-mail co-operation rose 12.5% (from 3,400 to 4,100).",
    "Running runners ran; negotiations negotiated NEGOTIATING talks.",
    "Кремль заявил — 北京 said — tab\tand\nnewline",
    "under_score words__ and __init__ tokens",
]


def reference(texts: list[str]) -> list[list[str]]:
    out = bm25s.tokenize(texts, stopwords="en", stemmer=_stemmer().stemWords,
                         return_ids=False, show_progress=False)
    return [list(t) for t in out]


@pytest.mark.parametrize("text", TEXTS)
def test_one_text_tokenizes_as_bm25s_does(text: str) -> None:
    assert tokenize([text]) == reference([text])


def test_a_batch_tokenizes_as_bm25s_does() -> None:
    article = SEED.read_text()
    lines = [line for line in article.splitlines() if line.strip()]
    assert tokenize(lines + TEXTS) == reference(lines + TEXTS)
    assert tokenize(["Negotiations and talks"]) == [["negoti", "talk"]]
