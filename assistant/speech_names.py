"""Who a mention is: pronouns and roles ("he", "the spokeswoman") resolved to the named
speaker in play, by gender and personhood, and the fullest form of a name the article uses
("Kirby" -> "White House ... John Kirby"). Used by :mod:`assistant.attribution`."""

from __future__ import annotations

import re

from assistant import speech_lexicon as lex
from assistant.types import Attribution, Span

NONE = Attribution()


def name_speaker(
    text: str,
    att: Attribution,
    prev: Attribution,
    last_named: tuple[str, Span, int] | None,
    full: dict[str, tuple[str, Span]],
    history: list[tuple[str, Span, int]],
) -> tuple[Attribution, tuple[str, Span, int] | None]:
    """Turn a mention into a speaker: resolve pronouns and roles, prefer the fullest name."""
    assert att.mention is not None
    who = clean_mention(text[att.mention.start : att.mention.end])
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
                if personish(h[0]) and _gender(h[0], full) in (None, low)
            ]
            if (
                ref is not None
                and ref[0]
                and (_gender(ref[0], full) not in (None, low) or not personish(ref[0]))
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


def personish(name: str) -> bool:
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
    r"(?:\s+[A-Z][a-z’'\-]+){0,2})(?:\s+\([^()]{1,20}\))?(?:(?:,[^,]{1,60}){1,3}?,)?"
    r"\s+(?:[a-z]+ly\s+)?(?:has\s+|had\s+)?(is|[a-z]{3,})\b"
)


_NOT_NAMES = frozenset(
    "it its such was were is are there here what who why how when where which whose many "
    "most some all both each every no none one two three several few more less much".split()
)


def subject_and_verb(
    text: str, s: Span, full: dict[str, tuple[str, Span]]
) -> tuple[tuple[str, Span, int], Span] | None:
    """A person named as the subject at the start of a sentence ("Maria Lopez, the mayor,
    spoke ..."), for later pronouns: two or more capitalised words, a title and a name, or a
    surname the article has named in full; with the span of the word after it (its verb)."""
    m = _SUBJECT.match(text, s.start, s.end)
    if m and m.group(2) in _TITLE_WORDS:
        # "Former Pennsylvania governor Ed Rendell, one of ..., was": the name after the title
        m = _SUBJECT.match(text, m.end(2), s.end)
    if not m:
        return None
    name = clean_mention(m.group(1))
    words = name.split()
    first = words[0].lower().rstrip(".")
    if (
        first in lex.LEADING_JUNK
        or first in lex.DETS
        or first in _NOT_NAMES
        or first in lex.BLOCKERS
    ):
        return None
    titled = first in ("mr", "mrs", "ms", "dr", "sen", "rep", "gov", "gen")
    if len(words) < 2 and words[0].lower() not in full:
        return None
    if titled and len(words) < 2:
        return None
    mention = Span(m.start(1), m.start(1) + len(m.group(1).rstrip()))
    return (name, mention, m.start(1)), Span(m.start(2), m.end(2))


def full_names(text: str) -> dict[str, tuple[str, Span]]:
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


def clean_mention(np_text: str) -> str:
    s = np_text.strip(" \t\n\"“”‘’'()[]—–-,;:")
    return re.sub(r"\s+", " ", s)


# ---------------------------------------------------------------- the public helpers
