"""Who said it: the speaker of every sentence of a news article, with the evidence.

Pure functions over text, a sieve of rules in the order that news is written:

1. **Quotations** are found first (“…”, "…", ''…''), across sentences and paragraphs: an
   open quotation mark carries to where it closes, and a paragraph that ends inside a quote
   continues into the next one that opens with a quotation mark (the news convention).
   A quotation's speaker is named by the cue next to it: after it (``"…," said Smith`` /
   ``"…," the official said``) or before it (``Smith told reporters: "…"``); a quote
   sentence with no cue of its own continues the speaker already quoted or named in its own
   paragraph, else the speaker of the paragraph before it when that paragraph introduced it
   (``Caddell continued:``) or was that speaker's own quote. A short cue sentence after a
   quote (``"…." Trump said.``) lends its speaker only to a quote that opens its sentence.
2. **Reported speech** outside quotation marks: a reporting verb or noun (``said``,
   ``tweeted``, ``warned``, ``believes``, ``according to``, ``in a statement``) and its
   subject, found by walking back over the noun phrase before the verb (titles, names,
   possessives, appositions and relative clauses: ``Brendan Buck, a spokesman for Ryan,
   told ...``; ``Last month, the FBI warned ...``; a role then a name between commas gives
   the name: ``Her lawyer, Alexander Boykov, told ...``) or after it (``..., said Sen. Ted
   Cruz``). A cue set off by commas mid-sentence (``..., her lawyers said, as ...``) reports
   the clause before it; a participle after a document (``signed a letter to X calling
   for``) reports its writers, never its addressees.
   Words inside quotation marks are never read as cues, so ``"I think ...," Trump said``
   belongs to Trump, not to "I".
3. **Pronouns and descriptions** (``he``, ``she``, ``they``, ``the spokeswoman``) resolve to
   the named speaker most recently in play; indefinite sources (``a source``, ``analysts``)
   stay as they are written.

Narration (no cue, no quotation) stays unattributed. Every attribution keeps the character
spans of the speaker mention, the cue and, for a resolved pronoun, the antecedent, so a
reader (and the web chat) can see why a sentence is given to someone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant import speech_lexicon as lex
from assistant.sides import SIDES, sides_of
from assistant.text import split_sentences
from assistant.types import Span, SpeakerEvidence

__all__ = [
    "SIDES",
    "ArticleSpeech",
    "Attribution",
    "analyse_article",
    "attribute",
    "descriptors",
    "find_speaker",
    "short_name",
    "sides_of",
    "speakers",
]


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


NONE = Attribution()


# ---------------------------------------------------------------- quotations
@dataclass
class _Quote:
    start: int  # the opening mark
    end: int  # just after the closing mark (or the paragraph end)
    para: int
    closed: bool
    chain: int  # quotations that continue one another across paragraphs share a chain
    speaker: Attribution = NONE


_PARA = re.compile(r"\n\s*\n|\n")


def _paragraphs(text: str) -> list[tuple[int, int]]:
    out, pos = [], 0
    for m in _PARA.finditer(text):
        out.append((pos, m.start()))
        pos = m.end()
    out.append((pos, len(text)))
    return [(a, b) for a, b in out if text[a:b].strip()]


_MARK = re.compile(r"“|”|\"|''|‘‘|’’")


def find_quotations(text: str) -> list[_Quote]:
    """Quotation spans of an article, paired within paragraphs and chained across them."""
    out: list[_Quote] = []
    chain = 0
    carry = False
    for p, (a, b) in enumerate(_paragraphs(text)):
        seg = text[a:b]
        open_at: int | None = None
        first_mark = True
        for m in _MARK.finditer(seg):
            mark = m.group(0)
            pos = a + m.start()
            if open_at is None:
                if mark in ("”", "’’"):
                    first_mark = False
                    continue  # a stray close (or an apostrophe pair): ignore
                starts_para = first_mark and not seg[: m.start()].strip()
                if not (starts_para and carry):
                    chain += 1
                open_at = pos
            elif mark in ("“", "‘‘"):
                continue  # a nested or repeated opening: keep the outer quotation
            else:
                out.append(_Quote(open_at, pos + len(mark), p, True, chain))
                open_at = None
            first_mark = False
        if open_at is not None:  # runs to the end of the paragraph and maybe beyond
            out.append(_Quote(open_at, b, p, False, chain))
            carry = True
        else:
            carry = False
    return out


def _mask_quotes(text: str, quotes: list[_Quote]) -> str:
    """The text with quoted words blanked (same length), so cues are read only outside."""
    chars = list(text)
    for q in quotes:
        for i in range(q.start, q.end):
            if chars[i] not in "\n":
                chars[i] = " "
    return "".join(chars)


# ---------------------------------------------------------------- noun phrases
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


def _np_before(text: str, lo: int, hi: int) -> tuple[int, int] | None:
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
        elif low in _NAME_PARTICLES and prev == low:  # "Ursula von der Leyen"
            p = k - 1
            while p - 1 >= 0 and toks[p - 1][0] in _NAME_PARTICLES:
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


def _possessive(w: str) -> bool:
    """``Clinton's`` or ``Sanders’``."""
    return w.endswith(("’s", "'s", "s’", "s'")) and len(w) > 2 and w[0].isupper()


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
        )
        or aside[0] in lex.MODIFIERS
        or aside[0] in lex.ROLE_WORDS
        or toks[j + 1][0][:1].isdigit()
        or re.fullmatch(r"[RDI]-[A-Z][\w.]*", toks[j + 1][0]) is not None  # "Rep. X, R-Pa.,"
        or (_possessive(toks[j + 1][0]) and len(aside) <= 6)  # "Dorsey, Twitter's chief,"
    ):
        return None
    return _np_before_tokens(toks, j)


