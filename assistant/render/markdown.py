"""Answers and briefings as Markdown (the CLI, the API's ``answer`` field, chat history)."""

from __future__ import annotations

import re
from typing import Any

from assistant.render.cite import answer_sources, characters, cite, is_llm, quoted, timeline_lines
from assistant.types import Answer, Briefing, Quote

ABSTAIN = "The sources don't answer this."


# a '[' that could open a link, image or link definition: all but citations like [2], [S2]
# (no definition can exist, so [2][3] is never a reference link)
_BRACKET = re.compile(r"\[(?!S?\d+\](?![(:]))")
_SCHEME = re.compile(r"(?<=[a-z0-9+.-])://|(?<=\bwww)\.", re.I)


def escape(text: str, flat: bool = True) -> str:
    """Text safe inside Markdown: no raw HTML, no links or images (brackets escaped, URLs not
    auto-linked); ``flat`` also folds it onto one line. Rendered, it reads as the text."""
    if flat:
        text = " ".join(text.split())
    text = text.replace("<", "&lt;").replace(">", "&gt;")
    text = _BRACKET.sub(lambda m: "\\" + m.group(0), text)
    return _SCHEME.sub(lambda m: "&#58;//" if m.group(0) == "://" else "&#46;", text)


def quotes_markdown(quotes: list[Quote] | tuple[Quote, ...]) -> str:
    """Each quote as a block quote, the speaker and citation number underneath."""
    blocks = []
    for q in quotes:
        who = f"{escape(q.speaker)}, " if q.speaker else ""
        blocks.append(
            f"> {escape(quoted(q.text))}\n>\n> — {who}*{escape(q.ref.source or q.ref.title)}*"
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
    """The briefing as Markdown: bottom line, positions by actor, where they disagree,
    timeline, then the sources. The reporter's own words are marked as the article's."""
    head = [f"## Briefing: {escape(b.topic)}"]
    if b.delta:
        head += ["", f"_What's new {escape(b.delta)}._"]
    if not b.key_points:
        return "\n".join(head) + "\n\n" + (NOTHING_NEW if b.delta else NOT_COVERED)
    if b.notice:
        head += ["", f"_{escape(b.notice)}._"]
    if b.summary:
        head += ["", "### Summary (written by the LLM; every quote checked against its source)", ""]
        head.append(escape(re.sub(r"\[(\d+)\]", r"[S\1]", b.summary), flat=False))
        head.append("")
        for n, src in b.summary_sources:
            where = characters(src.chunk.start, src.chunk.end)
            head.append(f"- [S{n}] {escape(cite(src.ref))}, {where}")
    lines = [*head, "", "### Bottom line", ""]
    lines += [_item(q) for q in b.key_points]
    if b.positions:
        lines += ["", "### Positions"]
        for p in b.positions:
            lines += ["", f"**{escape(p.party)}**", ""]
            lines += [_item(q) for q in p.quotes]
    if b.details:
        lines += ["", "### More detail", ""]
        lines += [_item(q) for q in b.details]
    if b.disagreements:
        lines += ["", "### Where they disagree", ""]
        actor = {q.citation: p.party for p in b.positions for q in p.quotes}
        for x, y in b.disagreements:
            lines.append(
                f"- **{escape(actor.get(x.citation, ''))}** [{x.citation}] and "
                f"**{escape(actor.get(y.citation, ''))}** [{y.citation}] on the same point"
            )
    if b.timeline:
        lines += ["", "### Timeline", "", *timeline_lines(b, _item, escape)]
    lines += ["", "### Sources", ""]
    for q in b.quotes():
        link = f" <{q.ref.url}>" if q.ref.url else ""
        extra = f" (also reported in {len(q.also_in)} other article(s))" if q.also_in else ""
        lines.append(
            f"- [{q.citation}] {escape(cite(q.ref))}{link}, {characters(q.start, q.end)}{extra}"
        )
    return "\n".join(lines)


NOT_COVERED = "The sources don't cover this topic."
NOTHING_NEW = "Nothing new on this topic."


def _item(q: Quote) -> str:
    """One briefing line: the quote, then who says it or that it is the article's narration."""
    who = escape(q.speaker) if q.speaker else f"*{escape(narrator(q))}*"
    return f"- {escape(quoted(q.text))} — {who} [{q.citation}]"


def narrator(q: Quote) -> str:
    """How the reporter's own narration is marked: 'DEA News (the article's words)'."""
    return f"{q.ref.source or q.ref.title or 'the article'} (the article's words)"


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
