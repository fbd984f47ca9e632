"""Follow-up questions resolved against earlier turns, without an LLM."""

from __future__ import annotations

import re

from assistant.types import Turn

_FOLLOW = re.compile(
    r"^(?:and|but|also|so|what about|how about|and what about|what else|why|and why)\b", re.I
)
_REFERS = re.compile(r"\b(?:that|this|it|they|them|he|she|him|her|those|these|there)\b", re.I)
_WHAT_ABOUT = re.compile(r"^(?:and\s+)?(?:what|how) about\s+(.+?)\??$", re.I)
_CAP = re.compile(r"\b[A-Z][\w’'\-.]*(?:\s+[A-Z][\w’'\-.]*)*")


def is_follow_up(question: str) -> bool:
    """Whether a question leans on what was asked before."""
    q = question.strip()
    return bool(_FOLLOW.match(q)) or (len(q.split()) <= 6 and bool(_REFERS.search(q)))


def condense(question: str, history: list[Turn] | tuple[Turn, ...]) -> str:
    """A standalone version of a follow-up question.

    "What about Ukraine?" after "What does Russia require before talks?" becomes
    "What does Ukraine require before talks?"; "And what did Klimov say about that?" keeps
    its words and carries the earlier question's topic along.
    """
    if not history or not is_follow_up(question):
        return question
    prev = history[-1].question
    m = _WHAT_ABOUT.match(question.strip())
    if m:
        new = m.group(1).strip()
        entities = [e for e in _CAP.findall(prev[1:]) if e.lower() not in {"what", "who"}]
        if entities:
            return prev.replace(entities[0], new, 1)
        return f"{prev.rstrip('?')} — {new}?"
    stripped = re.sub(r"^(?:and|but|also|so)\s+", "", question.strip(), flags=re.I)
    stripped = stripped[:1].upper() + stripped[1:]
    topic = prev.rstrip("?").strip()
    return f"{stripped.rstrip('?')} (about: {topic})?"