_NAME_PARTICLES = frozenset("von van der den de del della da di du la le al el bin ibn ter".split())


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
            or w.lower() in _NAME_PARTICLES
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


def _writer_of(masked: str, lo: int, vs: int) -> tuple[int, int] | None:
    """``More than 40 groups signed a letter to the president calling for ...``: the
    participle reports the document, so its writer (the signers) speaks, never the letter's
    addressee."""
    m = _WRITES_DOCUMENT.search(masked, lo, vs)
    if m is None:
        return None
    np = _np_before(masked, lo, m.start())
    if np is None:
        return None
    q = _QUANTITY.search(masked, lo, np[0])
    start = q.start() if q is not None and q.end() == np[0] else np[0]
    if masked[lo:start].strip(' \t\n"“') and not masked[lo:start].rstrip().endswith(","):
        return None  # not the subject of the sentence
    return (start, np[1])


_MAIN_VERB = re.compile(r"\b(?:has\s+|had\s+|have\s+)?[a-z]{3,}(?:ed|s)\b")


def _main_subject(masked: str, lo: int, hi: int) -> tuple[int, int] | None:
    """The subject of a sentence's main verb (the first finite-looking verb before ``hi``)."""
    for m in _MAIN_VERB.finditer(masked, lo, hi):
        np = _np_before(masked, lo, m.start())
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
    r"(?:(?:[A-Z][\w’'.&\-]*|[a-z][\w\-]*)\s+){0,5}?"
    r"(?:(?!(?:Dr|Mr|Mrs|Ms|Sen|Rep|Gov|Gen|Lt|Col|St|Prof)\b)[A-Z][\w’'.&\-]*"
    r"|spokes(?:man|woman|person)|officials?|aides?|advisers?|sources?)"
    r"(?:\s+[a-z][a-z\-]+(?=\s*[,.;:!?]))?)"  # "one Trump confidant."
    r"(?=\s*(?:[,.;:!?(—–]|$|\s+(?:in|on|at|during|after|before|who|told|when|of|to)\b"
    r"|\s+[a-z]+(?:ed|ing)\b))"
)
_NOT_NP_START = frozenset(
    "with that in on at to for from by about after before as than if when while which who "
    "and or but because".split()
)


def _np_after(text: str, pos: int, hi: int) -> tuple[int, int] | None:
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


_ABBREVIATION = re.compile(r"(?:^|[\s.])(?:[A-Z]|Jr|Sr|Inc|Co|Corp|Ltd|St|Mr|Mrs|Ms|Dr)\.$")


# ---------------------------------------------------------------- cues
# "that" opening a relative clause, not a report: "Member states that might be considered"
_RELATIVE_THAT = re.compile(
    r"\s*that\s+(?:might|may|could|would|will|can|should|must|have|has|had|are|is|were|was|"
    r"do|does|did)\b"
)
_HEADLINE = re.compile(
    r"^\s*((?:(?:[A-Z][\w’'.\-]+|[A-Z]\.)\s+){0,3}[A-Z][\w’'\-]+):\s+(?=[‘'\"“A-Z])"
)


