"""Answers and briefings as Markdown (the CLI, the API's ``answer`` field, chat history)."""

from __future__ import annotations

from typing import Any

from assistant.render.cite import answer_sources, characters, cite, is_llm
from assistant.types import Answer, Briefing, Quote

ABSTAIN = "The sources don't answer this."


def escape(text: str, flat: bool = True) -> str:
    """Text safe inside Markdown: no raw HTML; ``flat`` also folds it onto one line."""
    if flat:
        text = " ".join(text.split())
    return text.replace("<", "&lt;").replace(">", "&gt;")


def quotes_markdown(quotes: list[Quote] | tuple[Quote, ...]) -> str:
    """Each quote as a block quote, the speaker and citation number underneath."""
    blocks = []
    for q in quotes:
        who = f"{escape(q.speaker)}, " if q.speaker else ""
        blocks.append(
            f"> “{escape(q.text)}”\n>\n> — {who}*{escape(q.ref.source or q.ref.title)}*"
            f" [{q.citation}]"
        )
    return "\n\n".join(blocks)


def sources_markdown(answer: Answer) -> str:
    """The numbered source list with offsets, links and syndicated copies."""
    lines = []
    for s in answer_sources(answer):
        link = f" <{s.ref.url}>" if s.ref.url else ""
        extra = f" (also in {s.also_in} other outlet(s))" if s.also_in else ""
        lines.append(
            f"- [{s.number}] {escape(cite(s.ref))}{link}, {characters(s.start, s.end)}{extra}"
        )
    return "\n".join(lines)


def answer_markdown(answer: Answer) -> str:
    """The whole answer as Markdown: the LLM's prose (if any), quotes, then sources."""
    if is_llm(answer):
        body = _llm_markdown(answer)
    elif answer.abstained:
        lines = [f"**{escape(abstain_line(answer))}**"]
        if answer.passages:
            lines.append("\nClosest passages:")
            for p in answer.passages[:3]:
                lines.append(f"- {escape(p.chunk.text[:200])}… ({escape(cite(p.ref))})")
        body = "\n".join(lines)
    else:
        body = quotes_markdown(answer.quotes) + "\n\n**Sources**\n\n" + sources_markdown(answer)
    if answer.fallback and answer.notice:
        return f"_{escape(answer.notice)}_\n\n{body}"
    return body


def abstain_line(answer: Answer) -> str:
    """Why there is no answer: the answerer's reason ("No articles match the filters: ...",
    "The sources don't quote Ann Lee.") when it gave one, else that the sources don't answer."""
    return answer.notice if answer.notice and not answer.fallback else ABSTAIN


def _llm_markdown(answer: Answer) -> str:
    parts = [escape(answer.text, flat=False)]
    if answer.quotes:
        parts.append(quotes_markdown(answer.quotes))
    if answer.unverified:
        n = len(answer.unverified)
        parts.append(
            f"_{n} quotation{'s' if n > 1 else ''} could not be found verbatim in the sources "
            f"and {'were' if n > 1 else 'was'} removed._"
        )
    parts.append("**Sources**\n\n" + sources_markdown(answer))
    return "\n\n".join(parts)


def briefing_markdown(b: Briefing) -> str:
    """The briefing as Markdown: key points, positions by party, then the sources."""
    if not b.key_points:
        return f"## Briefing: {escape(b.topic)}\n\nThe sources don't cover this topic."
    lines = [f"## Briefing: {escape(b.topic)}", "", "### Key points", ""]
    for q in b.key_points:
        who = f" — {escape(q.speaker)}" if q.speaker else ""
        lines.append(f"- “{escape(q.text)}”{who} [{q.citation}]")
    if b.positions:
        lines += ["", "### Positions", ""]
        for p in b.positions:
            lines.append(f"**{escape(p.party)}**")
            lines.append("")
            for q in p.quotes:
                lines.append(f"- “{escape(q.text)}” — {escape(q.speaker or '')} [{q.citation}]")
            lines.append("")
    seen: dict[int, Quote] = {}
    for q in [*b.key_points, *(q for p in b.positions for q in p.quotes)]:
        seen.setdefault(q.citation, q)
    lines += ["", "### Sources", ""]
    for n in sorted(seen):
        q = seen[n]
        lines.append(f"- [{n}] {escape(cite(q.ref))}, {characters(q.start, q.end)}")
    return "\n".join(lines)


def answer_json(answer: Answer) -> dict[str, Any]:
    """The answer's data with its Markdown rendering as ``answer`` (``ask --json``, the API)."""
    data = answer.to_json()
    keys = list(data)
    at = keys.index("fallback") + 1
    out = {k: data[k] for k in keys[:at]}
    out["answer"] = answer_markdown(answer)
    out.update({k: data[k] for k in keys[at:]})
    return out


def briefing_json(b: Briefing) -> dict[str, Any]:
    """The briefing's data with its Markdown rendering as ``markdown``."""
    return {**b.to_json(), "markdown": briefing_markdown(b)}
