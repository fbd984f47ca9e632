"""Answers and briefings as Slack Block Kit messages, pure: dicts in, dicts out.

Every piece of article or user text goes through :func:`escape` (Slack's three control
characters ``&``, ``<``, ``>``), links go through :func:`link` (URLs percent-encoded where they
would break Slack's ``<url|label>`` syntax), and :func:`pack` splits the blocks into messages
within Slack's limits: 3,000 characters per section text, 50 blocks per message and about
12,000 characters of text per message.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote as _pct

from assistant.render.cite import answer_sources, cite, is_llm, quoted
from assistant.types import Answer, ArticleRef, Passage, Quote

Block = dict[str, Any]
Message = dict[str, Any]  # {"text": fallback text, "blocks": [...]}

SECTION_CHARS = 3000
MESSAGE_BLOCKS = 50
MESSAGE_CHARS = 12000
HEADER_CHARS = 150
LABEL_CHARS = 150
URL_CHARS = 1000
ABSTAIN = "The sources don't say."
ERROR = "Sorry, something went wrong while answering. The team has the details in the log."
SHARE = "share"
HELPFUL = "feedback_helpful"
NOT_HELPFUL = "feedback_not_helpful"
# what may stay as is in a URL inside <...|...>; everything else is percent-encoded
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~-._"
_BOLD = re.compile(r"\*\*(.+?)\*\*")


# --------------------------------------------------------------------------- text
def escape(text: str) -> str:
    """Escape Slack's control characters ``&``, ``<`` and ``>`` (in that order)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def safe_url(url: str) -> str | None:
    """An http(s) URL made safe inside ``<url|label>``, or None for anything else.

    Parentheses and apostrophes stay (they need no escaping in Slack's syntax); double
    quotes, spaces, ``|``, ``<``, ``>`` and other characters are percent-encoded, and ``&``
    becomes ``&amp;`` as Slack requires.
    """
    url = url.strip()
    if not re.match(r"https?://[^\s/]", url, re.I):
        return None
    return escape(_pct(url, safe=_URL_SAFE))


def link(url: str | None, label: str) -> str:
    """``<url|label>`` with both parts made safe, or the escaped label alone without a URL.

    Labels are cut to 150 characters and URLs longer than 1,000 are not linked, so a line
    with a link always fits a section.
    """
    target = safe_url(url) if url else None
    if label and len(label) > LABEL_CHARS:
        label = label[: LABEL_CHARS - 1] + "…"
    text = escape(label).replace("|", "¦")
    return f"<{target}|{text}>" if target and len(target) <= URL_CHARS else text


def article_url(ref: ArticleRef, start: int, end: int, template: str | None) -> str:
    """Where a citation points: the web chat's article view if configured, else the article."""
    if template:
        return template.format(article_id=_pct(ref.article_id, safe=""), start=start, end=end)
    return ref.url


def _words(text: str, limit: int) -> list[str]:
    """Split plain text into pieces whose escaped form fits ``limit``, at spaces if possible."""
    pieces: list[str] = []
    current = ""
    for word in re.findall(r"\S+\s*|\s+", text):
        while len(escape(word)) > limit:  # one enormous "word": cut it
            room = limit - len(escape(current))
            cut = _fit(word, room) if room > 0 else 0
            if cut == 0:
                pieces.append(current)
                current = ""
                continue
            pieces.append(current + word[:cut])
            current, word = "", word[cut:]
        if len(escape(current + word)) > limit:
            pieces.append(current)
            current = word
        else:
            current += word
    if current or not pieces:
        pieces.append(current)
    return [p for p in pieces if p.strip()] or [""]


def _fit(text: str, room: int) -> int:
    """The longest prefix of ``text`` whose escaped form is at most ``room`` characters."""
    n = 0
    used = 0
    for ch in text:
        used += len(escape(ch))
        if used > room:
            break
        n += 1
    return n


def section(text: str) -> Block:
    """A mrkdwn section (the caller keeps ``text`` within :data:`SECTION_CHARS`)."""
    if len(text) > SECTION_CHARS:
        raise ValueError(f"section text of {len(text)} characters; the limit is {SECTION_CHARS}")
    # verbatim: Slack does not turn bare URLs or names in article text into links or mentions
    return {"type": "section", "text": {"type": "mrkdwn", "text": text, "verbatim": True}}


def sections(text: str) -> list[Block]:
    """Escaped plain text as as many sections as it needs."""
    return [section(escape(p)) for p in _words(text, SECTION_CHARS)]


def context(text: str) -> Block:
    """A small grey line (``text`` already escaped mrkdwn)."""
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:SECTION_CHARS]}]}