@dataclass(frozen=True)
class _Cue:
    mention: Span
    cue: Span


def _cue_in(masked: str, text: str, lo: int, hi: int) -> _Cue | None:
    """The reporting cue of ``masked[lo:hi]`` (quoted words blanked) and its subject."""
    seg = masked[lo:hi]
    m = lex.ACCORDING.search(seg)
    if m:
        np = _np_after(text, lo + m.end(), hi)
        if np is None:
            m2 = re.match(
                r"((?:the |a |an )?[\w’'.\-]+(?:\s+[\w’'.\-]+){0,6}?)(?=\s*[,.;:]|$)",
                masked[lo + m.end() : hi],
            )
            if m2 and (
                m2.group(1)[0].isupper() or set(m2.group(1).lower().split()) & lex.ROLE_WORDS
            ):
                np = (lo + m.end() + m2.start(1), lo + m.end() + m2.end(1))
        if np:
            return _Cue(Span(*np), Span(lo + m.start(), lo + m.end()))
    h = _HEADLINE.match(seg)
    if (
        h
        and h.group(1).split()[-1].lower().strip("’'s") not in lex.NOT_SPEAKERS
        and h.group(1).split()[0].lower() not in lex.DETS  # "The Ninth Circle: ..." is a title
    ):
        return _Cue(Span(lo + h.start(1), lo + h.end(1)), Span(lo + h.end(1), lo + h.end(1) + 1))
    post = _postposed(masked, text, lo, hi) or _parenthetical(masked, lo, hi)
    if post is not None:
        return post
    first_reported: _Cue | None = None
    for v in lex.VERB_RE.finditer(seg):
        vs, ve = lo + v.start(), lo + v.end()
        word = v.group(0).lower()
        head = word.split()[0]  # "calling for" is a participle too
        tail = masked[ve : min(hi, ve + 40)]
        passive = re.search(
            r"\b(?:was|were|been|being|is|are|be)\s{1,3}(?:\w+ly\s{1,3})?$",
            masked[max(lo, vs - 28) : vs],
        )
        if passive and not head.endswith("ing"):
            continue  # a passive ("was told"): its subject is not the speaker
        inverted = re.search(r"(?:[”\"]|'')\s*,?\s*$", text[lo:vs]) is not None
        if head.endswith("ing") and not re.search(
            r"\b(?:is|was|are|were|been|be|kept|keeps|keep)\s+(?:\w+\s+)?$", masked[lo:vs]
        ):
            if re.search(r",\s*$", masked[lo:vs]) and re.match(r"\s*(?:that\b|[\"“:,])", tail):
                # "Flea shared the news, writing “...”": the subject of the main clause
                main = _main_subject(masked, lo, vs)
                if main is not None:
                    return _Cue(Span(*main), Span(vs, ve))
            writer = _writer_of(masked, lo, vs)
            if writer is not None:
                return _Cue(Span(*writer), Span(vs, ve))
            continue  # a participle ("saying ...", "the telling detail")
        if (
            word in lex.WEAK
            and not inverted
            and not (
                (re.match(r"\s*that\b", tail) and not _RELATIVE_THAT.match(tail))
                or (  # "..., a study by the council found."
                    head.endswith(("ed", "ound"))
                    and re.fullmatch(r"\s*[.!?]?\s*", text[ve:hi]) is not None
                    and re.search(r",\s*(?:\S+\s+){1,12}$", text[lo:vs]) is not None
                )
                or (head.endswith("ed") and re.match(r"\s*(?:,|:|\"|“)", tail))
                or (head.endswith("ed") and text[ve:hi] != masked[ve:hi])
            )
        ):
            continue  # "called the plan" reports speech only with the words quoted after it
        np = _np_before(masked, lo, vs)
        if np is None and re.search(r"(?:[,”\"]|'')\s*$", text[max(lo, vs - 3) : vs]):
            np = _np_after(text, ve, hi)  # inverted: '..., said Trump' / '"...," said X
        if np is None:
            continue
        if not lex.PREDICATE.match(masked[ve:hi]):
            continue
        cue = _Cue(Span(*np), Span(vs, ve))
        if word.startswith("report") and first_reported is None:
            first_reported = cue  # "X reported that Y said": prefer Y
            continue
        return cue
    if first_reported:
        return first_reported
    m3 = lex.STATEMENT.search(seg)
    if m3:
        np = _np_before(masked, lo, lo + m3.start()) or _np_after(text, lo + m3.end(), hi)
        if np is None:
            after = re.match(r"\s*,\s*", masked[lo + m3.end() : hi])
            if after:
                np = _np_after(text, lo + m3.end() + after.end(), hi)
        if np:
            return _Cue(Span(*np), Span(lo + m3.start(), lo + m3.end()))
    return None


