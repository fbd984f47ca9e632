"""Answers as Markdown: block quotes with speaker and numbered citations, then the sources."""

from __future__ import annotations

from assistant.types import ArticleRef, Passage, Quote

ABSTAIN = "The sources don't answer this."


def cite(ref: ArticleRef) -> str:
    """'Title — Outlet, 2022-06-16'."""
    parts = [ref.title or ref.article_id]
    tail = ", ".join(
        x for x in (ref.source, ref.published.isoformat() if ref.published else "") if x
    )
    return f"{parts[0]} — {tail}" if tail else parts[0]


def _md_escape(text: str) -> str:
    return text.replace("\n", " ").replace("<", "&lt;").replace(">", "&gt;")


def quotes_markdown(quotes: list[Quote] | tuple[Quote, ...]) -> str:
    """Each quote as a block quote, the speaker and citation number underneath."""
    blocks = []
    for q in quotes:
        who = f"{q.speaker}, " if q.speaker else ""
        blocks.append(
            f"> “{_md_escape(q.text)}”\n>\n> — {who}*{_md_escape(q.ref.source or q.ref.title)}*"
            f" [{q.citation}]"
        )
    return "\n\n".join(blocks)


def sources_markdown(quotes: list[Quote] | tuple[Quote, ...]) -> str:
    """The numbered source list with offsets and syndicated copies."""
    lines = []
    for q in quotes:
        link = f" <{q.ref.url}>" if q.ref.url else ""
        extra = f" (also in {len(q.also_in)} other outlet(s))" if q.also_in else ""
        lines.append(
            f"- [{q.citation}] {_md_escape(cite(q.ref))}{link}, characters {q.start}–{q.end}{extra}"
        )
    return "\n".join(lines)


def answer_markdown(
    quotes: list[Quote] | tuple[Quote, ...],
    abstained: bool,
    passages: list[Passage] | tuple[Passage, ...] = (),
) -> str:
    """The whole answer as Markdown."""
    if abstained:
        lines = [f"**{ABSTAIN}**"]
        if passages:
            lines.append("\nClosest passages:")
            for _i, p in enumerate(passages[:3], 1):
                snippet = _md_escape(p.chunk.text[:200])
                lines.append(f"- {snippet}… ({_md_escape(cite(p.ref))})")
        return "\n".join(lines)
    return quotes_markdown(quotes) + "\n\n**Sources**\n\n" + sources_markdown(quotes)