def header(text: str) -> Block:
    """A header block (plain text, at most 150 characters)."""
    if len(text) > HEADER_CHARS:
        text = text[: HEADER_CHARS - 1] + "…"
    return {"type": "header", "text": {"type": "plain_text", "text": text, "emoji": False}}


# --------------------------------------------------------------------------- quotes
def attribution(q: Quote, link_template: str | None = None) -> str:
    """'— *Speaker* · <url|Title — Outlet, 2022-06-16> [1]' (escaped mrkdwn)."""
    who = f"*{escape(q.speaker)}* · " if q.speaker else ""
    src = link(article_url(q.ref, q.start, q.end, link_template), cite(q.ref))
    also = f" (also in {len(q.also_in)} other outlet(s))" if q.also_in else ""
    return f"— {who}{src} [{q.citation}]{also}"


def quote_blocks(q: Quote, link_template: str | None = None) -> list[Block]:
    """One quote as block-quote sections, the attribution line under the last piece."""
    by = attribution(q, link_template)
    body = quoted(" ".join(q.text.split()))
    prefix = "> "
    pieces = _words(body, SECTION_CHARS - len(prefix))
    texts = [prefix + escape(p.strip()) for p in pieces]
    tail = f"\n> {by}"
    if len(texts[-1]) + len(tail) <= SECTION_CHARS:
        texts[-1] += tail
    else:
        texts.append(f"> {by}"[:SECTION_CHARS])
    return [section(t) for t in texts]


def prose(text: str) -> str:
    """An LLM's Markdown prose as escaped Slack mrkdwn (``**bold**`` becomes ``*bold*``)."""
    return _BOLD.sub(r"*\1*", escape(text))


def _passage_line(p: Passage, link_template: str | None) -> str:
    snippet = " ".join(p.chunk.text.split())
    if len(snippet) > 200:
        snippet = snippet[:200].rsplit(" ", 1)[0] + "…"
    src = link(article_url(p.ref, p.chunk.start, p.chunk.end, link_template), cite(p.ref))
    return f"• {escape(snippet)} ({src})"


def sources_block(answer: Answer, link_template: str | None = None) -> Block | None:
    """An LLM answer's cited sources, one context element each: '[2] <url|Title — ...>'."""
    items = [
        f"[{e.number}] {link(article_url(e.ref, e.start, e.end, link_template), cite(e.ref))}"
        for e in answer_sources(answer)
    ][:9]
    if not items:
        return None
    elements = [{"type": "mrkdwn", "text": t} for t in ["Sources:", *items]]
    return {"type": "context", "elements": elements}


def _scope_line(answer: Answer) -> str:
    f = answer.filters
    parts = []
    if f.sources:
        parts.append("outlets: " + ", ".join(f.sources))
    if f.since:
        parts.append(f"since {f.since.isoformat()}")
    if f.until:
        parts.append(f"until {f.until.isoformat()}")
    return escape("Scope: " + "; ".join(parts)) if parts else ""


# --------------------------------------------------------------------------- answers
def answer_blocks(answer: Answer, link_template: str | None = None) -> list[Block]:
    """The body of an answer: prose (LLM mode), quotes, or the abstention and closest passages."""
    blocks: list[Block] = []
    # an abstention's own reason ("No articles match the filters: ...") is its headline
    reason = answer.notice if answer.abstained and not answer.fallback else ""
    if answer.abstained:
        blocks.append(section(f"*{escape(reason) if reason else ABSTAIN}*"))
        lines = [_passage_line(p, link_template) for p in answer.passages[:3]]
        if lines:
            blocks.append(section(escape("Closest passages:")))
            blocks.extend(section(line) for line in lines)
    else:
        if answer.text:
            blocks.extend(section(prose(piece)) for piece in _words(answer.text, SECTION_CHARS))
        for q in answer.quotes:
            blocks.extend(quote_blocks(q, link_template))
        sources = sources_block(answer, link_template) if is_llm(answer) else None
        if sources:
            blocks.append(sources)
    notice = escape(answer.notice) if answer.notice and not reason else ""
    notes = [n for n in (notice, _scope_line(answer)) if n]
    if answer.unverified:
        notes.append(
            f"{len(answer.unverified)} quote(s) the model wrote were not verbatim and were removed"
        )
    if notes:
        blocks.append(context(" · ".join(notes)))
    return blocks