# ---------------------------------------------------------------- the sieve
def attribute(text: str, spans: list[Span]) -> list[Attribution]:
    """An attribution for every sentence ``spans`` of ``text`` (``NONE`` for narration)."""
    quotes = find_quotations(text)
    masked = _mask_quotes(text, quotes)
    raw: list[_Cue | None] = [_cue_in(masked, text, s.start, s.end) for s in spans]
    # sentences that are only a cue for a neighbour's quote ("Trump said.") lend it to it
    _speak_for_quotes(text, masked, spans, quotes, raw)
    return _resolve(text, masked, spans, quotes, raw)


def _speak_for_quotes(
    text: str,
    masked: str,
    spans: list[Span],
    quotes: list[_Quote],
    raw: list[_Cue | None],
) -> None:
    """Give each quotation the cue next to it, then share it along its chain."""
    by_chain: dict[int, list[_Quote]] = {}
    for q in quotes:
        by_chain.setdefault(q.chain, []).append(q)
        q_sent = _sentence_at(spans, q.start)
        end_sent = _sentence_at(spans, max(q.start, q.end - 1))
        cue: _Cue | None = None
        # after the closing mark, up to the end of its sentence (or the next one when the
        # splitter cut after the quote: '"... ." \n Trump said.')
        if q.closed:
            stop = spans[end_sent].end if end_sent is not None else min(len(text), q.end + 200)
            nxt = end_sent + 1 if end_sent is not None else None
            if (
                stop - q.end < 3
                and q_sent is not None
                and not masked[spans[q_sent].start : q.start].strip(" \t\n—–-")
                and nxt is not None
                and nxt < len(spans)
                and len(text[spans[nxt].start : spans[nxt].end].split()) <= 8
                and "\n" not in text[q.end : spans[nxt].start]
            ):
                stop = spans[nxt].end
            cue = _cue_in(masked, text, q.end, stop) or _any_verb_after(text, masked, q.end, stop)
            if cue and cue.cue.start - q.end > 60:
                cue = None
        if cue is None and q_sent is not None:
            lo = spans[q_sent].start
            c2 = _cue_in(masked, text, lo, q.start)
            if c2 is None and q_sent > 0 and not text[lo : q.start].strip():
                prev = spans[q_sent - 1]
                if text[prev.start : prev.end].rstrip().endswith(":"):
                    c2 = raw[q_sent - 1] or _cue_in(masked, text, prev.start, prev.end)
            if c2 is None:
                c2 = _colon_intro(masked, text, lo, q.start)
            cue = c2
        if cue is not None:
            q.speaker = Attribution(mention=cue.mention, cue=cue.cue, direct=True)
    for chain in by_chain.values():
        first = next((q.speaker for q in chain if q.speaker.mention), None)
        if first:
            for q in chain:
                if not q.speaker.mention:
                    q.speaker = first


_POSTPOSED = re.compile(
    r",\s*(?P<np>[^,]{2,80}?)\s+(?:also\s+|later\s+)?(?P<v>said|says|added|adds|wrote|writes|"
    r"argued|argues|noted|notes|explained|told reporters|told [A-Z][\w.]*|tweeted|warned|"
    r"insisted|contended|acknowledged|predicted|reported|reports)"
    r"(?:\s+(?:on|in|at|during|to|last|this|earlier|later)\b[^,.;]{0,40})?\s*[.!?]?\s*$"
)


def _postposed(masked: str, text: str, lo: int, hi: int) -> _Cue | None:
    """``He promised to win ..., Frankel said.``: the cue at the end reports the sentence."""
    m = _POSTPOSED.search(masked, lo, hi)
    if m is None:
        return None
    np = _np_before(masked, m.start("np"), m.end("np"))
    if np is None or np[0] != m.start("np"):
        return None
    return _Cue(Span(*np), Span(m.start("v"), m.end("v")))


