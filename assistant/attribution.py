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
from assistant.speech_names import (
    NONE,
    clean_mention,
    full_names,
    name_speaker,
    personish,
    subject_and_verb,
)
from assistant.speech_phrases import main_subject, np_after, np_before, writer_of
from assistant.text import split_sentences
from assistant.types import Attribution, Span

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


def _said(text: str, q: _Quote) -> bool:
    """Quoted words that read as someone's words: four words or more, or words in
    the first or second person; not a title ("Eat The Press", "Stronger Together") nor scare
    quotes ("closed" primaries, the "two-child benefit cap", a "war on drugs")."""
    words = re.findall(r"[A-Za-z][\w’'\-]*", text[q.start : q.end])
    if len(words) < 3 or sum(w[0].isupper() for w in words) >= 0.6 * len(words):
        return False
    return len(words) >= 4 or any(w.lower() in _PERSONAL for w in words)


def _finite(verb: str) -> bool:
    """A verb that looks finite ("says", "credited", or the pasts "said", "told", "wrote",
    "spoke"), not a bare infinitive ("... and tell more jokes"); other irregular pasts
    ("took") are not taken for finite."""
    return verb.endswith(("s", "ed")) or verb in ("said", "told", "wrote", "spoke")


_PERSONAL = frozenset("i i'm i’m we we're we’re our us my me you your".split())
# between the subject's verb and the quote: another clause or party that the words may be
# theirs ("visited the town, where a sheriff warned ...", "the bill, which critics called ...")
_ASIDE = re.compile(
    r"[;—–(]|\b(?:where|which|who|whom|whose|after|before|while|though|although|because"
    r"|since|when|until|if|unless|called|branded|dubbed|named|chanted|shouted|chanting|that|as"
    r"|amid|reading|read|captioned|headlined|titled|asked|responded)\b"
)
_CLAUSE = re.compile(r",\s+(?:and|but|while|whereas|as)\s+|;\s*")
_SECOND_PREDICATE = re.compile(r",?\s+(?:and|but)\s+(?:(?:also|then|later|\w+ly)\s+)?$")


