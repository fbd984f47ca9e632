"""Who a reporting cue names: the noun phrase before or after it (titles, names with their
particles, possessives, appositions, relative clauses), the subject of a main clause, and the
writers of a document ("signed a letter ... calling for"). Pure functions over the article's
text with quoted words masked; used by :mod:`assistant.attribution`."""

from __future__ import annotations

import re

from assistant import speech_lexicon as lex

_ABBREVIATION = re.compile(r"(?:^|[\s.])(?:[A-Z]|Jr|Sr|Inc|Co|Corp|Ltd|St|Mr|Mrs|Ms|Dr)\.$")


def _tokens(s: str, base: int) -> list[tuple[str, int, int]]:
    return [(m.group(0), base + m.start(), base + m.end()) for m in lex.TOKEN.finditer(s)]


def _is_name_token(w: str) -> bool:
    low = w.lower()
    return (
        bool(lex.CAP.match(w))
        and low.rstrip("’'s") not in lex.LEADING_JUNK
        and low not in lex.PRONOUNS
        and low not in ("you", "there", "here", "what", "who")
    )


def np_before(text: str, lo: int, hi: int) -> tuple[int, int] | None:
    """The noun phrase that ends at ``hi`` (the subject of a verb there), as a span."""
    toks = _tokens(text[lo:hi], lo)
    i = len(toks) - 1
    while i >= 0 and toks[i][0].lower() in lex.AUX:
        i -= 1
    if i < 0:
        return None
    if toks[i][0] == "," and i > 0 and toks[i - 1][0] == ")":  # "Kasich (R-OH), said"
        i -= 1
    if toks[i][0] == ")":  # "Sen. Ted Cruz (R-Texas) said"
        j = i
        while j >= 0 and toks[j][0] != "(":
            j -= 1
        if j <= 0:
            return None
        i = j - 1
    if toks[i][0] in ("–", "—") and i > 1:  # "40 groups – including X and Y – signed"
        j = i - 1
        while j > 0 and i - j < 60 and toks[j][0] not in ("–", "—"):
            j -= 1
        if toks[j][0] in ("–", "—") and j > 0 and toks[j - 1][0] not in (",", "–", "—"):
            i = j - 1
    if toks[i][0] == ",":
        return _apposition(toks, i)
    w = toks[i][0]
    if w.lower() in lex.PRONOUNS and w.lower() != "it":
        return (toks[i][1], toks[i][2])
    if w.lower() in ("others", "some", "many", "critics", "several", "most") and (
        i == 0 or toks[i - 1][0] in (",", "—", "–")
    ):
        return (toks[i][1], toks[i][2])  # "Even then, others insist, ..."
    end = toks[i][2]
    j = i
    has_head = False
    if _is_name_token(w) or w.lower() in lex.ROLE_WORDS or _possessive(w):
        has_head = _is_name_token(w) or w.lower() in lex.ROLE_WORDS
    else:
        return None
    k = j
    while k - 1 >= 0:
        prev = toks[k - 1][0]
        low = prev.lower()
        if (
            (lex.CAP.match(prev) and low not in lex.BLOCKERS)
            or low in lex.ROLE_WORDS
            or _possessive(prev)
            or low in lex.MODIFIERS
        ):
            k -= 1
        elif (
            _possessive(prev, lower=True)
            and k - 2 >= 0
            and toks[k - 2][0].lower() in ("the", "a", "an", "its", "their", "his", "her", "our")
        ):
            k -= 1  # "the bloc's executive", "the company's chief executive"
        elif low in lex.NAME_PARTICLES and prev == low:  # "Ursula von der Leyen"
            p = k - 1
            while p - 1 >= 0 and toks[p - 1][0] in lex.NAME_PARTICLES:
                p -= 1
            if p - 1 >= 0 and _is_name_token(toks[p - 1][0]):
                k = p
            else:
                break
        elif low in ("of", "for", "and", "&"):
            if k - 2 >= 0 and (
                lex.CAP.match(toks[k - 2][0]) or toks[k - 2][0].lower() in lex.ROLE_WORDS
            ):
                k -= 1
            else:
                break
        elif low in lex.DETS and low not in ("that", "this", "these", "those"):
            k -= 1
            # "Officials from the Russian side": a PP after the head noun
            if (
                k - 2 >= 0
                and toks[k - 1][0].lower() in lex.PREPS
                and (toks[k - 2][0].lower() in lex.ROLE_WORDS or lex.CAP.match(toks[k - 2][0]))
            ):
                k -= 2
                continue
            break
        else:
            break
    # drop sentence-initial function words and dangling connectors
    while k <= j and (
        (toks[k][0].lower() in lex.LEADING_JUNK and not (k < j and toks[k][0].lower() in lex.DETS))
        or toks[k][0].lower() in ("of", "for", "and", "&")
    ):
        if toks[k][0].lower() in lex.DETS:
            break
        k += 1
    if k > j:
        return None
    if (
        k > 0
        and toks[k - 1][0].lower() in lex.BLOCKERS
        and not (toks[k - 1][0].lower() == "that" and k > 1 and toks[k - 2][0] in lex.FORM_SET)
    ):
        return None  # "if Russia signals ...": a subordinate clause, not a report
    if not has_head or w.lower() in lex.DETS or w.lower() in lex.BLOCKERS:
        return None
    return (toks[k][1], end)