_PARENTHETICAL = re.compile(
    r",\s*(?P<np>[^,\"“”]{2,60}?)\s+(?:also\s+)?(?P<v>said|say|says|added|wrote|argued|noted|"
    r"explained|told reporters|told [A-Z][\w.]*|warned|insisted|contended|acknowledged|"
    r"predicted|reported|confirmed|claimed|announced)"
    r"(?:\s+(?:on|in|at|during|last|this|earlier|later)\b[^,.;]{0,40})?\s*,\s+(?=[a-z])"
)


def _parenthetical(masked: str, lo: int, hi: int) -> _Cue | None:
    """``Griner will testify on Wednesday, her lawyers said, as ...``: a cue set off by commas
    in the middle of a sentence reports the clause before it."""
    m = _PARENTHETICAL.search(masked, lo, hi)
    if m is None or not masked[lo : m.start()].strip():
        return None
    np = _np_before(masked, m.start("np"), m.end("np"))
    if np is None or np[0] != m.start("np"):
        return None
    return _Cue(Span(*np), Span(m.start("v"), m.end("v")))


_AFTER_VERB = re.compile(r"\s*,?\s*([a-z]{3,}ed)\s+")
_AFTER_SUBJECT_VERB = re.compile(r"\s*,?\s*(.{1,60}?)\s+([a-z]{3,}ed)\s*(?:[.,;!?]|$)")


def _any_verb_after(text: str, masked: str, lo: int, hi: int) -> _Cue | None:
    """``"...?" reacted Trump.`` / ``"...," Trump quipped.``: any verb right after a quote."""
    m = _AFTER_VERB.match(text, lo, hi)
    if m:
        np = _np_after(text, m.end(), hi)
        if np:
            return _Cue(Span(*np), Span(m.start(1), m.end(1)))
    m2 = _AFTER_SUBJECT_VERB.match(text, lo, hi)
    if m2:
        np2 = _np_before(masked, lo, m2.start(2))
        if np2 and np2[0] == m2.start(1):
            return _Cue(Span(*np2), Span(m2.start(2), m2.end(2)))
    return None


_INTRO = re.compile(r"\s+(?:\w+ly\s+)?([a-z]+(?:ed|s))\b[^:]{0,60}:\s*$")


def _colon_intro(masked: str, text: str, lo: int, hi: int) -> _Cue | None:
    """``Kasich resisted: "..."``: any verb whose subject introduces a quote with a colon."""
    m = _INTRO.search(masked, lo, hi)
    if not m:
        return None
    np = _np_before(masked, lo, m.start())
    if np is None or np[0] != lo + (len(masked[lo:hi]) - len(masked[lo:hi].lstrip())):
        return None
    return _Cue(Span(*np), Span(m.start(1), m.end(1)))


def _sentence_at(spans: list[Span], pos: int) -> int | None:
    lo, hi = 0, len(spans) - 1
    while lo <= hi:
        mid = (lo + hi) // 2
        s = spans[mid]
        if pos < s.start:
            hi = mid - 1
        elif pos >= s.end:
            lo = mid + 1
        else:
            return mid
    return lo - 1 if 0 < lo <= len(spans) and pos >= spans[lo - 1].start else None


