"""Answers and briefings as plain text (the copy button, terminals without Markdown)."""

from __future__ import annotations

from assistant.render.cite import answer_sources, cite, is_llm, quoted, timeline_lines
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
        lines += [escape(quoted(q.text)), f"— {who}{escape(q.ref.source)} [{q.citation}]", ""]
    lines.append("Sources")
    for s in answer_sources(answer):
        url = f" {s.ref.url}" if s.ref.url else ""
        lines.append(f"[{s.number}] {escape(cite(s.ref, placeholders=True))}{url}")
    return "\n".join(lines)


def briefing_text(b: Briefing) -> str:
    """The briefing as plain text."""
    head = [f"Briefing: {escape(b.topic)}"] + (
        [f"What's new {escape(b.delta)}."] if b.delta else []
    )
    if not b.key_points:
        return (
            "\n".join(head)
            + "\n\n"
            + ("Nothing new on this topic." if b.delta else "The sources don't cover this topic.")
        )
    lines = [*head, "", "Bottom line"] + [_item(q) for q in b.key_points]
    for p in b.positions:
        lines += ["", escape(p.party)] + [_item(q) for q in p.quotes]
    if b.details:
        lines += ["", "More detail"] + [_item(q) for q in b.details]
    if b.disagreements:
        actor = {q.citation: p.party for p in b.positions for q in p.quotes}
        lines += ["", "Where they disagree"]
        lines += [
            f"- {escape(actor.get(x.citation, ''))} [{x.citation}] and "
            f"{escape(actor.get(y.citation, ''))} [{y.citation}] on the same point"
            for x, y in b.disagreements
        ]
    if b.timeline:
        lines += ["", "Timeline", *timeline_lines(b, _item, escape)]
    lines += ["", "Sources"]
    for q in b.quotes():
        url = f" {q.ref.url}" if q.ref.url else ""
        lines.append(f"[{q.citation}] {escape(cite(q.ref, placeholders=True))}{url}")
    return "\n".join(lines)


def _item(q: Quote) -> str:
    who = (
        escape(q.speaker)
        if q.speaker
        else f"{escape(q.ref.source or 'the article')} (the article's words)"
    )
    return f"- {escape(quoted(q.text))} — {who} [{q.citation}]"
