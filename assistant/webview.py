"""HTML for the web chat, pure: answers, quotes, articles with highlights, passages.

Every string that comes from an article, a question or an error is escaped here; the page
layout and styles are the templates and CSS in ``ui/``. No gradio import (see
:mod:`assistant.web`), so all of this is testable without a browser.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from string import Template
from typing import Any

from assistant.errors import ConfigError, QuestionError
from assistant.ingest import IngestReport
from assistant.service import Assistant
from assistant.types import Answer, Article, ArticleRef, Passage, Quote, Turn

UI_DIR = Path(__file__).resolve().parent.parent / "ui"
EXAMPLES = (
    "What does Russia require before talks?",
    "What did John Kirby say about negotiations?",
    "What did Andrey Klimov say about the American stance?",
)
MODES = {"Quotes only": "extractive", "LLM": "llm"}
HISTORY_TURNS = 6
_CITE = re.compile(r"\[(\d+)\]")


# --------------------------------------------------------------------------- templates
@cache
def _one_line(name: str) -> Template:
    raw = ui_file(name)
    return Template(" ".join(line.strip() for line in raw.splitlines() if line.strip()))


@cache
def ui_file(name: str) -> str:
    """A file of ``ui/`` as text."""
    path = UI_DIR / name
    if not path.is_file():
        raise ConfigError(f"{path} is missing: the web chat needs the ui/ folder of the project")
    return path.read_text(encoding="utf-8")


def template(name: str, **values: object) -> str:
    """Fill ``ui/<name>`` (``$placeholders``; values must already be escaped) on one line."""
    return _one_line(name).substitute({k: str(v) for k, v in values.items()})


def esc(text: object) -> str:
    """HTML-escape anything shown on the page (quotes too: safe in attributes)."""
    return html.escape(str(text), quote=True)


def _date(d: date | None) -> str:
    return d.isoformat() if d else "undated"


def _link(url: str) -> str:
    if not re.match(r"^https?://", url or ""):
        return ""
    return f'<a href="{esc(url)}" target="_blank" rel="noopener noreferrer">original article</a>'


# --------------------------------------------------------------------------- rendering
def question_html(question: str) -> str:
    """The user's message, escaped."""
    return f'<div class="question">{esc(question)}</div>'


def quote_html(q: Quote, ref: str) -> str:
    """One quote as a block quote with speaker, outlet and its citation link to ``ref``."""
    return template(
        "quote.html",
        text=esc(" ".join(q.text.split())),
        speaker=f"{esc(q.speaker)}, " if q.speaker else "",
        outlet=esc(q.ref.source or q.ref.title),
        date=f' <span class="quote-date">{esc(q.ref.published)}</span>' if q.ref.published else "",
        ref=ref,
        n=q.citation,
    )


def answer_html(answer: Answer, turn: int) -> str:
    """An answer as shown in the chat (a single HTML block, everything escaped)."""
    if answer.abstained:
        items = "".join(
            f'<li><a class="cite passage" href="#cite-{turn}-p-{i}">{esc(p.ref.title)}</a>: '
            f"{esc(_snippet(p.chunk.text, 160))}</li>"
            for i, p in enumerate(answer.passages[:3])
        )
        closest = f'<p class="label">Closest passages</p><ol>{items}</ol>' if items else ""
        return (
            '<div class="answer abstained"><p><strong>The sources don’t answer this.</strong>'
            f"</p>{closest}</div>"
        )
    parts = ['<div class="answer">']
    llm = answer.mode == "llm" and bool(answer.text)
    if llm:
        parts.append(f'<div class="llm-text">{prose_html(answer.text, turn, answer)}</div>')
    parts += [quote_html(q, f"{turn}-q-{j}") for j, q in enumerate(answer.quotes)]
    rows = []
    if llm:  # [n] names the n-th passage given to the model
        cited = sorted(
            {int(n) for n in _CITE.findall(answer.text)} | {q.citation for q in answer.quotes}
        )
        for n in cited:
            if 1 <= n <= len(answer.passages):
                p = answer.passages[n - 1]
                rows.append(_source_row(f"{turn}-p-{n - 1}", n, p.ref))
    else:
        rows = [
            _source_row(f"{turn}-q-{j}", q.citation, q.ref) for j, q in enumerate(answer.quotes)
        ]
    if rows:
        parts.append(f'<p class="label">Sources</p><ol class="answer-sources">{"".join(rows)}</ol>')
    if answer.unverified:
        parts.append(
            f'<p class="note">{len(answer.unverified)} quote(s) from the model could not be '
            "found in the sources and were removed.</p>"
        )
    notice = str(getattr(answer, "notice", "") or "")
    if answer.fallback:
        why = esc(notice) if notice else "the LLM answer could not be verified"
        parts.append(f'<p class="note">Showing quotes only: {why}.</p>')
    parts.append("</div>")
    return "".join(parts)