def _resolve(
    text: str,
    masked: str,
    spans: list[Span],
    quotes: list[_Quote],
    raw: list[_Cue | None],
) -> list[Attribution]:
    out: list[Attribution] = []
    last_named: tuple[str, Span, int] | None = None
    subject: tuple[str, Span, int] | None = None
    history: list[tuple[str, Span, int]] = []
    prev: Attribution = NONE
    full: dict[str, tuple[str, Span]] = _full_names(text)
    qi = 0
    para_of = _para_index(text, spans)
    prev_para_speaker: dict[int, Attribution] = {}
    last_direct: tuple[Attribution, int] | None = None
    for n, s in enumerate(spans):
        while qi < len(quotes) and quotes[qi].end <= s.start:
            qi += 1
        inside = [q for q in quotes[qi:] if q.start < s.end and s.start < q.end]
        quoted = sum(min(q.end, s.end) - max(q.start, s.start) for q in inside)
        mostly_quoted = quoted >= 0.5 * (s.end - s.start)
        cue = raw[n]
        att = NONE
        if cue is not None:
            att = Attribution(mention=cue.mention, cue=cue.cue, direct=bool(inside))
        elif inside:
            named = next((q.speaker for q in inside if q.speaker.mention), None)
            if named is not None:
                att = named
            elif mostly_quoted:
                # a quote paragraph with no cue continues the speaker of the paragraph before
                p = para_of[n]
                # a speaker already quoted or named in this paragraph goes on speaking here
                # ('"Grateful ...!" he said via Twitter. "It will ..."'), before any earlier one
                same = prev_para_speaker.get(p)
                before = same if same is not None else prev_para_speaker.get(p - 1)
                if (
                    same is None
                    and (before is None or not before.direct)
                    and last_direct is not None
                    and p - last_direct[1] <= 3
                ):
                    before = last_direct[0]
                if before is not None and before.mention:
                    att = Attribution(
                        speaker=before.speaker,
                        mention=before.mention,
                        cue=before.cue,
                        antecedent=before.antecedent,
                        direct=True,
                    )
        elif lex.POSSESSIVE_VIEW.match(text[s.start : s.end]) and prev.speaker:
            att = Attribution(
                speaker=prev.speaker,
                mention=prev.mention,
                cue=prev.cue,
                antecedent=prev.antecedent,
            )
        here = _subject_of(text, s, full)
        if att.mention is not None and att.speaker is None:
            if here is not None and here[2] < att.mention.start and here[1] != att.mention:
                subject = here  # "Senator Rubio ... in which he declares": the same sentence
            if subject is not None and (last_named is None or subject[2] > last_named[2]):
                # a person named since the last speaker ("Lopez spoke. ... she said")
                last_named = subject
            att, last_named = _name(text, att, prev, last_named, full, history)
        if here is not None:
            subject = here
            history.append(here)
        if att.speaker and att.mention and re.search(r"[A-Z]", att.speaker):
            history.append((att.speaker, att.antecedent or att.mention, att.mention.start))
        if att.speaker and _is_cue_only(text, s, att):
            att = NONE  # "Trump said." alone: the words are in the sentence before
        out.append(att)
        if att.speaker:
            prev_para_speaker[para_of[n]] = att
            if att.direct:
                last_direct = (att, para_of[n])
        prev = att
    return out


_ADVERBIAL = re.compile(
    r"^\W*(?:(?:on|in|at|to|during|after|before|last|this|earlier|later|in an?|on an?|"
    r"yesterday|today|tonight|recently|afterward|afterwards|monday|tuesday|wednesday|"
    r"thursday|friday|saturday|sunday)\b[^\"“”]*)?$",
    re.I,
)


def _is_cue_only(text: str, s: Span, att: Attribution) -> bool:
    """A sentence that only says who spoke ("Trump said on Twitter."), the words elsewhere."""
    if att.direct or att.cue is None or not (s.start <= att.cue.start < s.end):
        return False
    if text[s.start : min(att.mention.start, att.cue.start) if att.mention else s.start].strip(
        " \n\t"
    ):
        return False  # words before the speaker: they are what is reported
    tail = text[att.cue.end : s.end]
    return len(tail.split()) <= 6 and bool(_ADVERBIAL.match(tail.rstrip(" .:;\n")))


def _para_index(text: str, spans: list[Span]) -> list[int]:
    out, p, last = [], 0, 0
    for s in spans:
        if "\n" in text[last : s.start]:
            p += 1
        out.append(p)
        last = s.end
    return out


