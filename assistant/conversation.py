"""Follow-up questions resolved against earlier turns, without an LLM."""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.answer.question import question_subject
from assistant.types import Turn

_FOLLOW = re.compile(
    r"^(?:and|but|also|so|what about|how about|and what about|what else|why|and why)\b", re.I
)
_REFERS = re.compile(r"\b(?:that|this|it|they|them|he|she|him|her|those|these|there)\b", re.I)
_PERSON = re.compile(r"\b(?:he|she|him|his|her)\b", re.I)  # a person asked about before
_WHAT_ABOUT = re.compile(r"^(?:and\s+)?(?:what|how) about\s+(.+?)\??$", re.I)
_CAP = re.compile(r"\b[A-Z][\w’'\-.]*(?:\s+[A-Z][\w’'\-.]*)*")
# "What did Macron say?", "And what does the EU think?": a party, and no topic of its own
_ONLY_PARTY = re.compile(
    r"^(?:what|how)\s+(?:did|does|do|has|have|is|was)\s+(.+?)\s+"
    r"(?:say|said|think|thinks|respond|responded|want|wants|demand|demands)\s*\??$",
    re.I,
)
_SAYS = re.compile(r"\b(?:say|said|says|think|thinks)\b", re.I)
DEPTH = 5  # earlier turns looked back through to resolve the previous question


def is_follow_up(question: str) -> bool:
    """Whether a question leans on what was asked before: it opens like one ("And ...",
    "What about ..."), is short and refers back ("Why did they?"), or speaks of "he" or "her"
    without a subject of its own ("What did Merkel say about her legacy?" stands alone)."""
    q = question.strip()
    return (
        bool(_FOLLOW.match(q))
        or (len(q.split()) <= 6 and bool(_REFERS.search(q)))
        or (bool(_PERSON.search(q)) and not _names_anyone(q))
    )


def _names_anyone(question: str) -> bool:
    """Whether the question's subject is a name of its own ("What did Merkel say about her
    legacy?", "How did the EU respond to his proposal?"; not "What did he say about Putin?")."""
    subject = question_subject(question.strip())
    return bool(subject and re.search(r"[A-Z]", subject))


def condense(question: str, history: Sequence[Turn]) -> str:
    """A standalone version of a follow-up question.

    - "What about Ukraine?" after "What does Russia require before talks?" becomes "What does
      Ukraine require before talks?";
    - "What did he say about the path to membership?" after "What did Zelensky say about EU
      candidate status?" becomes "What did Zelensky say about the path to membership?";
    - "And what did Macron say?" then becomes "What did Macron say about the path to
      membership?" (the earlier question is itself resolved first);
    - otherwise ("And what did Klimov say about that?") the words are kept and the earlier
      question's topic is carried along.
    """
    if not history or not is_follow_up(question):
        return question
    prev = condense(history[-1].question, history[-DEPTH:-1]) if len(history) > 1 else ""
    prev = prev or history[-1].question
    q = question.strip()
    m = _WHAT_ABOUT.match(q)
    if m:
        new = m.group(1).strip()
        entities = [e for e in _CAP.findall(prev[1:]) if e.lower() not in {"what", "who"}]
        if entities:
            return prev.replace(entities[0], new, 1)
        return f"{prev.rstrip('?')} — {new}?"
    stripped = re.sub(r"^(?:and|but|also|so)\s+", "", q, flags=re.I)
    stripped = stripped[:1].upper() + stripped[1:]
    subject = question_subject(prev)
    named = subject if subject and subject[:1].isupper() else None
    if named and _PERSON.search(stripped) and not _names_anyone(stripped):
        resolved = _PERSON.sub(lambda p: _pronoun(p, named), stripped, count=1)
        if not _REFERS.search(resolved):  # nothing else left to resolve ("that", "it")
            return resolved
    only = _ONLY_PARTY.match(stripped)
    if only and subject and subject in prev and _SAYS.search(prev):  # who said what, again
        return prev.replace(subject, only.group(1), 1)
    topic = prev.rstrip("?").strip()
    return f"{stripped.rstrip('?')} (about: {topic})?"


_NOT_A_NOUN = frozenset(
    "to and or about that in on at for with of as from by after before if when say said".split()
)


def _pronoun(m: re.Match[str], name: str) -> str:
    """A person pronoun replaced by the name: "his" and a "her" before a noun are possessive
    ("his proposal", "her lawyer" -> "Griner’s lawyer"); "he", "him" and a final "her" are not."""
    word = m.group(0).lower()
    after = re.match(r"\s+([a-z][\w’'\-]*)", m.string[m.end() :])
    possessive = word == "his" or (word == "her" and after and after.group(1) not in _NOT_A_NOUN)
    return f"{name}’s" if possessive else name