def _cue_in(masked: str, text: str, lo: int, hi: int) -> _Cue | None:
    """The reporting cue of ``masked[lo:hi]`` (quoted words blanked) and its subject."""
    seg = masked[lo:hi]
    m = lex.ACCORDING.search(seg)
    if m:
        np = np_after(text, lo + m.end(), hi)
        if np is None:
            m2 = re.match(
                r"((?:the |a |an )?[\w’'.\-]+(?:\s+[\w’'.\-]+){0,6}?)(?=\s*[,.;:]|$)",
                masked[lo + m.end() : hi],
            )
            said = m2.group(1).split() if m2 else []
            # "according to the London think tank": a name inside the phrase
            named = bool(said) and said[0] in ("the", "a", "an")
            named = named and any(lex.CAP.match(w) for w in said[1:])
            if m2 and (
                said[0][0].isupper() or set(m2.group(1).lower().split()) & lex.ROLE_WORDS or named
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
        if head == "think" and re.match(r"\s*tanks?\b", tail):
            continue  # "the London think tank", a noun
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
                main = main_subject(masked, lo, vs)
                if main is not None:
                    return _Cue(Span(*main), Span(vs, ve))
            writer = writer_of(masked, lo, vs)
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
        np = np_before(masked, lo, vs)
        if np is None and re.search(r"(?:[,”\"]|'')\s*$", text[max(lo, vs - 3) : vs]):
            np = np_after(text, ve, hi)  # inverted: '..., said Trump' / '"...," said X
        if np is None:
            # a second predicate: "Carson admitted ..., but said" / "... and said": the
            # subject of the sentence's main verb
            conj = _SECOND_PREDICATE.search(masked, lo, vs)
            # not "needs to sell herself and tell more jokes"
            if conj is not None and _finite(head):
                # the subject of its own clause: "Putin invaded ..., and the West responded
                # with sanctions and warned" is the West's warning
                starts = [m.end() for m in _CLAUSE.finditer(masked, lo, conj.start())]
                np = main_subject(masked, starts[-1], conj.start()) if starts else None
                np = np or main_subject(masked, lo, conj.start())
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
        np = np_before(masked, lo, lo + m3.start()) or np_after(text, lo + m3.end(), hi)
        if np is None:
            after = re.match(r"\s*,\s*", masked[lo + m3.end() : hi])
            if after:
                np = np_after(text, lo + m3.end() + after.end(), hi)
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
    np = np_before(masked, m.start("np"), m.end("np"))
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
    np = np_before(masked, m.start("np"), m.end("np"))
    if np is None or np[0] != m.start("np"):
        return None
    return _Cue(Span(*np), Span(m.start("v"), m.end("v")))


_AFTER_VERB = re.compile(r"\s*,?\s*([a-z]{3,}ed)\s+")
_AFTER_SUBJECT_VERB = re.compile(r"\s*,?\s*(.{1,60}?)\s+([a-z]{3,}ed)\s*(?:[.,;!?]|$)")


def _any_verb_after(text: str, masked: str, lo: int, hi: int) -> _Cue | None:
    """``"...?" reacted Trump.`` / ``"...," Trump quipped.``: any verb right after a quote."""
    m = _AFTER_VERB.match(text, lo, hi)
    if m:
        np = np_after(text, m.end(), hi)
        if np:
            return _Cue(Span(*np), Span(m.start(1), m.end(1)))
    m2 = _AFTER_SUBJECT_VERB.match(text, lo, hi)
    if m2:
        np2 = np_before(masked, lo, m2.start(2))
        if np2 and np2[0] == m2.start(1):
            return _Cue(Span(*np2), Span(m2.start(2), m2.end(2)))
    return None


_INTRO = re.compile(r"\s+(?:\w+ly\s+)?([a-z]+(?:ed|s))\b[^:]{0,60}:\s*$")


def _colon_intro(masked: str, text: str, lo: int, hi: int) -> _Cue | None:
    """``Kasich resisted: "..."``: any verb whose subject introduces a quote with a colon."""
    m = _INTRO.search(masked, lo, hi)
    if not m:
        return None
    np = np_before(masked, lo, m.start())
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
    full: dict[str, tuple[str, Span]] = full_names(text)
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
        continued = False  # att only carries on the speaker of an earlier paragraph
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
                    continued = True
        elif lex.POSSESSIVE_VIEW.match(text[s.start : s.end]) and prev.speaker:
            att = Attribution(
                speaker=prev.speaker,
                mention=prev.mention,
                cue=prev.cue,
                antecedent=prev.antecedent,
            )
        found = subject_and_verb(text, s, full)
        here = found[0] if found else None
        if found is not None and (att.mention is None or continued) and inside:
            # a person's words quoted in a sentence about what the person does ("Sanders
            # credited her victory to "a closed primary, something I am not ..."): the subject's
            (name, mention, _), verb = found
            first = min(inside, key=lambda q: q.start)
            if (
                _finite(text[verb.start : verb.end])
                and verb.end <= first.start
                and _said(text, first)
                and not _ASIDE.search(text, verb.end, first.start)
                and personish(name)
            ):
                att = Attribution(mention=mention, cue=verb, direct=True)
        if att.mention is not None and att.speaker is None:
            if here is not None and here[2] < att.mention.start and here[1] != att.mention:
                subject = here  # "Senator Rubio ... in which he declares": the same sentence
            if subject is not None and (last_named is None or subject[2] > last_named[2]):
                # a person named since the last speaker ("Lopez spoke. ... she said")
                last_named = subject
            att, last_named = name_speaker(text, att, prev, last_named, full, history)
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
    return clean_mention(sentence[cue.mention.start : cue.mention.end]) or None


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
    # the name at the end, with its particles ("... President Ursula von der Leyen")
    i = len(words)
    while i > 0 and (words[i - 1][:1].isupper() or words[i - 1] in lex.NAME_PARTICLES):
        i -= 1
    caps = [k for k in range(i, len(words)) if words[k][:1].isupper()]
    if len(caps) < 2:
        return speaker  # "the Kremlin", "Britain's prime minister": as the article puts it
    return " ".join(words[caps[-2] :])


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