def _name(
    text: str,
    att: Attribution,
    prev: Attribution,
    last_named: tuple[str, Span, int] | None,
    full: dict[str, tuple[str, Span]],
    history: list[tuple[str, Span, int]],
) -> tuple[Attribution, tuple[str, Span, int] | None]:
    """Turn a mention into a speaker: resolve pronouns and roles, prefer the fullest name."""
    assert att.mention is not None
    who = _clean(text[att.mention.start : att.mention.end])
    low = who.lower()
    antecedent: Span | None = None
    if low in lex.NAMED_PRONOUNS or lex.DEFINITE_ROLE.match(who):
        ref: tuple[str | None, Span | None] | None = (
            (prev.speaker, prev.antecedent or prev.mention) if prev.speaker else None
        )
        if ref is None or ref[1] is None or not re.search(r"[A-Z]", ref[0] or ""):
            ref = (last_named[0], last_named[1]) if last_named else None
        if low in ("he", "she"):
            # the most recent named person the pronoun can stand for ("she" is not "Bernie",
            # "he" is not "the Associated Press")
            agree = [
                h
                for h in reversed(history[-12:])
                if _personish(h[0]) and _gender(h[0], full) in (None, low)
            ]
            if (
                ref is not None
                and ref[0]
                and (_gender(ref[0], full) not in (None, low) or not _personish(ref[0]))
            ):
                ref = (agree[0][0], agree[0][1]) if agree else None
        if ref is not None and ref[0] and ref[1] is not None:
            who, antecedent = ref[0], ref[1]
        elif low in lex.NAMED_PRONOUNS:
            return NONE, last_named
    if not who:
        return NONE, last_named
    key = who.replace("’s", "").replace("'s", "").split()[-1].lower()
    if antecedent is None and re.search(r"[A-Z]", who):
        if key in full and len(full[key][0]) > len(who) and len(who.split()) == 1:
            who, antecedent = full[key][0], (full[key][1] if full[key][0] != who else None)
        else:
            full.setdefault(key, (who, att.mention))
    if re.search(r"[A-Z]", who):
        last_named = (who, antecedent or att.mention, att.mention.start)
    return (
        Attribution(
            speaker=who,
            mention=att.mention,
            cue=att.cue,
            antecedent=antecedent,
            direct=att.direct,
        ),
        last_named,
    )


_ORGISH = frozenset(
    "press news poll polls times post journal university college institute association "
    "foundation network channel magazine review party campaign committee council agency "
    "department ministry office house senate congress court company corporation group".split()
)


def _personish(name: str) -> bool:
    """A name that can be a person's ("French Prime Minister Manuel Valls", not "the
    Associated Press" or "Bloomberg poll")."""
    words = name.replace("’s", "").replace("'s", "").split()
    if not words or words[0].lower() in lex.DETS:
        return False
    last = words[-1]
    return (
        last[:1].isupper()
        and last.lower() not in lex.ROLE_WORDS
        and last.lower() not in _ORGISH
        and not any(w.lower() in _ORGISH for w in words)
    )


def _gender(name: str, full: dict[str, tuple[str, Span]]) -> str | None:
    """'he' or 'she' when a title or a given name says so, else None (either may do)."""
    words = name.replace(".", " ").split()
    if not words:
        return None
    if len(words) == 1 and words[0].lower() in full:
        words = full[words[0].lower()][0].replace(".", " ").split()
    for w in words[:4]:
        low = w.lower()
        if low in ("mr", "he", "him"):
            return "he"
        if low in ("mrs", "ms", "miss", "she", "her"):
            return "she"
        if low in lex.MALE_NAMES:
            return "he"
        if low in lex.FEMALE_NAMES:
            return "she"
    return None


_FULL_NAME = re.compile(
    r"\b(?:(?:Mr|Mrs|Ms|Dr|Sen|Rep|Gov)\.\s+)?([A-Z][a-z’'\-]+(?:\s+[A-Z]\.)?"
    r"(?:\s+(?:(?:von|van|der|den|de|del|della|da|di|du|la|le|al|el|bin|ibn|ter)\s+)*"
    r"[A-Z][a-z’'\-]+){1,2})"
)
# the end of a title cut at "of" that runs into a name ("Secretary of State Antony Blinken"):
# not part of the person's name
_TITLE_WORDS = lex.ROLE_WORDS | lex.MODIFIERS | frozenset("vice prime foreign".split())
_NEXT_WORD = re.compile(r"\S+\s+")


_SUBJECT = re.compile(
    r"[\s\"“]*((?:(?:Mr|Mrs|Ms|Dr|Sen|Rep|Gov|Gen)\.\s+)?[A-Z][a-z’'\-]+(?:\s+[A-Z]\.)?"
    r"(?:\s+[A-Z][a-z’'\-]+){0,2})(?:,[^,]{1,60},)?\s+(?:[a-z]+ly\s+)?(?:has\s+|had\s+)?[a-z]{3,}\b"
)


_NOT_NAMES = frozenset(
    "it its such was were is are there here what who why how when where which whose many "
    "most some all both each every no none one two three several few more less much".split()
)


