"""Which side (country or bloc) a speaker or phrase belongs to: "the Kremlin" -> russia."""

from __future__ import annotations

import re

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
