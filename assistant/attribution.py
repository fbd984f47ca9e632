"""Who is speaking in a sentence: reporting verbs, "according to", quotes, pronouns.

Pure functions over text. ``speakers(text, spans)`` attributes every sentence of an article,
carrying the last named speaker forward to resolve "He argued ..." or "The spokesperson ...".
"""

from __future__ import annotations

import re

from assistant.types import Span

_VERBS = (
    "said|says|say|told|tells|added|adds|argued|argues|noted|notes|suggested|suggests|"
    "indicated|indicates|explained|explains|emphasized|emphasised|emphasizes|underscored|"
    "underscores|stressed|stresses|warned|warns|claimed|claims|insisted|insists|announced|"
    "announces|stated|states|wrote|writes|tweeted|asked|asks|framed|frame|frames|"
    "demanded|demands|demand|required|requires|require|urged|urges|urge|called for|calls for|"
    "call for|believes|believe|believed|contended|contends|maintained|maintains|acknowledged|"
    "acknowledges|admitted|admits|confirmed|confirms|denied|denies|predicted|predicts|"
    "reported|reports|point to|pointed to|points to|pointed out|points out|observed|"
    "countered|counters|responded|replied|declared|declares|vowed|vows|promised|promises|"
    "proposed|proposes|offered|offers|signaled|signalled|signals|expressed|expresses|"
    "described|describes|characterized|characterizes|testified|testifies|recalled|recounted|"
    "stress|argue|note|suggest|warn|insist|contend|maintain|point out|emphasize|say|tell"
)
_AUX = r"(?:(?:has|have|had|will|would|could|may|might|also|again|repeatedly|previously|"
_AUX += r"publicly|recently|later|further|then)\s+)*"
_VERB_RE = re.compile(rf"\b{_AUX}(?:{_VERBS})\b", re.IGNORECASE)
_ACCORDING = re.compile(r"\baccording to ((?:[\w’'.\-]+\s?){1,8}?)(?=[,.;:]|$)", re.IGNORECASE)
_INVERTED = re.compile(
    rf"[”\"’'],?\s+(?:{_VERBS})\s+((?:[A-Z][\w’'.\-]*\s?){{1,5}})",
)
_PRONOUN = re.compile(r"^(?:he|she|they|it|we|i)$", re.IGNORECASE)
_POSSESSIVE_VIEW = re.compile(
    r"^(?:in|by) (?:his|her|their) (?:view|account|words|telling)\b", re.I
)
_ROLE = re.compile(
    r"\b(?:officials?|spokes(?:person|man|woman)|analysts?|experts?|leaders?|leadership|"
    r"lawmakers?|police|authorities|researchers?|scientists?|critics?|observers?|diplomats?|"
    r"ministry|minister|government|administration|president|prime minister|side|sources?|"
    r"secretary|senator|governor|mayor|officers?|commander|prosecutors?|investigators?|"
    r"economists?|advocates?|residents?|witnesses?|team|agency|department|council|court|"
    r"company|kremlin|pentagon|white house|state department)\b",
    re.IGNORECASE,
)
_DEFINITE_ROLE = re.compile(
    r"^the (?:spokes(?:person|man|woman)|official|minister|president|secretary|senator|"
    r"governor|mayor|coordinator|ambassador|envoy|lawmaker|diplomat)$",
    re.IGNORECASE,
)
_BAD_HEAD = re.compile(
    r"^(?:that|this|these|those|it|there|which|what|who|when|if|as|but|and|so|because|until|"
    r"while|after|before|although|though|since|unless|once|whether|such|its|his|her|their)\b",
    re.I,
)


def _clean(np_text: str) -> str:
    s = np_text.strip(" \t\"“”‘’'()[]—–-,;:")
    s = re.sub(r"\s+", " ", s)
    return s


def _subject_before(prefix: str) -> str | None:
    """The noun phrase before a reporting verb, skipping an introductory clause."""
    raw = prefix.rstrip()
    if not raw:
        return None
    # "Andrey Klimov, who ... , offered": a relative clause between subject and verb
    rel = re.match(r"^\s*([^,]{2,80}?),\s+(?:who|which|the|a|an)\b", raw)
    parts = [p for p in re.split(r"[,;:—–”\"]\s*|\s+that\s+", raw) if p.strip()]
    candidate = _clean(parts[-1]) if parts else ""
    if rel and (not candidate or _BAD_HEAD.match(candidate) or len(parts) > 2):
        lead = _clean(rel.group(1))
        if lead and lead[0].isupper() and len(lead.split()) <= 8:
            candidate = lead
    if not candidate or _BAD_HEAD.match(candidate):
        return None
    if len(candidate.split()) > 12:
        return None
    if candidate[0].islower() and not candidate.lower().startswith("the "):
        return None
    lower = [w for w in re.findall(r"[\w’']+", candidate) if w[0].islower()]
    if any(w in _VERBISH for w in lower):
        return None
    if not _ROLE.search(candidate) and any(w not in _CONNECTORS for w in lower):
        return None
    return candidate