def _subject_of(
    text: str, s: Span, full: dict[str, tuple[str, Span]]
) -> tuple[str, Span, int] | None:
    """A person named as the subject at the start of a sentence ("Maria Lopez, the mayor,
    spoke ..."), for later pronouns: two or more capitalised words, a title and a name, or a
    surname the article has named in full."""
    m = _SUBJECT.match(text, s.start, s.end)
    if not m:
        return None
    name = _clean(m.group(1))
    words = name.split()
    first = words[0].lower().rstrip(".")
    if first in lex.LEADING_JUNK or first in lex.DETS or first in _NOT_NAMES:
        return None
    titled = first in ("mr", "mrs", "ms", "dr", "sen", "rep", "gov", "gen")
    if len(words) < 2 and words[0].lower() not in full:
        return None
    if titled and len(words) < 2:
        return None
    return (name, Span(m.start(1), m.start(1) + len(m.group(1).rstrip())), m.start(1))


def _full_names(text: str) -> dict[str, tuple[str, Span]]:
    """Surname -> the first full mention of a person ("Klimov" -> "Andrey Klimov")."""
    out: dict[str, tuple[str, Span]] = {}
    for m in _FULL_NAME.finditer(text):
        name, start = m.group(1), m.start(1)
        words = name.split()
        while (
            len(words) > 2
            and words[0].lower() in _TITLE_WORDS
            and text[max(0, m.start(1) - 3) : m.start(1)] == "of "
        ):
            nxt = _NEXT_WORD.match(text, start)
            if nxt is None:
                break
            start, words = nxt.end(), words[1:]
        name = " ".join(words)
        first = words[0]
        if first.lower() in lex.LEADING_JUNK or first.lower() in lex.DETS or first in lex.MONTHS:
            continue
        out.setdefault(words[-1].lower(), (name, Span(start, m.end(1))))
    return out


def _clean(np_text: str) -> str:
    s = np_text.strip(" \t\n\"“”‘’'()[]—–-,;:")
    return re.sub(r"\s+", " ", s)


# ---------------------------------------------------------------- the public helpers
def speakers(text: str, spans: list[Span]) -> list[str | None]:
    """A speaker for every sentence (None for narration), pronouns and roles resolved."""
    return [a.speaker for a in attribute(text, spans)]


def find_speaker(sentence: str) -> str | None:
    """The speaker of one sentence read alone (pronouns stay unresolved)."""
    quotes = find_quotations(sentence)
    masked = _mask_quotes(sentence, quotes)
    cue = _cue_in(masked, sentence, 0, len(sentence))
    if cue is None:
        for q in quotes:
            after = _cue_in(masked, sentence, q.end, len(sentence))
            if after:
                cue = after
                break
    if cue is None:
        return None
    return _clean(sentence[cue.mention.start : cue.mention.end]) or None


def descriptors(text: str, spans: list[Span], who: list[str | None]) -> dict[str, str]:
    """For each speaker, the words around its first mention (its title or affiliation)."""
    out: dict[str, str] = {}
    for s, w in zip(spans, who, strict=True):
        if w and w not in out:
            sentence = text[s.start : s.end]
            v = lex.VERB_RE.search(sentence, max(0, sentence.find(w.split()[-1])))
            out[w] = sentence[: v.start()] if v else w
    return out


def short_name(speaker: str) -> str:
    """'White House ... Coordinator John Kirby' -> 'John Kirby' for display of later mentions."""
    words = speaker.split()
    caps = [w for w in words if w[:1].isupper()]
    return " ".join(caps[-2:]) if len(caps) >= 2 else speaker


@dataclass(frozen=True)
class ArticleSpeech:
    """An article's sentences, who says each, and the side (country) each speaker is on."""

    spans: list[Span]
    attributions: list[Attribution]
    sides: dict[str, set[str]]

    @property
    def speakers(self) -> list[str | None]:
        return [a.speaker for a in self.attributions]


def analyse_article(text: str) -> ArticleSpeech:
    """Split an article into sentences and attribute each."""
    spans = split_sentences(text)
    atts = attribute(text, spans)
    who = [a.speaker for a in atts]
    sides = {k: sides_of(v) for k, v in descriptors(text, spans, who).items()}
    return ArticleSpeech(spans, atts, sides)
