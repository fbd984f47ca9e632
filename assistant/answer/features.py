"""What a sentence offers the question: the kind of answer it asks for, found next to the
question's own words, and reported alike by other outlets (issue 11's selection features).

An *answer item* is a word or figure of the kind the question wants that the question does
not already say: a number for "how many", a date for "when", a capitalised name for "who",
"where" and "which ...". Items near the question's words are likelier the answer than items
elsewhere in the sentence; an item that several articles report is likelier still.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from assistant.answer.question import PERSON_NOUNS, unpossessed
from assistant.lexical import tokenize

_WORD = re.compile(r"[\w’'\-.,%$]+")
_NUMBER = re.compile(r"^\$?\d[\d,.]*%?$")
_SPELLED = frozenset(
    "one two three four five six seven eight nine ten eleven twelve dozen dozens twenty thirty "
    "forty fifty hundred hundreds thousand thousands million millions billion billions "
    "trillion half percent".split()
)
_MONTHS = frozenset(
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec".split()
)
_DAYS = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday yesterday today tonight "
    "weekend".split()
)
_YEAR = re.compile(r"^(?:19|20)\d\d$")
# a capitalised title or role is no one's name ("Judge Ketanji Brown Jackson", "Rep.")
_TITLES = PERSON_NOUNS | frozenset(
    "judge justice rep sen gov dr mr mrs ms sir dame lord lady secretary speaker vice associate "
    "deputy chief prime mayor".split()
)
NEAR = 8  # words: an item this close to a question word counts as beside it


@dataclass(frozen=True)
class Items:
    """A sentence's answer items and how close the nearest one is to the question's words."""

    found: tuple[str, ...]  # the items, in order of appearance
    near: float  # 1 when an item stands next to a question word, falling to 0 at NEAR words


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    """A word's BM25 token ("" for a stopword), computed once per distinct word."""
    got = tokenize([word])[0]
    return got[0] if got else ""


@lru_cache(maxsize=200_000)
def _kind(bare: str, first: bool) -> frozenset[str]:
    low = bare.lower()
    kinds: set[str] = set()
    if _NUMBER.match(bare) or low in _SPELLED:
        kinds.add("number")
    if low in _MONTHS or low in _DAYS or _YEAR.match(bare):
        kinds.add("date")
    # a capitalised stopword ("By Tuesday", "But Meta") is no name
    if bare[:1].isupper() and not first and low not in _MONTHS and low not in _DAYS and _stem(low):
        kinds.add("name")
    return frozenset(kinds)


_WANTS = {
    "number": {"number"},
    "date": {"date"},
    "person": {"name"},
    "place": {"name"},
    "entity": {"name"},
}


def answer_items(
    wants: str, question_words: frozenset[str], q_tokens: frozenset[str], text: str
) -> Items:
    """The items of the wanted kind in ``text`` that the question does not name.

    ``question_words`` are the question's lower-cased words (an item the question already
    says is no answer); ``q_tokens`` its stemmed tokens (where the question's words stand).
    """
    kinds = _WANTS.get(wants, {"name", "number"})
    words = _WORD.findall(text)
    bares = [w.strip(".,’'") for w in words]
    hits: list[int] = [i for i, b in enumerate(bares) if _stem(b.lower()) in q_tokens]
    said = question_words | {unpossessed(w) for w in question_words}
    found: list[str] = []
    best = 0.0
    for i, bare in enumerate(bares):
        if not bare or unpossessed(bare) in said:
            continue  # the question's own word, also as a possessive ("Cheney's")
        # a sentence's first word is a name only when a capitalised word follows ("Rafael
        # Nadal won", not "Police said")
        first = (i == 0 or words[i - 1].endswith((".", "?", "!"))) and not (
            i + 1 < len(bares) and bares[i + 1][:1].isupper()
        )
        if not _kind(bare, first) & kinds or (wants == "person" and bare.lower() in _TITLES):
            continue
        found.append(bare)
        if hits:
            d = min(abs(i - h) for h in hits)
            best = max(best, max(0.0, 1.0 - (d - 1) / NEAR))
    return Items(tuple(dict.fromkeys(found)), best)


def agreement(
    items: list[tuple[str, tuple[str, ...]]],
) -> list[tuple[float, tuple[str, ...], frozenset[str]]]:
    """Per candidate (its article id and items): how many *other* articles among the
    candidates carry one of its items (0 to 1, saturating at two), which items, which articles."""
    holders: dict[str, set[str]] = {}
    for article, found in items:
        for item in found:
            holders.setdefault(item.lower(), set()).add(article)
    out: list[tuple[float, tuple[str, ...], frozenset[str]]] = []
    for article, found in items:
        best, shared, agreeing = 0, [], set()
        for item in found:
            others = holders[item.lower()] - {article}
            if others:
                shared.append(item)
                agreeing |= others
                best = max(best, len(others))
        out.append((min(1.0, best / 2), tuple(shared), frozenset(agreeing)))
    return out
