"""Answers and briefings as plain text (the copy button, terminals without Markdown)."""

from __future__ import annotations

from assistant.render.cite import answer_sources, cite, is_llm
from assistant.types import Answer, Briefing, Quote

ABSTAIN = "The sources don't answer this."


def escape(text: str) -> str:
    """Text on one line with no control characters (plain text has no markup to escape)."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())


def answer_text(answer: Answer) -> str:
    """The answer as plain text: the LLM's prose (if any), the quotes, then the sources."""
    if answer.abstained and not is_llm(answer):
        return escape(answer.notice) if answer.notice and not answer.fallback else ABSTAIN
    lines = [answer.text.strip(), ""] if is_llm(answer) else []
    for q in answer.quotes:
        who = f"{escape(q.speaker)}, " if q.speaker else ""
        lines += [f"“{escape(q.text)}”", f"— {who}{escape(q.ref.source)} [{q.citation}]", ""]
    lines.append("Sources")
    for s in answer_sources(answer):
        url = f" {s.ref.url}" if s.ref.url else ""
        lines.append(f"[{s.number}] {escape(cite(s.ref, placeholders=True))}{url}")
    return "\n".join(lines)


def briefing_text(b: Briefing) -> str:
    """The briefing as plain text."""
    if not b.key_points:
        return f"Briefing: {escape(b.topic)}\n\nThe sources don't cover this topic."
    lines = [f"Briefing: {escape(b.topic)}", "", "Key points"]
    for q in b.key_points:
        who = f" — {escape(q.speaker)}" if q.speaker else ""
        lines.append(f"- “{escape(q.text)}”{who} [{q.citation}]")
    for p in b.positions:
        lines += ["", escape(p.party)]
        lines += [f"- “{escape(q.text)}” [{q.citation}]" for q in p.quotes]
    seen: dict[int, Quote] = {}
    for q in [*b.key_points, *(q for p in b.positions for q in p.quotes)]:
        seen.setdefault(q.citation, q)
    lines += ["", "Sources"]
    lines += [f"[{n}] {escape(cite(seen[n].ref, placeholders=True))}" for n in sorted(seen)]
    return "\n".join(lines)
