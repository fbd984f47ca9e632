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
    asked: str = ""  # the sentence that asks, after any context ("... What was the magnitude?")


def analyse(question: str) -> Question:
    """Tokens, named parties and the kind of answer a question wants."""
    wants = answer_type(question)
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
        asked=last_sentence(question),
    )


def unpossessed(word: str) -> str:
    """A word lower-cased and without its possessive ("Kirby’s" -> "kirby", "Jones'" ->
    "jones"; "Davis" stays "davis")."""
    return re.sub(r"[’']s?$", "", word.lower())


def last_sentence(question: str) -> str:
    """The sentence that asks: news quizzes put context first ("Afghanistan was rocked by an
    earthquake this week. What was the magnitude?")."""
    parts = [p for p in re.split(r"(?<=[.!:])\s+(?=[A-Z])", question.strip()) if p]
    return parts[-1] if parts else question


_PLACE_NOUNS = frozenset(
    "country countries state states city cities continent nation nations region island "
    "islands park county province capital town territory border sea ocean river".split()
)
_DATE_NOUNS = frozenset("year years month day date decade season century".split())
_NUMBER_NOUNS = frozenset(
    "percent percentage number amount age share sum price magnitude temperature score size "
    "height cost population rate total".split()
)
PERSON_NOUNS = frozenset(
    "person people man woman men women leader leaders official officials member members star "
    "stars player players actor actress singer rapper siblings sisters brothers politician "
    "senator senators governor president minister mp mps ceo founder judge celebrity athlete "
    "musician artist author candidate lawmaker lawmakers chancellor king queen prince princess "
    "pope coach billionaire executive journalist host comedian director general tory "
    "democrat republican monarch royal figure".split()
)
_WH = re.compile(
    r"\b(?:(how (?:many|much|long|old|far|big|tall|high|fast))|(who|whom|whose)|"
    r"(which|what)|(when)|(where)|(why)|(how))\b"
)
_AUX = frozenset(
    "is are was were does do did has have had will would can could should might may".split()
)


def answer_type(question: str) -> str:
    """The kind of answer a question wants: person, number, date, place, entity (a name),
    condition, position (what a party says) or any.

    News quizzes put context first and ask last ("Afghanistan was rocked by an earthquake this
    week. What was the magnitude?"), and ask mid-sentence ("... at which national park?"), so
    the last sentence is read for its first question word; "which"/"what" take their type from
    the noun they govern ("which continent" is a place, "what year" a date).
    """
    low = last_sentence(question).lower()
    m = _WH.search(low)
    if m is not None:
        for group, kind in ((1, "number"), (2, "person"), (4, "date"), (5, "place")):
            if m.group(group):
                return kind
    # "which"/"what" typed by its noun; otherwise (what + verb, why, how, no question word)
    # a condition or a position when the words say so
    typed = _typed_head(low[m.end() :]) if m is not None and m.group(3) else ""
    if typed:
        return typed
    if _CONDITION_Q.search(low):
        return "condition"
    return "position" if _POSITION_Q.search(low) else "any"


def _typed_head(rest: str) -> str:
    """The type a "which"/"what" phrase asks for, from the words after it ("" for none)."""
    words = re.findall(r"[\w.’'\-]+", rest)
    if not words or words[0] in ("this", "that", "these", "those", "else", "to"):
        return ""
    aux = words[0] in _AUX
    if aux and _POSITION_Q.search(rest):
        return ""
    head = words[1:5] if aux else words[:3]
    for w in head:
        if w == "of" or (not aux and w in _AUX):
            break
        if w in _PLACE_NOUNS:
            return "place"
        if w in _DATE_NOUNS:
            return "date"
        if w in _NUMBER_NOUNS:
            return "number"
        if w in PERSON_NOUNS:
            return "person"
    if aux:
        # "what is the name of ...", "what is it called?", "what is the new law named?"
        return "entity" if "name" in head or words[-1] in ("called", "named") else ""
    return "entity"  # "which show", "what company", "which insect"


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