def _source_row(ref: str, n: int, art: ArticleRef) -> str:
    return (
        f'<li><a class="cite" href="#cite-{ref}">[{n}]</a> {esc(art.title or art.article_id)} — '
        f"{esc(art.source or 'unknown outlet')}, {_date(art.published)}</li>"
    )


def prose_html(text: str, turn: int, answer: Answer) -> str:
    """The LLM's prose, escaped, with each ``[n]`` linked to the passage it cites."""

    def link(m: re.Match[str]) -> str:
        n = int(m.group(1))
        if 1 <= n <= len(answer.passages):
            return f'<a class="cite" href="#cite-{turn}-p-{n - 1}">[{n}]</a>'
        return m.group(0)

    return "".join(f"<p>{_CITE.sub(link, esc(p))}</p>" for p in text.split("\n") if p.strip())


def streaming_html(text: str) -> str:
    """The LLM's text while it streams (verified quotes follow when it is done)."""
    paras = "".join(f"<p>{esc(p)}</p>" for p in text.split("\n") if p.strip())
    return f'<div class="answer streaming"><div class="llm-text">{paras}</div></div>'


def error_html(message: str) -> str:
    """An error shown in place of an answer."""
    return f'<div class="answer error"><p>⚠ {esc(" ".join(message.split()))}</p></div>'


PENDING_HTML = '<div class="answer"><p class="pending">Searching the articles…</p></div>'


def answer_plain(answer: Answer) -> str:
    """The answer as plain text, for the copy button."""
    if answer.abstained:
        return "The sources don't answer this."
    lines = [answer.text.strip(), ""] if answer.mode == "llm" and answer.text else []
    for q in answer.quotes:
        who = f"{q.speaker}, " if q.speaker else ""
        lines += [f"“{' '.join(q.text.split())}”", f"— {who}{q.ref.source} [{q.citation}]", ""]
    lines.append("Sources")
    for q in answer.quotes:
        url = f" {q.ref.url}" if q.ref.url else ""
        lines.append(
            f"[{q.citation}] {q.ref.title} — {q.ref.source}, {_date(q.ref.published)}{url}"
        )
    return "\n".join(lines)


def _snippet(text: str, n: int = 240) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[:n].rsplit(" ", 1)[0] + "…"


def highlight(text: str, spans: Sequence[tuple[int, int, str]]) -> tuple[str, int]:
    """Article text as escaped ``<p>`` paragraphs with ``<mark class=...>`` over ``spans``.

    ``spans`` are ``(start, end, css_class)`` character ranges of ``text``; the first is the
    focus: its paragraph(s) get ``class="focus"``. Returns the HTML and the number of marks.
    """
    ordered = sorted((max(0, s), min(len(text), e), c) for s, e, c in spans if e > s)
    focus = spans[0] if spans else None
    out, marks, pos = [], 0, 0
    for para in text.split("\n"):
        start, end = pos, pos + len(para)
        pos = end + 1
        if not para.strip():
            continue
        pieces, cursor = [], start
        for s, e, cls in ordered:
            s, e = max(s, cursor), min(e, end)
            if e <= s:
                continue
            pieces += [esc(text[cursor:s]), f'<mark class="{cls}">', esc(text[s:e]), "</mark>"]
            marks += 1
            cursor = e
        pieces.append(esc(text[cursor:end]))
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
            snippet=esc(_snippet(p.chunk.text)),
        )
        for i, p in enumerate(answer.passages)
    )
    return template("passages.html", items=items) if items else ""


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


def empty_panel_html() -> str:
    """The sources panel before any answer."""
    return template("empty_panel.html")


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
    turns = [Turn(e.question, e.answer.markdown) for e in exchanges if e.answer]
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
        quote = answer.quotes[j]
        aid, spans = quote.ref.article_id, [(quote.start, quote.end, "cited")]
        spans += [
            (q.start, q.end, "also")
            for q in answer.quotes
            if q is not quote and q.ref.article_id == aid
        ]
        who = f" · {quote.speaker}" if quote.speaker else ""
        kicker = f"[{quote.citation}]{who}"
    else:
        i = int(m.group(3))
        if i >= len(answer.passages):
            return error_html("No such passage in that answer.")
        p: Passage = answer.passages[i]
        aid, spans = p.ref.article_id, [(p.chunk.start, p.chunk.end, "passage")]
        kicker = f"passage {i + 1} of {len(answer.passages)}"
    article = assistant.article(aid)
    if article is None:
        return error_html("That article is no longer in the library.")
    return article_html(article, spans, kicker, plist)


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