def _possessive(w: str, lower: bool = False) -> bool:
    """``Clinton's`` or ``Sanders’`` (with ``lower``, also ``bloc's``)."""
    return w.endswith(("’s", "'s", "s’", "s'")) and len(w) > 2 and (lower or w[0].isupper())


def _apposition(toks: list[tuple[str, int, int]], comma: int) -> tuple[int, int] | None:
    """``NAME, a spokesman for X, said`` / ``NAME, who ..., said``: the NAME before the aside."""
    j = comma - 1
    depth = 0
    while j >= 0:
        w = toks[j][0]
        if w == ",":
            break
        if w in ("(", ")"):
            depth += 1
        j -= 1
        if comma - j > 25:
            return None
    if j <= 0:
        return None
    aside = [t[0].lower() for t in toks[j + 1 : comma]]
    named = _named_apposition(toks, j, comma)
    if named is not None:
        return named
    if not aside or not (
        aside[0]
        in (
            "who",
            "whose",
            "a",
            "an",
            "the",
            "which",
            "one",
            "then",
            "now",
            "also",
            "when",
            "while",
            "speaking",
            "in",
            "asked",
            "like",
            "after",
            "however",
            "too",
            "though",
            "meanwhile",
            "instead",
            "meantime",
            "likewise",
            "similarly",
            "nonetheless",
            "nevertheless",
            "separately",
            "for",  # "Smith, for his part, said"
            "by",  # "Jones, by contrast, said"
        )
        or aside[0] in lex.MODIFIERS
        or aside[0] in lex.ROLE_WORDS
        or toks[j + 1][0][:1].isdigit()
        or re.fullmatch(r"[RDI]-[A-Z][\w.]*", toks[j + 1][0]) is not None  # "Rep. X, R-Pa.,"
        or (_possessive(toks[j + 1][0]) and len(aside) <= 6)  # "Dorsey, Twitter's chief,"
    ):
        return None
    if j >= 2 and toks[j - 1][0].isdigit() and toks[j - 2][0] == ",":
        j -= 2  # "Lance Beebe, 49, a Navy veteran ..., said": the name before the age
    return _np_before_tokens(toks, j)


def _named_apposition(
    toks: list[tuple[str, int, int]], j: int, comma: int
) -> tuple[int, int] | None:
    """``The mayor, Maria Gonzalez, said`` / ``Her lawyer, Alexander Boykov, told``: a role
    before the commas and only a name (or names joined by "and") between them: the name."""
    aside = toks[j + 1 : comma]
    if not 2 <= len(aside) <= 8:
        return None
    for t in aside:
        w = t[0]
        if not (
            (
                _is_name_token(w)
                and w.lower() not in lex.ROLE_WORDS
                and w.lower() not in lex.MODIFIERS
            )
            or w.lower() in lex.NAME_PARTICLES
            or w == "and"
        ):
            return None
    if not _is_name_token(aside[0][0]) or not _is_name_token(aside[-1][0]):
        return None
    if any(w.endswith(("’s", "'s")) for w, _, _ in aside):
        return None
    head = toks[j - 1][0].lower() if j >= 1 else ""
    if head not in lex.ROLE_WORDS:
        return None
    return (aside[0][1], aside[-1][2])


_WRITES_DOCUMENT = re.compile(
    r"\b(?:signed|sent|wrote|issued|released|filed|published|penned|circulated|drafted)\s+"
    r"(?:a|an|the|their|its|his|her)\s+(?:[a-z\-]+\s+)?(?:letter|statement|petition|"
    r"resolution|memo|complaint|motion|op-ed)\b[^.;:“”\"]{0,80}$"
)
_QUANTITY = re.compile(
    r"(?:(?:(?:more|fewer|less)\s+than|at\s+least|nearly|almost|about|over|some)\s+)?"
    r"\d[\d,]*\s+$",
    re.I,
)


