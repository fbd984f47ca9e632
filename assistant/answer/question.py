"""What a question asks for: its answer type, the party it asks about, its words."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.attribution import sides_of
from assistant.lexical import tokenize

CAPS = re.compile(r"\b[A-Z][\w’'\-]+")
_CONDITION_Q = re.compile(
    r"\b(?:require|requires|required|requirement|condition|conditions|demand|demands|"
    r"prerequisite|precondition|terms|need|needs|must)\b|\bbefore (?:talks|negotiat|agree|sign)",
)
_POSITION_Q = re.compile(
    r"\b(?:position|stance|view|views|think|thinks|believe|believes|say|said|says|react|"
    r"respond|argue|argued|claim|claimed)\b"
)
_SAY_Q = re.compile(
    r"\b(?:say|said|says|think|thinks|argue|argued|claim|claimed|stance|view)\b", re.I
)


@dataclass(frozen=True)
class Question:
    """What the scorer needs to know about a question."""

    text: str
    tokens: frozenset[str]
    sides: frozenset[str]
    names: frozenset[str]
    wants: str  # person|number|date|place|quote|any
    asks_speech: bool
    party: frozenset[str] = frozenset()  # the asked-about party's words, stemmed ("analyst")
    party_name: str = ""  # as the question writes it ("the analysts", "Ann Lee")


def analyse(question: str) -> Question:
    """Tokens, named parties and the kind of answer a question wants."""
    low = question.lower().strip()
    if re.match(r"^(?:who|whom|whose)\b", low) or re.search(
        r"\bwhich (?:person|leader|official"
        r"|company|team|player)\b",
        low,
    ):
        wants = "person"
    elif re.search(
        r"\bhow (?:many|much|long|old|far)\b|\bwhat (?:percent|percentage|number|"
        r"amount)\b",
        low,
    ):
        wants = "number"
    elif re.match(r"^when\b", low) or re.search(r"\bwhat (?:year|day|date|month)\b", low):
        wants = "date"
    elif re.match(r"^where\b", low) or re.search(r"\bwhich (?:country|city|state|nation)\b", low):
        wants = "place"
    elif _CONDITION_Q.search(low):
        wants = "condition"
    elif _POSITION_Q.search(low):
        wants = "position"
    elif re.match(
        r"^(?:which|what)\s+(?!(?:is|are|was|were|does|do|did|has|have|had|will|would|"
        r"can|could|should)\b)\w+",
        low,
    ):
        wants = "entity"  # "Which show ...", "What company ..."
    else:
        wants = "any"
    names = frozenset(w.lower() for w in CAPS.findall(question[1:]) if w.lower() not in STOP_CAPS)
    subject = question_subject(question)
    return Question(
        text=question,
        tokens=frozenset(tokenize([question])[0]),
        sides=frozenset(sides_of(subject if subject is not None else question)),
        names=names,
        wants=wants,
        asks_speech=bool(_SAY_Q.search(question)),
        party=frozenset(tokenize([subject])[0]) - NOT_PARTY if subject else frozenset(),
        party_name=subject or "",
    )


NOT_PARTY = frozenset(["what", "who", "which", "say", "said", "think", "doe", "did"])


_WH_AUX = re.compile(
    r"^\s*(?:what|how|why|when|where|which \w+|who)\s+(?:else\s+)?"
    r"(?:does|did|do|is|are|was|were|has|have|had|will|would|could|should|can|might)\s+(.+)$",
    re.I,
)


def question_subject(question: str) -> str | None:
    """The grammatical subject of a wh-question ("What does Russia require?" -> "Russia")."""
    m = _WH_AUX.match(question)
    if not m:
        return None
    words = m.group(1).split()
    out: list[str] = []
    for w in words:
        bare = w.strip("?,.!’'")
        head_free = all(o.lower() in ("the", "of") for o in out)
        if (
            bare[:1].isupper()
            or bare.lower() in ("the", "of", "u.s.")
            or (head_free and bare.isalpha())
        ):
            out.append(bare)
            if not bare[:1].isupper() and bare.lower() not in ("the", "of"):
                break  # one lowercase head noun ("analysts")
        else:
            break
    return " ".join(out) or None


STOP_CAPS = frozenset(
    [
        "what",
        "who",
        "when",
        "where",
        "why",
        "how",
        "which",
        "the",
        "a",
        "an",
        "and",
        "in",
        "on",
        "is",
        "are",
        "does",
        "did",
    ]
)
