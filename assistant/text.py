"""News-aware sentence segmentation with character offsets, boilerplate, and chunking.

Everything here is pure: text in, spans out. Offsets are always into the original text, so
``text[s.start:s.end]`` is the sentence exactly as the article has it.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Iterator

from assistant.types import Chunk, Span

# Abbreviations that end in a period but rarely end a sentence (compared lower case).
_ABBREV = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "gov",
        "sen",
        "rep",
        "reps",
        "sens",
        "gen",
        "lt",
        "col",
        "sgt",
        "capt",
        "cmdr",
        "adm",
        "maj",
        "prof",
        "st",
        "jr",
        "sr",
        "inc",
        "corp",
        "co",
        "ltd",
        "no",
        "nos",
        "vs",
        "etc",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "mt",
        "ft",
        "ave",
        "blvd",
        "rd",
        "calif",
        "fla",
        "ala",
        "ariz",
        "ark",
        "colo",
        "conn",
        "del",
        "ga",
        "ill",
        "ind",
        "kan",
        "ky",
        "la",
        "md",
        "mass",
        "mich",
        "minn",
        "miss",
        "mo",
        "mont",
        "neb",
        "nev",
        "okla",
        "ore",
        "pa",
        "tenn",
        "tex",
        "va",
        "vt",
        "wash",
        "wis",
        "wyo",
        "pres",
        "supt",
        "gens",
        "est",
        "approx",
        "dept",
        "univ",
        "fig",
        "vol",
    ]
)
# After a dotted acronym (U.S., a.m.) a new sentence usually starts with one of these words.
_STARTERS = frozenset(
    [
        "The",
        "A",
        "An",
        "He",
        "She",
        "It",
        "They",
        "We",
        "I",
        "In",
        "On",
        "At",
        "But",
        "And",
        "So",
        "This",
        "That",
        "These",
        "Those",
        "There",
        "His",
        "Her",
        "Its",
        "Their",
        "Our",
        "After",
        "Before",
        "When",
        "While",
        "However",
        "Still",
        "Yet",
        "Meanwhile",
        "Also",
        "Some",
        "Many",
        "Most",
        "More",
        "No",
        "Officials",
        "Police",
        "Authorities",
        "As",
        "If",
        "For",
        "From",
        "Under",
        "With",
        "Without",
        "Now",
        "Then",
        "Today",
        "Yesterday",
    ]
)
_BOUNDARY = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s+)")
_NEXT_START = re.compile(r"\s+([\"'“‘(\[]?)(\S)")
_WORD_BEFORE = re.compile(r"(\S+)$")
_DOTTED = re.compile(r"^(?:[A-Za-z]\.){2,}$")

_BOILERPLATE = re.compile(
    r"""^(?:
        sign\ up\b | subscribe\b | click\ here | read\ more$ | related: | advertisement$ |
        watch:\ | follow\ (?:us|him|her)\b | copyright\b | ©| all\ rights\ reserved |
        just\ watched | replay$ | more\ videos | must\ watch | video\ ad\ feedback |
        get\ (?:cnn|our|the)\b.*\bnewsletter | this\ story\ (?:has\ been|was)\ updated |
        contributing:| \(?you\ can\ get\ .* delivered | download\ the\b.*\bapp |
        share\ (?:this|on)\b | close\ dialog | image\ (?:credit|caption): | (?:ap\ )?photo: |
        _{3,}$ | [-–—*•]{3,}$ | cnn\ —$ | \(cnn\)$
    )""",
    re.IGNORECASE | re.VERBOSE,
)
_NEWSLETTER = re.compile(r"\b(?:newsletter|inbox|sign up here|subscribe)\b", re.IGNORECASE)
_WORD = re.compile(r"\w+", re.UNICODE)


def normalize(text: str) -> str:
    """Normalise for matching: NFKC, straight quotes, lower case, single spaces."""
    text = unicodedata.normalize("NFKC", text)
    text = text.translate(_QUOTES)
    return " ".join(text.lower().split())


_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "‚": "'", "—": "-"})


def clean_question(text: str) -> str:
    """A question with control and invisible (format) characters removed and spaces collapsed.

    Raises:
        QuestionError: the text holds lone UTF-16 surrogates (it is not valid Unicode).
    """
    from assistant.errors import QuestionError

    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in text or ""):
        raise QuestionError(
            "the question is not valid text (it holds a lone UTF-16 surrogate such as \\ud800); "
            "send it as UTF-8"
        )
    kept = []
    for ch in text or "":
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Zl", "Zp"):
            kept.append(" ")
        elif cat not in ("Cf", "Co", "Cn"):  # zero-width, bidi marks, private use, unassigned
            kept.append(ch)
    return " ".join("".join(kept).split())


def words(text: str) -> list[str]:
    """Lower-cased word tokens."""
    return _WORD.findall(text.lower())


def count_words(text: str) -> int:
    """Number of word tokens."""
    return len(_WORD.findall(text))


def _is_boundary(line: str, end: int) -> bool:
    """Whether the punctuation run ending at ``end`` closes a sentence."""
    nxt = _NEXT_START.match(line, end)
    if not nxt:
        return False
    opener, first = nxt.group(1), nxt.group(2)
    if not (first.isupper() or first.isdigit() or opener):
        return False
    head = line[:end].rstrip("\"'”’)]")
    if not head.endswith("."):
        return True  # ! ? … are boundaries when the next sentence starts properly
    m = _WORD_BEFORE.search(head[:-1])
    if not m:
        return True
    word = m.group(1).lstrip("\"'“‘([")
    if word.lower().rstrip(".") in _ABBREV:
        return False
    if len(word) == 1 and word.isalpha() and word.isupper():
        return False  # an initial: "John F. Kennedy"
    if _DOTTED.match(word + "."):
        nxt_word = re.match(r"\S+", line[nxt.start(2) :])
        return bool(nxt_word and nxt_word.group(0).strip(",;:") in _STARTERS)
    return True


def split_sentences(text: str) -> list[Span]:
    """Sentence spans of ``text``; a line break always ends a sentence."""
    spans: list[Span] = []
    pos = 0
    for line in text.split("\n"):
        line_start = pos
        pos += len(line) + 1
        if not line.strip():
            continue
        begin = 0
        for m in _BOUNDARY.finditer(line):
            if _is_boundary(line, m.end()):
                _add(spans, line, line_start, begin, m.end())
                begin = m.end()
        _add(spans, line, line_start, begin, len(line))
    return spans


def _add(spans: list[Span], line: str, offset: int, begin: int, end: int) -> None:
    piece = line[begin:end]
    stripped = piece.strip()
    if not stripped:
        return
    lead = len(piece) - len(piece.lstrip())
    start = offset + begin + lead
    spans.append(Span(start, start + len(stripped)))


def is_boilerplate(sentence: str) -> bool:
    """Scraped-page furniture: sign-up prompts, video players, share bars, separators."""
    s = sentence.strip()
    if _BOILERPLATE.match(s):
        return True
    if "click here" in s.lower() and count_words(s) <= 12:  # "For the latest news, click here."
        return True
    return bool(_NEWSLETTER.search(s) and count_words(s) < 40 and "sign up" in s.lower())


def is_heading(sentence: str) -> bool:
    """A short line with no closing punctuation (a heading, dateline or label)."""
    s = sentence.strip()
    return count_words(s) <= 4 and not s.endswith((".", "!", "?", '"', "”"))


def chunk_article(
    article_id: str,
    text: str,
    chunk_words: int = 120,
    overlap: int = 1,
    spans: Iterable[Span] | None = None,
) -> list[Chunk]:
    """Group whole sentences into chunks of about ``chunk_words`` words.

    Boilerplate sentences are left out and break a chunk, so every chunk is one contiguous
    span of the article: ``text[chunk.start:chunk.end] == chunk.text``.
    """
    sentences = list(spans) if spans is not None else split_sentences(text)
    chunks: list[Chunk] = []
    for run in _clean_runs(text, sentences):
        for group in _groups(text, run, chunk_words, overlap):
            start, end = group[0].start, group[-1].end
            chunks.append(
                Chunk(
                    id=f"{article_id}:{len(chunks)}",
                    article_id=article_id,
                    index=len(chunks),
                    start=start,
                    end=end,
                    text=text[start:end],
                    sentences=tuple(group),
                )
            )
    return chunks


def _clean_runs(text: str, sentences: list[Span]) -> Iterator[list[Span]]:
    run: list[Span] = []
    for s in sentences:
        if is_boilerplate(text[s.start : s.end]):
            if run:
                yield run
            run = []
        else:
            run.append(s)
    if run:
        yield run


def _groups(text: str, run: list[Span], size: int, overlap: int) -> Iterator[list[Span]]:
    counts = [count_words(text[s.start : s.end]) for s in run]
    i = 0
    n = len(run)
    while i < n:
        j, total = i, 0
        while j < n and (total < size or j == i):
            total += counts[j]
            j += 1
        # fold a short tail into this chunk rather than leaving a scrap
        if j < n and sum(counts[j:]) < size // 4:
            j = n
        yield run[i:j]
        if j >= n:
            break
        i = max(j - overlap, i + 1)


def text_hash(text: str) -> str:
    """The short hash that ties derived data (a kept vector, a kept analysis) to the exact
    text it was computed from."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()
