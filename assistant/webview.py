"""HTML for the web chat's panels, pure: articles with highlights, passages, session state.

Answers and quotes are rendered by :mod:`assistant.render.html`; every string that comes from
an article, a question or an error is escaped there with one ``escape``. The page layout and
styles are the templates and CSS in ``ui/``. No gradio import (see :mod:`assistant.web`), so
all of this is testable without a browser.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from assistant.errors import QuestionError
from assistant.ingest import IngestReport
from assistant.render.html import (
    PENDING_HTML,
    answer_html,
    error_html,
    question_html,
    snippet,
    streaming_html,
    template,
    ui_file,
)
from assistant.render.html import escape as esc
from assistant.render.markdown import answer_markdown
from assistant.render.text import answer_text
from assistant.service import Assistant
from assistant.types import Answer, Article, Briefing, Passage, Quote, Turn

__all__ = [
    "PENDING_HTML",
    "answer_html",
    "answer_text",
    "error_html",
    "question_html",
    "streaming_html",
    "ui_file",
]
EXAMPLES = (
    "What does Russia require before talks?",
    "What did John Kirby say about negotiations?",
    "What did Andrey Klimov say about the American stance?",
)
MODES = {"Quotes only": "extractive", "LLM": "llm"}
HISTORY_TURNS = 6


def _date(d: date | None) -> str:
    return d.isoformat() if d else "undated"


def _link(url: str) -> str:
    if not re.match(r"^https?://", url or ""):
        return ""
    return f'<a href="{esc(url)}" target="_blank" rel="noopener noreferrer">original article</a>'


_INNER = frozenset({"speaker", "cue"})  # marks drawn inside the quote's own mark


def highlight(text: str, spans: Sequence[tuple[int, int, str]]) -> tuple[str, int]:
    """Article text as escaped ``<p>`` paragraphs with ``<mark class=...>`` over ``spans``.

    ``spans`` are ``(start, end, css_class)`` character ranges of ``text``; the first is the
    focus: its paragraph(s) get ``class="focus"``. Spans of the classes "speaker" and "cue"
    (who said it) are drawn inside the others' marks, so a quote stays one mark per
    paragraph. Returns the HTML and the number of marks.
    """
    clipped = [(max(0, s), min(len(text), e), c) for s, e, c in spans if e > s]
    outer = sorted(x for x in clipped if x[2] not in _INNER)
    inner = sorted(x for x in clipped if x[2] in _INNER)
    focus = spans[0] if spans else None
    out, marks, pos = [], 0, 0

    def piece(a: int, b: int) -> str:
        nonlocal marks
        parts, cursor = [], a
        for s, e, cls in inner:
            s, e = max(s, cursor), min(e, b)
            if e <= s:
                continue
            parts += [esc(text[cursor:s]), f'<mark class="{cls}">', esc(text[s:e]), "</mark>"]
            marks += 1
            cursor = e
        parts.append(esc(text[cursor:b]))
        return "".join(parts)

    for para in text.split("\n"):
        start, end = pos, pos + len(para)
        pos = end + 1
        if not para.strip():
            continue
        pieces, cursor = [], start
        for s, e, cls in outer:
            s, e = max(s, cursor), min(e, end)
            if e <= s:
                continue
            pieces += [piece(cursor, s), f'<mark class="{cls}">', piece(s, e), "</mark>"]
            marks += 1
            cursor = e
        pieces.append(piece(cursor, end))
        is_focus = focus is not None and focus[0] < end and focus[1] > start
        attr = ' class="focus"' if is_focus else ""
        out.append(f'<p data-start="{start}"{attr}>{"".join(pieces)}</p>')
    return "".join(out), marks


def passages_html(answer: Answer, turn: int) -> str:
    """The list of all passages an answer drew on, each linking to its place in the article."""
    items = "".join(
        template(
            "passage.html",
            ref=f"{turn}-p-{i}",
            title=esc(p.ref.title or p.ref.article_id),
            meta=esc(
                f"{p.ref.source or 'unknown outlet'} · {_date(p.ref.published)} · "
                f"characters {p.chunk.start}–{p.chunk.end}"
            ),
            snippet=esc(snippet(p.chunk.text)),
        )
        for i, p in enumerate(answer.passages)
    )
    heading = (
        "Closest passages (none answers the question)"
        if answer.abstained
        else "Passages found for this question"
    )
    return template("passages.html", items=items, heading=heading) if items else ""


def article_html(
    article: Article, spans: Sequence[tuple[int, int, str]], kicker: str, passages: str = ""
) -> str:
    """The sources panel: one article with highlighted spans, then the passages used."""
    body, _ = highlight(article.text, spans)
    meta = " · ".join(
        x
        for x in (
            esc(article.source or "unknown outlet"),
            esc(_date(article.published)),
            _link(article.url),
        )
        if x
    )
    return template(
        "article.html",
        id=esc(article.id),
        kicker=esc(kicker),
        title=esc(article.title or article.id),
        meta=meta,
        body=body,
        passages=passages,
    )


def empty_panel_html(briefing: bool = False) -> str:
    """The sources panel before any answer (or, in the Briefing tab, any click)."""
    lead = (
        "Every line of a briefing is a quote from an article."
        if briefing
        else "Ask a question: the passages the answer draws on are listed here."
    )
    return template("empty_panel.html", lead=lead)


# --------------------------------------------------------------------------- session state
@dataclass(frozen=True)
class Exchange:
    """One question in a browser session, with its answer or the error it met."""

    question: str
    answer: Answer | None = None
    error: str = ""


def chat_messages(exchanges: Sequence[Exchange]) -> list[dict[str, str]]:
    """The Chatbot's value, derived from the session's exchanges."""
    msgs: list[dict[str, str]] = []
    for i, ex in enumerate(exchanges):
        msgs.append({"role": "user", "content": question_html(ex.question)})
        body = answer_html(ex.answer, i) if ex.answer else error_html(ex.error)
        msgs.append({"role": "assistant", "content": body})
    return msgs


def history(exchanges: Sequence[Exchange]) -> list[Turn]:
    """Earlier answered turns, for follow-up questions."""
    turns = [Turn(e.question, answer_markdown(e.answer)) for e in exchanges if e.answer]
    return turns[-HISTORY_TURNS:]


def parse_day(value: Any, name: str) -> date | None:
    """A date from the page's date pickers ('YYYY-MM-DD' or with a time), or None."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise QuestionError(f"{name}: {text!r} is not a date; use YYYY-MM-DD") from None