_CONNECTORS = frozenset(
    [
        "of",
        "from",
        "the",
        "for",
        "at",
        "in",
        "on",
        "and",
        "to",
        "a",
        "an",
        "de",
        "la",
        "von",
        "van",
        "bin",
        "al",
        "le",
        "du",
    ]
)
_VERBISH = frozenset(
    [
        "would",
        "will",
        "could",
        "should",
        "can",
        "may",
        "might",
        "must",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "do",
        "does",
        "did",
        "if",
        "when",
        "because",
        "while",
        "whether",
        "not",
        "also",
    ]
)


def find_speaker(sentence: str) -> str | None:
    """The speaker named in one sentence, a pronoun (to resolve), or None."""
    m = _ACCORDING.search(sentence)
    if m:
        who = _clean(m.group(1))
        if who and (who[0].isupper() or _ROLE.search(who)):
            return who
    m2 = _INVERTED.search(sentence)
    if m2:
        who = _clean(m2.group(1))
        if who and not _PRONOUN.match(who):
            return who
    first: str | None = None
    for v in _VERB_RE.finditer(sentence):
        subj = _subject_before(sentence[: v.start()])
        if subj and (_PRONOUN.match(subj) or subj[0].isupper() or _ROLE.search(subj)):
            if not v.group(0).lower().startswith("report"):
                return subj
            first = first or subj  # "X reported that Y said": prefer Y
    if first:
        return first
    if _POSSESSIVE_VIEW.match(sentence.strip()):
        return "he"
    return None


def speakers(text: str, spans: list[Span]) -> list[str | None]:
    """A speaker for every sentence, pronouns and 'the spokesperson' resolved backwards.

    A later short mention ("Kirby") is replaced by the fuller first mention
    ("White House ... John Kirby") so every quote names the speaker the same way.
    """
    out: list[str | None] = []
    last_named: str | None = None
    last_sentence_speaker: str | None = None
    full: dict[str, str] = {}
    for s in spans:
        who = find_speaker(text[s.start : s.end])
        if who and (_PRONOUN.match(who) or _DEFINITE_ROLE.match(who)):
            resolved = last_sentence_speaker or last_named
            who = resolved if resolved else (None if _PRONOUN.match(who) else who)
        if who:
            key = who.split()[-1].lower()
            if key in full and len(full[key]) > len(who):
                who = full[key]
            elif re.search(r"[A-Z]", who):
                full.setdefault(key, who)
            if re.search(r"[A-Z]", who):
                last_named = who
            last_sentence_speaker = who
        else:
            last_sentence_speaker = None
        out.append(who)
    return out


def descriptors(text: str, spans: list[Span], who: list[str | None]) -> dict[str, str]:
    """For each speaker, the words around its first mention (its title or affiliation)."""
    out: dict[str, str] = {}
    for s, w in zip(spans, who, strict=True):
        if w and w not in out:
            sentence = text[s.start : s.end]
            v = _VERB_RE.search(sentence, max(0, sentence.find(w.split()[-1])))
            out[w] = sentence[: v.start()] if v else w
    return out


def short_name(speaker: str) -> str:
    """'White House ... Coordinator John Kirby' -> 'John Kirby' for display of later mentions."""
    words = speaker.split()
    caps = [w for w in words if w[:1].isupper()]
    return " ".join(caps[-2:]) if len(caps) >= 2 else speaker


# Sides: the names, adjectives and capitals by which a country's side is spoken of.
SIDES: dict[str, tuple[str, ...]] = {
    "russia": (
        "russia",
        "russian",
        "kremlin",
        "moscow",
        "putin",
        "lavrov",
        "peskov",
        "federation council",
        "duma",
        "zakharova",
        "shoigu",
        "medvedev",
    ),
    "united states": (
        "united states",
        "u.s.",
        "us",
        "america",
        "american",
        "washington",
        "white house",
        "biden",
        "blinken",
        "pentagon",
        "state department",
    ),
    "ukraine": ("ukraine", "ukrainian", "kyiv", "kiev", "zelensky", "zelenskyy", "kuleba"),
    "china": ("china", "chinese", "beijing", "xi"),
    "united kingdom": (
        "united kingdom",
        "uk",
        "u.k.",
        "britain",
        "british",
        "london",
        "downing street",
    ),
    "european union": ("european union", "eu", "e.u.", "brussels", "european commission"),
    "nato": ("nato", "stoltenberg", "alliance"),
    "israel": ("israel", "israeli", "jerusalem", "netanyahu"),
    "iran": ("iran", "iranian", "tehran"),
}
_WORDS = re.compile(r"[\w.]+")


def sides_of(text: str) -> set[str]:
    """Which sides a phrase names ("the Kremlin leadership" -> {"russia"})."""
    low = text.lower()
    toks = set(_WORDS.findall(low))
    found = set()
    for side, names in SIDES.items():
        for n in names:
            if (" " in n and n in low) or n in toks:
                found.add(side)
                break
    return found