def writer_of(masked: str, lo: int, vs: int) -> tuple[int, int] | None:
    """``More than 40 groups signed a letter to the president calling for ...``: the
    participle reports the document, so its writer (the signers) speaks, never the letter's
    addressee."""
    m = _WRITES_DOCUMENT.search(masked, lo, vs)
    if m is None:
        return None
    np = np_before(masked, lo, m.start())
    if np is None:
        return None
    q = _QUANTITY.search(masked, lo, np[0])
    start = q.start() if q is not None and q.end() == np[0] else np[0]
    if masked[lo:start].strip(' \t\n"“') and not masked[lo:start].rstrip().endswith(","):
        return None  # not the subject of the sentence
    return (start, np[1])


_MAIN_VERB = re.compile(r"\b(?:has\s+|had\s+|have\s+)?[a-z]{3,}(?:ed|s)\b")


def main_subject(masked: str, lo: int, hi: int) -> tuple[int, int] | None:
    """The subject of a sentence's main verb (the first finite-looking verb before ``hi``)."""
    for m in _MAIN_VERB.finditer(masked, lo, hi):
        np = np_before(masked, lo, m.start())
        if np is not None:
            lead = masked[lo : np[0]].strip(' \t\n"“')
            return np if not lead or lead.endswith(",") else None
    return None


def _np_before_tokens(toks: list[tuple[str, int, int]], comma: int) -> tuple[int, int] | None:
    """The name phrase ending just before token ``comma``."""
    i = comma - 1
    if i < 0 or not (_is_name_token(toks[i][0]) or toks[i][0].lower() in lex.ROLE_WORDS):
        return None
    end = toks[i][2]
    k = i
    while k - 1 >= 0:
        prev = toks[k - 1][0]
        low = prev.lower()
        if (
            (lex.CAP.match(prev) and low not in lex.BLOCKERS)
            or low in lex.MODIFIERS
            or _possessive(prev)
            or low in lex.DETS
            or low in lex.ROLE_WORDS
        ):
            k -= 1
        else:
            break
    while k < i and toks[k][0].lower() in lex.LEADING_JUNK and toks[k][0].lower() not in lex.DETS:
        k += 1
    return (toks[k][1], end)


_NP_AFTER = re.compile(
    r"\s*((?:(?:the|a|an|his|her|their|its|one|another)\s+)?"
    r"(?:(?:[A-Z][\w’'.&\-]*|[a-z][\w\-]*|\d[\w\-]*)\s+){0,5}?"
    r"(?:(?!(?:Dr|Mr|Mrs|Ms|Sen|Rep|Gov|Gen|Lt|Col|St|Prof)\b)[A-Z][\w’'.&\-]*"
    r"|spokes(?:man|woman|person)|officials?|aides?|advisers?|sources?|veterans?|employees?"
    r"|owners?|bloggers?|residents?|narrator|executives?|analysts?|experts?|\d+-year-old)"
    r"(?:\s+[a-z][a-z\-]+(?=\s*[,.;:!?]))?)"  # "one Trump confidant."
    r"(?=\s*(?:[,.;:!?(—–]|$|\s+(?:in|on|at|during|after|before|who|told|when|of|to)\b"
    r"|\s+[a-z]+(?:ed|ing)\b))"
)
_NOT_NP_START = frozenset(
    "with that in on at to for from by about after before as than if when while which who "
    "and or but because".split()
)


def np_after(text: str, pos: int, hi: int) -> tuple[int, int] | None:
    """The noun phrase right after an inverted cue (``said Sen. Ted Cruz, R-Texas``)."""
    m = _NP_AFTER.match(text, pos, hi)
    if not m:
        return None
    phrase = m.group(1)
    words = phrase.split()
    if words[0].lower() in lex.PRONOUNS or words[0].lower() in _NOT_NP_START or len(words) > 9:
        return None
    if any(w.lower() in ("that", "which", "who") for w in words):
        return None
    if not any(lex.CAP.match(w) or w.lower() in lex.ROLE_WORDS for w in words):
        return None
    if words[-1].lower() in lex.LEADING_JUNK or words[-1].lower() in lex.DETS:
        return None
    end = m.end(1)
    if phrase.endswith(".") and not _ABBREVIATION.search(phrase):
        end -= 1  # the sentence's full stop, not an initial ("J.") or "Jr."
    return (m.start(1), end)
