"""The renderers: one Answer or Briefing, three formats, each escaping its own way."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from assistant.render import cite, html, markdown, text
from assistant.types import Answer, ArticleRef, Briefing, Chunk, Filters, Passage, Position, Quote

XSS = "<script>alert(1)</script>"
REF = ArticleRef("a1", "Talks stall", "DEA News", date(2022, 6, 16), "https://x.test/a1")
BARE = ArticleRef("a2", "", "", None, "")
ART = "Kirby said Putin must show he is serious. Klimov said <b>talks</b> favour Washington."


def _quote(n: int, ref: ArticleRef = REF, speaker: str | None = "John Kirby") -> Quote:
    start = ART.index("Putin") if n == 1 else ART.index("talks")
    end = ART.index(".", start)
    return Quote(ART[start:end], ref, start, end, speaker, 0.9, n)


def _passage(ref: ArticleRef = REF, start: int = 0, end: int = len(ART)) -> Passage:
    return Passage(Chunk(f"{ref.article_id}:0", ref.article_id, 0, start, end, ART), ref, 1.0)


def test_cite_names_a_source_with_or_without_placeholders() -> None:
    assert cite.cite(REF) == "Talks stall — DEA News, 2022-06-16"
    assert cite.cite(BARE) == "a2"
    assert cite.cite(BARE, placeholders=True) == "a2 — unknown outlet, undated"


def test_extractive_answer_in_three_formats() -> None:
    q1, q2 = _quote(1), _quote(2, BARE, None)
    answer = Answer("q", (q1, q2), (_passage(),), False, 0.9)
    md = markdown.answer_markdown(answer)
    assert md == (
        "> “Putin must show he is serious”\n>\n> — John Kirby, *DEA News* [1]\n\n"
        "> “talks&lt;/b&gt; favour Washington”\n>\n> — ** [2]\n\n**Sources**\n\n"
        f"- [1] Talks stall — DEA News, 2022-06-16 <https://x.test/a1>, characters "
        f"{q1.start}–{q1.end}\n- [2] a2, characters {q2.start}–{q2.end}"
    )
    page = html.answer_html(answer, 3)
    assert 'href="#cite-3-q-0">[1]</a> Talks stall — DEA News, 2022-06-16</li>' in page
    assert 'href="#cite-3-q-1">[2]</a> a2 — unknown outlet, undated</li>' in page
    assert "talks&lt;/b&gt; favour" in page and "</b> favour" not in page
    plain = text.answer_text(answer)
    assert plain.splitlines() == [
        "“Putin must show he is serious”",
        "— John Kirby, DEA News [1]",
        "",
        "“talks</b> favour Washington”",
        "—  [2]",
        "",
        "Sources",
        "[1] Talks stall — DEA News, 2022-06-16 https://x.test/a1",
        "[2] a2 — unknown outlet, undated",
    ]


def test_llm_answer_lists_the_passages_its_prose_cites() -> None:
    p1, p2 = _passage(), _passage(BARE, 5, 20)
    prose = f"Kirby wants proof {XSS} [2].\n\nMore [1][7]."
    answer = Answer("q", (_quote(1),), (p1, p2), False, 0.5, mode="llm", text=prose)
    assert [(s.number, s.anchor) for s in cite.answer_sources(answer)] == [(1, "p-0"), (2, "p-1")]
    md = markdown.answer_markdown(answer)
    assert md.startswith("Kirby wants proof &lt;script&gt;alert(1)&lt;/script&gt; [2].\n\nMore")
    assert md.endswith(
        "**Sources**\n\n- [1] Talks stall — DEA News, 2022-06-16 <https://x.test/a1>, "
        f"characters 0–{len(ART)}\n- [2] a2, characters 5–20"
    )
    page = html.answer_html(answer, 0)
    assert '<a class="cite" href="#cite-0-p-1">[2]</a>' in page and "[7]" in page
    assert "<script>" not in page


def test_fallback_and_abstention_say_why() -> None:
    answer = Answer(
        "q", (), (_passage(),), True, 0.1, fallback=True, notice="the LLM answer failed: <down>"
    )
    md = markdown.answer_markdown(answer)
    assert md.startswith("_the LLM answer failed: &lt;down&gt;_\n\n**The sources don't answer")
    assert "Closest passages:\n- Kirby said Putin" in md
    assert text.answer_text(answer) == "The sources don't answer this."
    assert "Showing quotes only: the LLM answer failed: &lt;down&gt;." in html.answer_html(answer, 0)


def test_answer_json_keeps_the_markdown_under_answer() -> None:
    answer = Answer("q", (_quote(1),), (_passage(),), False, 0.9)
    data = markdown.answer_json(answer)
    assert list(data)[:7] == [
        "question", "standalone_question", "abstained", "confidence", "mode", "fallback", "answer"
    ]  # fmt: skip
    assert data["answer"] == markdown.answer_markdown(answer)
    assert "markdown" not in answer.to_json()


def test_briefing_in_three_formats() -> None:
    k = _quote(1)
    r = _quote(2, REF, "Andrey Klimov")
    b = Briefing(f"talks {XSS}", (k,), (Position("Russia", (r,)),), (), Filters())
    md = markdown.briefing_markdown(b)
    assert md.splitlines()[:5] == [
        "## Briefing: talks &lt;script&gt;alert(1)&lt;/script&gt;",
        "",
        "### Bottom line",
        "",
        "- “Putin must show he is serious” — John Kirby [1]",
    ]
    assert "**Russia**\n\n- “talks&lt;/b&gt; favour Washington” — Andrey Klimov [2]" in md
    assert md.endswith(
        f"- [2] Talks stall — DEA News, 2022-06-16 <https://x.test/a1>, characters {r.start}–{r.end}"
    )
    page = html.briefing_html(b)
    assert "<script>" not in page and "<h4>Russia</h4>" in page
    assert text.briefing_text(b).splitlines()[-1] == (
        "[2] Talks stall — DEA News, 2022-06-16 https://x.test/a1"
    )
    empty = Briefing("football", (), (), (), Filters())
    assert markdown.briefing_markdown(empty).endswith("The sources don't cover this topic.")


@pytest.mark.parametrize(
    ("escape", "raw", "want"),
    [
        (markdown.escape, "a <b>\n c", "a &lt;b&gt; c"),
        (html.escape, 'a "<b>" & c', "a &quot;&lt;b&gt;&quot; &amp; c"),
        (text.escape, "a\x00b\n\n c", "a b c"),
    ],
)
def test_one_escape_per_format(escape, raw: str, want: str) -> None:  # type: ignore[no-untyped-def]
    assert escape(raw) == want


def test_briefing_html_sources_list_each_article_once_with_its_citations() -> None:
    from assistant.render.html import _ranges

    assert _ranges([3, 1, 2, 5]) == "1–3, 5"
    assert _ranges([7]) == "7"
    assert _ranges([1, 2, 7, 8, 9, 11]) == "1, 2, 7–9, 11"


def test_quote_html_says_on_hover_why_it_was_chosen() -> None:
    why = {
        "matched_words": ["kirby", "talks"],
        "answer_type": "number",
        "answer_found": ["10"],
        "outlets_agreeing": ['CNN "<b>"'],
        "published_this_week": True,
    }
    got = html.quote_html(replace(_quote(1), why=why), "1-q-0")
    assert got.startswith(
        '<blockquote class="quote" title="Chosen for: matches: kirby, talks; number asked for:'
        ' 10; also reported by: CNN &quot;&lt;b&gt;&quot;; recent: published in the week up to the day asked about (or the newest article)">'
    )
    assert html.quote_html(_quote(1), "1-q-0").startswith('<blockquote class="quote" title="">')


def test_briefing_timelines_point_back_to_quotes_listed_above_in_text_and_markdown() -> None:
    kremlin = ArticleRef("a1", "Talks", "Wire *A*", date(2022, 6, 14), "")
    later = ArticleRef("a2", "Port", "Wire B", date(2022, 6, 16), "")
    said = Quote("Talks need guarantees.", kremlin, 0, 22, "the Kremlin", citation=1)
    port = Quote("The port reopened.", later, 5, 23, None, citation=2)
    b = Briefing(
        "talks",
        key_points=(said,),
        positions=(Position("Russia", (said,)),),
        passages=(),
        filters=Filters(),
        timeline=(said, port),
    )
    lines = text.briefing_text(b).split("\n")
    i = lines.index("Timeline")
    assert lines[i + 1 : i + 3] == [
        "- 2022-06-14: the Kremlin, see [1]",
        "- 2022-06-16: “The port reopened.” — Wire B (the article's words) [2]",
    ]
    md = markdown.briefing_markdown(b).split("\n")
    i = md.index("### Timeline")
    assert md[i + 2] == "- 2022-06-14: the Kremlin, see [1]"
    assert md[i + 3].startswith("- 2022-06-16: ") and md[i + 3].endswith("[2]")
    assert "The port reopened." in md[i + 3] and "see [2]" not in md[i + 3]


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("The talks resume on Monday.", "“The talks resume on Monday.”"),
        ("“I am sure it is possible.” He left.", "“I am sure it is possible.” He left."),
        ('"I requested a delay," she said.', '"I requested a delay," she said.'),
        ("“I’ve been here before.”", "“I’ve been here before.”"),
        ("He said it was “over.”", "“He said it was “over.””"),
        ("  spaced  ", "“spaced”"),
    ],
)
def test_a_quote_keeps_its_own_quotation_marks_instead_of_doubling_them(
    text: str, shown: str
) -> None:
    from assistant.render.cite import quoted

    assert quoted(text) == shown
