"""The one citation formatter: how a source is named, and which sources an answer lists."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from assistant.types import Answer, ArticleRef, Briefing, Quote

UNKNOWN_OUTLET = "unknown outlet"
UNDATED = "undated"
_CITE = re.compile(r"\[(\d+)\]")


def cite(ref: ArticleRef, placeholders: bool = False) -> str:
    """'Title — Outlet, 2022-06-16' (unescaped).

    Without ``placeholders`` a missing outlet or date is left out; with them they read
    'unknown outlet' and 'undated', so every row of a list has the same shape.
    """
    title = ref.title or ref.article_id
    outlet = ref.source or (UNKNOWN_OUTLET if placeholders else "")
    day = ref.published.isoformat() if ref.published else (UNDATED if placeholders else "")
    tail = ", ".join(x for x in (outlet, day) if x)
    return f"{title} — {tail}" if tail else title


_OPENS = tuple("“\"‘'«„")


def quoted(text: str) -> str:
    """A quote's text in quotation marks, without doubling the article's own: a span that
    opens with a quotation mark (“"I requested ...," she said.”) is shown as the article
    wrote it, its own marks saying what is speech; any other span gets “ and ”."""
    body = text.strip()
    return body if body.startswith(_OPENS) else f"“{body}”"


def characters(start: int, end: int) -> str:
    """Where in the article: 'characters 120–245'."""
    return f"characters {start}–{end}"


@dataclass(frozen=True)
class SourceEntry:
    """One numbered source an answer cites, with the span it cites and its page anchor."""

    number: int
    ref: ArticleRef
    start: int
    end: int
    anchor: str  # "q-<quote index>" or "p-<passage index>": what the web chat links to
    also_in: int = 0  # syndicated copies in other outlets


def cited_numbers(answer: Answer) -> list[int]:
    """The source numbers an LLM answer's prose and quotes cite, ascending, all valid."""
    found = {int(n) for n in _CITE.findall(answer.text)} | {q.citation for q in answer.quotes}
    return sorted(n for n in found if 1 <= n <= len(answer.passages))


def is_llm(answer: Answer) -> bool:
    """Whether the answer is the LLM's verified prose (numbers name passages, not quotes)."""
    return answer.mode == "llm" and bool(answer.text) and not answer.fallback


def answer_sources(answer: Answer) -> list[SourceEntry]:
    """The numbered sources an answer lists under its quotes.

    An LLM answer's ``[n]`` names the n-th passage given to the model; an extractive
    answer's names its n-th quote.
    """
    if is_llm(answer):
        out = []
        for n in cited_numbers(answer):
            p = answer.passages[n - 1]
            out.append(SourceEntry(n, p.ref, p.chunk.start, p.chunk.end, f"p-{n - 1}"))
        return out
    return [
        SourceEntry(q.citation, q.ref, q.start, q.end, f"q-{j}", len(q.also_in))
        for j, q in enumerate(answer.quotes)
    ]


def timeline_lines(
    b: Briefing, item: Callable[[Quote], str], escape: Callable[[str], str]
) -> list[str]:
    """A briefing's timeline as list lines ('- 2022-06-16: ...'), in the renderer's own item
    and escape: a quote already listed above is pointed back to, never repeated."""
    above = b.listed_above()
    lines = []
    for q in b.timeline:
        day = q.ref.published.isoformat() if q.ref.published else UNDATED
        if q.citation in above:
            lines.append(f"- {day}: {escape(q.speaker or q.ref.source)}, see [{q.citation}]")
        else:
            lines.append(f"- {day}: {item(q)[2:]}")
    return lines