def buttons(answer_id: str, share: bool = False, feedback: bool = True) -> list[Block]:
    """The actions under an answer: share (ephemeral answers) and helpful / not helpful."""
    elements: list[dict[str, Any]] = []
    if share:
        elements.append(_button("Share in channel", SHARE, answer_id, style="primary"))
    if feedback:
        elements.append(_button("Helpful", HELPFUL, answer_id))
        elements.append(_button("Not helpful", NOT_HELPFUL, answer_id))
    if not elements:
        return []
    return [{"type": "actions", "block_id": f"answer:{answer_id}", "elements": elements}]


def _button(label: str, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    b: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": label},
        "action_id": action_id,
        "value": value,
    }
    if style:
        b["style"] = style
    return b


def fallback_text(answer: Answer) -> str:
    """The notification text of an answer (plain, short)."""
    if answer.abstained:
        return ABSTAIN
    first = answer.text or (answer.quotes[0].text if answer.quotes else "")
    first = " ".join(first.split())
    return escape(first[:280] + ("…" if len(first) > 280 else ""))


def answer_messages(
    answer: Answer,
    answer_id: str,
    link_template: str | None = None,
    share: bool = False,
    feedback: bool = True,
) -> list[Message]:
    """An answer as one or more messages, buttons on the last."""
    return pack(
        answer_blocks(answer, link_template),
        fallback_text(answer),
        buttons(answer_id, share, feedback),
    )


def briefing_messages(
    topic: str,
    key_points: Sequence[Quote],
    positions: Sequence[tuple[str, Sequence[Quote]]],
    answer_id: str,
    link_template: str | None = None,
    share: bool = False,
    feedback: bool = True,
) -> list[Message]:
    """A briefing: a header, the key points, then each party's positions, all quotes cited."""
    blocks: list[Block] = [header(f"Briefing: {' '.join(topic.split())}")]
    if not key_points:
        blocks.append(section(escape("The sources don't cover this topic.")))
    else:
        blocks.append(section("*Bottom line*"))
        for q in key_points:
            blocks.extend(quote_blocks(q, link_template))
        if positions:
            blocks.append({"type": "divider"})
            blocks.append(section("*Positions*"))
        for party, quotes in positions:
            blocks.append(section(f"*{escape(party)}*"))
            for q in quotes:
                blocks.extend(quote_blocks(q, link_template))
    text = escape(f"Briefing: {' '.join(topic.split())}"[:280])
    return pack(blocks, text, buttons(answer_id, share, feedback))


def _chars(block: Block) -> int:
    """The text a block contributes to a message's size."""
    n = 0
    if "text" in block and isinstance(block["text"], dict):
        n += len(block["text"].get("text", ""))
    for el in block.get("elements", ()):
        if isinstance(el, dict) and isinstance(el.get("text"), str):
            n += len(el["text"])
    return n


def pack(blocks: Sequence[Block], text: str, tail: Sequence[Block] = ()) -> list[Message]:
    """Split blocks into messages of at most 50 blocks and ~12,000 text characters each.

    ``tail`` (e.g. the buttons) goes at the end of the last message; ``text`` is the
    notification text of the first message, later ones say which part they are.
    """
    groups: list[list[Block]] = [[]]
    size = 0
    for b in [*blocks, *tail]:
        n = _chars(b)
        if groups[-1] and (len(groups[-1]) >= MESSAGE_BLOCKS or size + n > MESSAGE_CHARS):
            groups.append([])
            size = 0
        groups[-1].append(b)
        size += n
    total = len(groups)
    return [
        {"text": text if i == 0 else f"(continued, part {i + 1} of {total})", "blocks": g}
        for i, g in enumerate(groups)
    ]


def draft_message(text: str, status: str = "writing…") -> Message:
    """The placeholder shown while an LLM answer streams (unverified text, marked as such)."""
    body = " ".join(text.split()) or "…"
    if len(escape(body)) > SECTION_CHARS:  # keep the end, which is what is being written
        body = "…" + body[len(body) - _fit(body[::-1], SECTION_CHARS - 10) :]
    note = context(escape(f"Draft, {status} quotes not yet verified"))
    blocks = [section(prose(body)), note]
    return {"text": "Writing the answer…", "blocks": blocks}


def draft_markdown(token: str) -> str:
    """A piece of an unverified draft for ``chat.appendStream``'s Markdown, made inert.

    Character by character (a URL may be split across tokens): Slack's three control
    characters escaped and an invisible word joiner after each ``]`` and ``:``, so no
    ``[label](url)``, image or ``scheme://`` is linked; it reads the same. The verified answer
    replaces the draft.
    """
    return escape(token).replace("]", "]\u2060").replace(":", ":\u2060")


def status_message(text: str) -> Message:
    """A one-line status or error message."""
    return {"text": escape(text), "blocks": [section(escape(text)[:SECTION_CHARS])]}