def resolve_ref(assistant: Assistant, exchanges: Sequence[Exchange], ref: str) -> str:
    """The sources panel for a citation ref: ``T-q-j`` (quote j of turn T) or ``T-p-i``."""
    m = re.fullmatch(r"(\d+)-(?:q-(\d+)|p-(\d+))", ref or "")
    ex = exchanges[int(m.group(1))] if m and int(m.group(1)) < len(exchanges) else None
    if m is None or ex is None or ex.answer is None:
        return error_html("That citation belongs to an earlier chat; ask again to see it.")
    answer, turn = ex.answer, int(m.group(1))
    plist = passages_html(answer, turn)
    if m.group(2):
        j = int(m.group(2))
        if j >= len(answer.quotes):
            return error_html("No such quote in that answer.")
        return quote_view(assistant, answer.quotes[j], answer.quotes, plist)
    i = int(m.group(3))
    if i >= len(answer.passages):
        return error_html("No such passage in that answer.")
    p: Passage = answer.passages[i]
    article = assistant.article(p.ref.article_id)
    if article is None:
        return error_html("That article is no longer in the library.")
    kicker = f"passage {i + 1} of {len(answer.passages)}"
    return article_html(article, [(p.chunk.start, p.chunk.end, "passage")], kicker, plist)


def quote_view(
    assistant: Assistant, quote: Quote, others: Sequence[Quote], passages: str = ""
) -> str:
    """The sources panel for one quote: its article with the quote highlighted, the other
    quotes shown from the same article marked lighter, and who said it (the speaker's mention
    and the reporting verb) marked next to what was said."""
    aid = quote.ref.article_id
    spans = [(quote.start, quote.end, "cited")]
    spans += [
        (q.start, q.end, "also") for q in others if q is not quote and q.ref.article_id == aid
    ]
    ev = quote.speaker_evidence
    if ev is not None:
        spans += [(x.start, x.end, "speaker") for x in (ev.mention, ev.antecedent) if x]
        spans += [(ev.cue.start, ev.cue.end, "cue")] if ev.cue else []
    who = f" · {quote.speaker}" if quote.speaker else ""
    article = assistant.article(aid)
    if article is None:
        return error_html("That article is no longer in the library.")
    return article_html(article, spans, f"[{quote.citation}]{who}", passages)


def resolve_brief_ref(assistant: Assistant, briefing: Briefing | None, ref: str) -> str:
    """The Briefing tab's panel for its citation ``n``: the quote in its article."""
    if briefing is None:
        return error_html("That citation belongs to an earlier briefing; make it again to see it.")
    quotes = briefing.quotes()
    quote = next((q for q in quotes if str(q.citation) == (ref or "").strip()), None)
    if quote is None:
        return error_html("No such citation in this briefing.")
    return quote_view(assistant, quote, quotes)


def library_stats(assistant: Assistant) -> tuple[str, list[str]]:
    """The header's library line and the outlets for the filter."""
    arts = assistant.sources()
    outlets = sorted({a.ref.source for a in arts if a.ref.source}, key=str.lower)
    return f"{_count(len(arts), 'article')} · {_count(len(outlets), 'outlet')}", outlets


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def report_html(
    report: IngestReport, running: bool = False, clean: Callable[[str], str] = str
) -> str:
    """The upload status line (and the reasons for any failures, passed through ``clean``)."""
    done = report.added + report.updated + report.skipped + report.failed
    of = f" of {report.total}" if report.total else ""
    if running:
        return (
            f'<p class="ok running">Adding articles… {done}{of} read, '
            f"{_count(report.chunks, 'passage')} indexed.</p>"
        )
    fails = "".join(f"<li>{esc(clean(f.reason))}</li>" for f in report.failures[:20])
    cls = "fail" if report.failed and not (report.added or report.updated) else "ok"
    searchable = " They are searchable now." if report.added or report.updated else ""
    return (
        f'<p class="{cls} done">Added {report.added}, updated {report.updated}, unchanged '
        f"{report.skipped}, failed {report.failed} ({_count(report.chunks, 'passage')}, "
        f"{report.seconds:.1f} s).{searchable}</p>" + (f"<ul>{fails}</ul>" if fails else "")
    )
