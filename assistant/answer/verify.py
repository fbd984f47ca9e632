"""Quote verification: a quote is shown only if it is verbatim in the cited article.

Matching forgives only typography: runs of white space, curly versus straight quote marks and
dashes. Offsets returned always refer to the original article text.
"""

from __future__ import annotations

from assistant.types import Quote

_FOLD = str.maketrans(
    {
        "“": '"',
        "”": '"',
        "„": '"',
        "«": '"',
        "»": '"',
        "‘": "'",
        "’": "'",
        "‚": "'",
        "—": "-",
        "–": "-",
        "‐": "-",
        "‑": "-",
        "\u00a0": " ",
    }
)


def _folded(text: str) -> tuple[str, list[int]]:
    """Text with typography folded and white space collapsed, plus a map to original offsets."""
    out: list[str] = []
    index: list[int] = []
    prev_space = False
    for i, ch in enumerate(text.translate(_FOLD)):
        if ch.isspace():
            if prev_space:
                continue
            prev_space = True
            out.append(" ")
        else:
            prev_space = False
            out.append(ch)
        index.append(i)
    return "".join(out), index


def locate(quote: str, text: str, near: int | None = None) -> tuple[int, int] | None:
    """Where ``quote`` stands in ``text`` (original offsets), or None if it is not verbatim."""
    needle, _ = _folded(quote.strip())
    needle = needle.strip()
    if not needle:
        return None
    hay, index = _folded(text)
    hits = []
    pos = hay.find(needle)
    while pos >= 0:
        hits.append(pos)
        pos = hay.find(needle, pos + 1)
    if not hits:
        return None
    best = min(hits, key=lambda p: abs(index[p] - near)) if near is not None else hits[0]
    start = index[best]
    end = index[best + len(needle) - 1] + 1
    return start, end


def verify_quote(quote: Quote, text: str) -> bool:
    """Whether the quote's offsets slice exactly its text out of the article."""
    return 0 <= quote.start < quote.end <= len(text) and text[quote.start : quote.end] == quote.text
