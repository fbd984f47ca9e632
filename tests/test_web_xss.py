"""An XSS payload corpus driven through the real web chat in chromium.

Articles whose title, text, outlet, authors and url hold classic payloads, and questions and
a briefing topic holding them, go through every view that shows them: the chat answer, the
cited article in the sources panel, the passages list, the Briefing tab. Every payload, if it
ran, would set ``window.__xss`` (or ``top.__xss``) or open a dialog; the test asserts none did
and that each text is on the page verbatim, as text.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CORPUS, make_settings
from tests.test_api import serve_in_thread
from tests.test_web import CHROMIUM, ask, browser, page, words  # noqa: F401  (fixtures)

# Each payload would run ``window.__xss = <n>`` (or alert) if it ever became markup or a URL.
PAYLOADS = [
    "<script>window.__xss=1</script>",
    '<img src=x onerror="window.__xss=2">',
    "<svg onload=window.__xss=3>",
    '"><img src=x onerror=window.__xss=4>',
    "'><svg/onload=window.__xss=5>",
    "[click me](javascript:window.__xss=6)",
    '![pic](x" onerror="window.__xss=7)',
    "</textarea><script>window.__xss=8</script>",
    '</div></blockquote><iframe src="javascript:top.__xss=9"></iframe>',
    '<a href="javascript:window.__xss=10">read more</a>',
    "<math><mtext></p><img src=x onerror=window.__xss=11></mtext></math>",
    "<details open ontoggle=window.__xss=12>",
    "<style>@import 'javascript:window.__xss=13';</style>",
    "${window.__xss=14} {{constructor.constructor('window.__xss=15')()}} $title",
    "&lt;script&gt;window.__xss=16&lt;/script&gt; &amp;",
    "＜script＞window.__xss=17＜/script＞",  # fullwidth brackets
    "<scr\u200bipt>window.__xss=18</scr\u200bipt>",  # a zero-width space inside the tag
    "\u202e<img src=x onerror=window.__xss=19>\u202c",  # right-to-left override
    "<body onload=alert('xss20')>",
    "**bold** _it_ `code` $x^2$ <!-- comment --> <b>bold</b>",
]
TOPIC = "harbour bridge"


SPEAKERS = (
    "Mayor Jane Doe",
    "Engineer Omar Reyes",
    "Council member Ana Silva",
    "Port chief Li Wei",
)
GROUP = 4  # payloads per article, so a few articles carry them all


def _article(i: int, payloads: list[str]) -> dict[str, object]:
    """An article about the harbour bridge with its payloads in every field and paragraph."""
    text = "\n\n".join(
        f"{who} said the {TOPIC} vote {p} will happen in March after review number {i}{k}."
        for k, (who, p) in enumerate(zip(SPEAKERS, payloads, strict=False))
    )
    joined = " ".join(payloads)
    return {
        "id": f"xss-{i}",
        "title": f"Harbour bridge {i} {joined}",
        "source": f"Gazette {i} {joined}",
        "authors": [f"Reporter {joined}"],
        "url": f"https://news.example/{i}/{joined}",
        "published": f"2024-03-{i + 1:02d}",
        "text": text,
    }


ARTICLES = [
    _article(i, PAYLOADS[n : n + GROUP]) for i, n in enumerate(range(0, len(PAYLOADS), GROUP))
]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Iterator[tuple[Any, str]]:
    """The app over the seed corpus and the payload articles: (assistant, base URL)."""
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is missing: `make chromium` installs Debian's chromium")
    from assistant.service import Assistant
    from assistant.web import build_app

    folder = tmp_path_factory.mktemp("xss")
    rows = folder / "payloads.jsonl"
    rows.write_text("\n".join(json.dumps(a) for a in ARTICLES), encoding="utf-8")
    assistant = Assistant(make_settings(folder / "data"), embedder=embedder)
    assert assistant.ingest([str(CORPUS)]).added == 1
    report = assistant.ingest([str(rows)])
    assert report.added == len(ARTICLES) and report.failed == 0
    with serve_in_thread(build_app(assistant)) as url:
        yield assistant, url


def assert_nothing_ran(page: Any) -> None:  # noqa: F811
    """No payload set ``__xss``, opened a dialog or became an element that could run."""
    assert page.evaluate("window.__xss") is None
    assert page.dialogs == []  # type: ignore[attr-defined]
    ours = ("#chat .question", "#chat .answer", "#sources-panel .source-view", "#brief-out")
    for sel in ("script", "iframe", "svg", "img", "[onerror]", "[ontoggle]", "math", "style"):
        found = page.locator(", ".join(f"{root} {sel}" for root in ours))
        assert found.count() == 0, sel
    hrefs = page.locator(", ".join(f"{root} a" for root in ours)).evaluate_all(
        "els => els.map(a => a.getAttribute('href') || '')"
    )
    assert all(h.startswith(("#cite-", "#brief-src-", "https://")) for h in hrefs), hrefs


def test_payload_articles_and_question_show_as_text_and_run_nothing(
    page: Any,  # noqa: F811
    served: tuple[Any, str],
) -> None:
    assistant = served[0]
    question = f"What did Jane Doe say about the {TOPIC} vote? {PAYLOADS[1]} {PAYLOADS[7]}"
    answer = ask(page, question)
    assert words(page.locator("#chat .question").last.inner_text()) == words(question)

    expected = assistant.ask(" ".join(question.split()))
    assert expected.quotes, "the question must be answered with quotes"
    shown = answer.locator("blockquote.quote .quote-text").all_inner_texts()
    assert [words(t) for t in shown] == [f"“{words(q.text)}”" for q in expected.quotes]
    assert any(p in q.text for q in expected.quotes for p in PAYLOADS), "no payload quoted"
    for q, by in zip(expected.quotes, answer.locator(".quote-by").all_inner_texts(), strict=True):
        assert words(q.ref.source) in words(by)
    assert_nothing_ran(page)

    # every quote's article, opened from its citation: title, outlet, link and whole text
    for j, q in enumerate(expected.quotes):
        answer.locator("blockquote.quote a.cite").nth(j).click()
        panel = page.locator("#sources-panel .source-view")
        panel.locator(f"[data-article='{q.ref.article_id}']").wait_for()
        art = assistant.article(q.ref.article_id)
        assert art is not None
        assert words(panel.locator(".source-title").inner_text()) == words(art.title)
        meta = panel.locator(".source-meta")
        assert words(art.source) in words(meta.inner_text())
        link = meta.locator("a")
        if art.url:
            assert link.get_attribute("href") == art.url  # attribute-breaking quotes stay inside
        paras = [words(p) for p in art.text.split("\n") if p.strip()]
        assert [words(t) for t in panel.locator(".source-body p").all_inner_texts()] == paras
        assert words(panel.locator("mark.cited").first.inner_text()) in words(q.text)
        assert_nothing_ran(page)

    # the passages list; every payload article opened from it, its whole text shown as text
    items = page.locator("#sources-panel .passage-item")
    titles = [words(p.ref.title) for p in expected.passages]
    assert [words(t) for t in items.locator("a.passage").all_inner_texts()] == titles
    opened = set()
    for i, p in enumerate(expected.passages):
        if p.ref.article_id in opened or not p.ref.article_id.startswith("xss-"):
            continue
        page.locator("#sources-panel a.passage").nth(i).click()
        view = page.locator(f"#sources-panel [data-article='{p.ref.article_id}']")
        view.wait_for()
        art = assistant.article(p.ref.article_id)
        assert art is not None
        paras = [words(x) for x in art.text.split("\n") if x.strip()]
        assert [words(t) for t in view.locator(".source-body p").all_inner_texts()] == paras
        assert words(view.locator(".source-title").inner_text()) == words(art.title)
        assert view.locator(".source-meta a").get_attribute("href") == art.url
        opened.add(p.ref.article_id)
        assert_nothing_ran(page)
    assert opened == {a["id"] for a in ARTICLES}  # every payload was on the page


def test_payload_questions_outlets_and_upload_names_are_text(
    page: Any,  # noqa: F811
    served: tuple[Any, str],
) -> None:
    for n, payload in enumerate(PAYLOADS[:6] + PAYLOADS[14:], start=1):
        question = f"What about the {TOPIC}? {payload}"
        ask(page, question, answers=n)
        assert words(page.locator("#chat .question").last.inner_text()) == words(question)
    assert_nothing_ran(page)

    # the outlet filter lists the hostile outlet names as options, verbatim
    page.locator("#filters").get_by_text("Filters").click()
    page.locator("#outlets input").click()
    options = [words(t) for t in page.get_by_role("option").all_inner_texts()]
    outlets = [words(str(a["source"])) for a in ARTICLES]
    assert sorted(options) == sorted([*outlets, "DEA News"])
    page.keyboard.press("Escape")

    # an upload whose name and text are payloads: the status line is text
    page.locator("#add-articles").get_by_text("Add articles").click()
    name = f"{PAYLOADS[1]}.md"
    body = f"Jane Doe said the ferry {PAYLOADS[0]} is late.".encode()
    page.locator("#upload-files input[type=file]").set_input_files(
        [{"name": name, "mimeType": "text/markdown", "buffer": body}]
    )
    page.locator("#upload-add").click()
    status = page.locator("#upload-status .done")
    status.wait_for()
    assert status.inner_text().startswith("Added 1,"), status.inner_text()
    assert page.locator("#upload-status img, #upload-status script").count() == 0
    assert_nothing_ran(page)


def test_payload_briefing_shows_as_text(page: Any, served: tuple[Any, str]) -> None:  # noqa: F811
    topic = f"the {TOPIC} vote {PAYLOADS[0]} {PAYLOADS[3]}"
    page.get_by_role("tab", name="Briefing").click()
    page.locator("#brief-topic textarea").fill(topic)
    page.locator("#brief-go").click()
    out = page.locator("#brief-out .briefing")
    out.wait_for()
    assert words(out.locator("h2").inner_text()) == words(f"Briefing: {topic}")
    b = served[0].brief(topic)
    assert b.key_points
    lines = [words(t) for t in out.locator("ul").first.locator("li").all_inner_texts()]
    for q, line in zip(b.key_points, lines, strict=True):
        assert words(f"“{q.text}”") in line
    sources = out.locator("ul.answer-sources li")
    links = sources.locator("a").evaluate_all("els => els.map(a => a.getAttribute('href'))")
    urls = [a.url for a in map(served[0].article, {q.ref.article_id for q in b.quotes()}) if a]
    assert sorted(links) == sorted(u for u in urls if u)
    assert_nothing_ran(page)

    # the downloaded page, opened on its own, runs nothing either
    with page.expect_download() as got:
        page.locator("#brief-html").click()
    html_page = Path(got.value.path()).read_text(encoding="utf-8")
    assert PAYLOADS[0] not in html_page and "&lt;script&gt;window.__xss=1" in html_page
    page.set_content(html_page)
    assert words(page.locator("h2").inner_text()) == words(f"Briefing: {topic}")
    assert page.locator("script, img, iframe, svg").count() == 0
    assert page.evaluate("window.__xss") is None and page.dialogs == []  # type: ignore[attr-defined]
