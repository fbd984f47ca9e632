"""Answers and briefings as HTML for the web chat (pure; every outside string escaped).

The markup pieces that designers edit live as templates in ``ui/`` (``$placeholders``,
filled by :func:`template` with values escaped here).
"""

from __future__ import annotations

import html
import re
from functools import cache
from string import Template

from assistant.render.cite import answer_sources, cite, is_llm, quoted
from assistant.resources import data_file
from assistant.types import Answer, Briefing, Quote

PENDING_HTML = '<div class="answer"><p class="pending">Searching the articles…</p></div>'
_CITE = re.compile(r"\[(\d+)\]")


def escape(text: object) -> str:
    """HTML-escape anything shown on the page (quotes too: safe in attributes)."""
    return html.escape(str(text), quote=True)


# --------------------------------------------------------------------------- templates
@cache
def ui_file(name: str) -> str:
    """A file of ``ui/`` (the checkout's, else the installed package's) as text."""
    return data_file("ui", name).read_text(encoding="utf-8")


@cache
def _one_line(name: str) -> Template:
    raw = ui_file(name)
    return Template(" ".join(line.strip() for line in raw.splitlines() if line.strip()))


def template(name: str, **values: object) -> str:
    """Fill ``ui/<name>`` (``$placeholders``; values must already be escaped) on one line."""
    return _one_line(name).substitute({k: str(v) for k, v in values.items()})


# --------------------------------------------------------------------------- answers
def snippet(text: str, n: int = 240) -> str:
    """The first ``n`` characters of a text on one line, cut at a word."""
    text = " ".join(text.split())
    return text if len(text) <= n else text[:n].rsplit(" ", 1)[0] + "…"


def question_html(question: str) -> str:
    """The user's message, escaped."""
    return f'<div class="question">{escape(question)}</div>'


def quote_html(q: Quote, ref: str) -> str:
    """One quote as a block quote with speaker, outlet and its citation link to ``ref``."""
    day = q.ref.published
    return template(
        "quote.html",
        text=escape(quoted(" ".join(q.text.split()))),
        speaker=f"{escape(q.speaker)}, " if q.speaker else "",
        outlet=escape(q.ref.source or q.ref.title),
        date=f' <span class="quote-date">{escape(day)}</span>' if day else "",
        ref=ref,
        n=q.citation,
        why=escape(why_text(q.why)),
    )


def why_text(why: dict[str, object]) -> str:
    """Why a quote was chosen, in a line a reader can hover over ("" when unknown)."""
    parts: list[str] = []

    def listed(key: str) -> str:
        value = why.get(key)
        return ", ".join(str(v) for v in value) if isinstance(value, list | tuple) else ""

    if listed("matched_words"):
        parts.append(f"matches: {listed('matched_words')}")
    if listed("answer_found"):
        parts.append(f"{why.get('answer_type')} asked for: {listed('answer_found')}")
    if listed("outlets_agreeing"):
        parts.append(f"also reported by: {listed('outlets_agreeing')}")
    if why.get("published_this_week"):
        parts.append("recent: published in the week up to the day asked about (or the newest article)")
    return "Chosen for: " + "; ".join(parts) if parts else ""


def answer_html(answer: Answer, turn: int) -> str:
    """An answer as shown in the chat (a single HTML block, everything escaped).

    Citation links point at ``#cite-<turn>-q-<j>`` (quote j) or ``#cite-<turn>-p-<i>``
    (passage i) of the chat's ``turn``-th answer.
    """
    if answer.abstained and not is_llm(answer):
        items = "".join(
            f'<li><a class="cite passage" href="#cite-{turn}-p-{i}">{escape(p.ref.title)}</a>: '
            f"{escape(snippet(p.chunk.text, 160))}</li>"
            for i, p in enumerate(answer.passages[:3])
        )
        closest = f'<p class="label">Closest passages</p><ol>{items}</ol>' if items else ""
        headline = (
            escape(answer.notice)
            if answer.notice and not answer.fallback
            else "The sources don’t answer this."
        )
        return (
            f'<div class="answer abstained"><p><strong>{headline}</strong>'
            f"</p>{closest}{_fallback_note(answer)}</div>"
        )
    parts = ['<div class="answer">']
    if is_llm(answer):
        parts.append(f'<div class="llm-text">{prose_html(answer.text, turn, answer)}</div>')
    parts += [quote_html(q, f"{turn}-q-{j}") for j, q in enumerate(answer.quotes)]
    sources = answer_sources(answer)
    labels = [cite(s.ref, placeholders=True) for s in sources]
    rows = [
        f'<li><a class="cite" href="#cite-{turn}-{s.anchor}">[{s.number}]</a> '
        f"{escape(label)}{_differs(answer, s.anchor, labels.count(label) > 1)}</li>"
        for s, label in zip(sources, labels, strict=True)
    ]
    if rows:
        parts.append(f'<p class="label">Sources</p><ol class="answer-sources">{"".join(rows)}</ol>')
    if answer.unverified:
        parts.append(
            f'<p class="note">{len(answer.unverified)} quote(s) from the model could not be '
            "found in the sources and were removed.</p>"
        )
    parts.append(_fallback_note(answer))
    parts.append("</div>")
    return "".join(parts)


def _differs(answer: Answer, anchor: str, repeated: bool) -> str:
    """For sources that read alike (several quotes of one article): the quote's opening words."""
    if not repeated or not anchor.startswith("q-"):
        return ""
    q = answer.quotes[int(anchor[2:])]
    return f' <span class="source-opening">“{escape(snippet(q.text, 48))}”</span>'


def _fallback_note(answer: Answer) -> str:
    if not answer.fallback:
        return ""
    why = escape(answer.notice) if answer.notice else "the LLM answer could not be verified"
    return f'<p class="note">Showing quotes only: {why}.</p>'


def prose_html(text: str, turn: int, answer: Answer) -> str:
    """The LLM's prose, escaped, with each ``[n]`` linked to the passage it cites."""

    def link(m: re.Match[str]) -> str:
        n = int(m.group(1))
        if 1 <= n <= len(answer.passages):
            return f'<a class="cite" href="#cite-{turn}-p-{n - 1}">[{n}]</a>'
        return m.group(0)

    return "".join(f"<p>{_CITE.sub(link, escape(p))}</p>" for p in text.split("\n") if p.strip())


def streaming_html(text: str) -> str:
    """The LLM's text while it streams (verified quotes follow when it is done)."""
    paras = "".join(f"<p>{escape(p)}</p>" for p in text.split("\n") if p.strip())
    return f'<div class="answer streaming"><div class="llm-text">{paras}</div></div>'


def error_html(message: str) -> str:
    """An error shown in place of an answer."""
    return f'<div class="answer error"><p>⚠ {escape(" ".join(message.split()))}</p></div>'


# --------------------------------------------------------------------------- briefings
def briefing_html(b: Briefing) -> str:
    """A briefing as one HTML block: bottom line, positions by actor, where they disagree,
    timeline and numbered sources; the reporter's narration marked as the article's words."""
    head = f'<div class="briefing"><h2>Briefing: {escape(b.topic)}</h2>'
    if b.delta:
        head += f'<p class="delta">What’s new {escape(b.delta)}.</p>'
    if not b.key_points:
        return (
            head
            + f"<p>{'Nothing new on this topic.' if b.delta else 'The sources don’t cover this topic.'}</p></div>"
        )

    def item(q: Quote, prefix: str = "") -> str:
        if q.speaker:
            who = f'<span class="who">{escape(q.speaker)}</span>'
        else:
            outlet = escape(q.ref.source or q.ref.title or "the article")
            who = f'<span class="who narration">{outlet} (the article’s words)</span>'
        text = escape(quoted(" ".join(q.text.split())))
        return f"<li>{prefix}{text} — {who} {_brief_cite(q.citation)}</li>"

    if b.notice:
        head += f'<p class="note">{escape(b.notice)}.</p>'
    if b.summary:
        paras = "".join(
            "<p>" + _CITE.sub(r"[S\1]", escape(x)) + "</p>"
            for x in b.summary.split("\n")
            if x.strip()
        )
        rows = "".join(
            f"<li>[S{n}] {escape(cite(p.ref, placeholders=True))}</li>"
            for n, p in b.summary_sources
        )
        head += (
            '<h3>Summary</h3><p class="note">Written by the LLM; every quote checked against '
            f'its source.</p><div class="llm-text">{paras}</div><ul>{rows}</ul>'
        )
    parts = [head, "<h3>Bottom line</h3><ul>", *map(item, b.key_points), "</ul>"]
    if b.positions:
        parts.append("<h3>Positions</h3>")
        for p in b.positions:
            parts.append(f"<h4>{escape(p.party)}</h4><ul>{''.join(map(item, p.quotes))}</ul>")
    if b.details:
        parts.append(f"<h3>More detail</h3><ul>{''.join(map(item, b.details))}</ul>")
    if b.disagreements:
        actor = {q.citation: p.party for p in b.positions for q in p.quotes}
        rows = "".join(
            f"<li><b>{escape(actor.get(x.citation, ''))}</b> {_brief_cite(x.citation)} and "
            f"<b>{escape(actor.get(y.citation, ''))}</b> {_brief_cite(y.citation)} on the "
            "same point</li>"
            for x, y in b.disagreements
        )
        parts.append(f"<h3>Where they disagree</h3><ul>{rows}</ul>")
    if b.timeline:
        above = b.listed_above()
        parts.append("<h3>Timeline</h3><ul>")
        for q in b.timeline:
            day = q.ref.published.isoformat() if q.ref.published else "undated"
            if q.citation in above:  # listed above: point back to it, never repeat it
                who = escape(q.speaker or q.ref.source)
                parts.append(f"<li><b>{day}</b>: {who}, see {_brief_cite(q.citation)}</li>")
            else:
                parts.append(item(q, f"<b>{day}</b>: "))
        parts.append("</ul>")
    # one row per article, with every citation that points into it (each keeps its anchor)
    by_article: dict[str, list[Quote]] = {}
    for q in b.quotes():
        by_article.setdefault(q.ref.article_id, []).append(q)
    rows = "".join(
        "<li>"
        + "".join(f'<span id="brief-src-{q.citation}"></span>' for q in qs)
        + f"[{_ranges([q.citation for q in qs])}] "
        + escape(cite(qs[0].ref, placeholders=True))
        + (
            f' <a href="{escape(qs[0].ref.url)}">{escape(qs[0].ref.url)}</a>'
            if _safe_url(qs[0].ref.url)
            else ""
        )
        + "</li>"
        for qs in by_article.values()
    )
    parts.append(f'<h3>Sources</h3><ul class="answer-sources">{rows}</ul></div>')
    return "".join(parts)


def _brief_cite(n: int) -> str:
    """A briefing's citation [n], linked to its source line (the web tab opens the article)."""
    return f'<a class="cite" href="#brief-src-{n}">[{n}]</a>'


def _safe_url(url: str) -> bool:
    return url.lower().startswith(("http://", "https://"))


def briefing_page(b: Briefing) -> str:
    """A briefing as a whole HTML document (``ui/briefing.html``), clean to read and print."""
    raw = ui_file("briefing.html")
    return Template(raw).substitute(title=escape(f"Briefing: {b.topic}"), body=briefing_html(b))


def _ranges(numbers: list[int]) -> str:
    """``[1, 2, 3, 5]`` -> ``"1–3, 5"``."""
    out: list[str] = []
    run: list[int] = []
    for n in [*sorted(numbers), None]:
        if run and (n is None or n != run[-1] + 1):
            out.append(f"{run[0]}–{run[-1]}" if len(run) > 2 else ", ".join(map(str, run)))
            run = []
        if n is not None:
            run.append(n)
    return ", ".join(out)
