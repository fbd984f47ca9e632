"""The web chat in a real browser: Debian's chromium driven by Playwright, app on 127.0.0.1.

Set ``SCREENSHOTS=docs/screenshots`` to refresh the screenshots used in the docs.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.types import Answer, Article, ArticleRef, Chunk, Passage, Quote
from assistant.webview import answer_html, article_html, highlight, question_html
from tests.conftest import CORPUS, make_settings
from tests.fake_llm import FakeLLM, good_reply, with_llm
from tests.test_api import DESIGN_Q, NEW_ARTICLE, serve_in_thread

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
XSS = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
XSS_ARTICLE = f"""---
title: "Harbour bridge vote {XSS}"
source: "Evil {IMG} Gazette"
---
Mayor Jane Doe said the harbour bridge vote {XSS} will happen in March after the council review.
She added that {IMG} the harbour bridge budget is fully funded by the port authority.
"""
TIMEOUT = 60_000


# --------------------------------------------------------------------------- pure rendering
def _quote(text: str, start: int = 0, speaker: str | None = "Jane Doe") -> Quote:
    ref = ArticleRef("a1", f"T {XSS}", f"S {IMG}", None, "javascript:alert(1)")
    return Quote(text, ref, start, start + len(text), speaker=speaker, citation=1)


def test_answer_html_escapes_everything() -> None:
    q = _quote(f"He said {XSS} and {IMG}.", speaker=f"Mr {IMG}")
    chunk = Chunk("c", "a1", 0, 0, 10, f"x {XSS}")
    answer = Answer("q", (q,), (Passage(chunk, q.ref, 1.0),), False, 1.0, "")
    out = answer_html(answer, 0) + question_html(f"why {XSS}?")
    assert "<script" not in out and "<img" not in out and "javascript:" not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert 'href="#cite-0-q-0"' in out and "\n\n" not in out


def test_highlight_marks_spans_in_their_paragraph() -> None:
    text = f"First para.\nSecond {XSS} quoted here. Tail.\n\nThird."
    start = text.index("Second")
    end = text.index(" Tail")
    body, marks = highlight(text, [(start, end, "cited")])
    assert marks == 1
    assert f'<p data-start="{start}" class="focus">' in body
    assert (
        '<mark class="cited">Second &lt;script&gt;alert(1)&lt;/script&gt; quoted here.</mark>'
        in body
    )
    assert body.count("<p ") == 3


def test_highlight_marks_who_said_it_inside_the_quote() -> None:
    text = "Intro.\nKlimov <b> suggested that talks are hard. Tail."
    start, end = text.index("Klimov"), text.index(" Tail")
    spans = [(start, end, "cited"), (start, start + 6, "speaker"), (start + 11, start + 20, "cue")]
    body, marks = highlight(text, spans)
    assert marks == 3 and body.count('<mark class="cited">') == 1  # one mark for the quote
    assert (
        '<mark class="cited"><mark class="speaker">Klimov</mark> &lt;b&gt; '
        '<mark class="cue">suggested</mark> that talks are hard.</mark> Tail.' in body
    )


def test_highlight_splits_a_span_across_paragraphs() -> None:
    text = "One two.\nThree four."
    body, marks = highlight(text, [(4, 15, "cited"), (0, 3, "also")])
    assert marks == 3 and body.count('class="focus"') == 2


def test_article_html_links_only_http_urls() -> None:
    art = Article("a1", f"T {XSS}", "Body.", source="S", url="javascript:alert(1)")
    assert "javascript" not in article_html(art, [], "k")
    art = Article("a1", "T", "Body.", source="S", url='https://x.org/"><script>')
    out = article_html(art, [], "k")
    assert 'href="https://x.org/&quot;&gt;&lt;script&gt;"' in out


# --------------------------------------------------------------------------- browser
@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Iterator[tuple[Any, str]]:
    """The app over a fresh store with the seed corpus: (assistant, base URL)."""
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is missing: `make chromium` installs Debian's chromium")
    from assistant.service import Assistant
    from assistant.web import build_app

    assistant = Assistant(make_settings(tmp_path_factory.mktemp("web") / "data"), embedder=embedder)
    assert assistant.ingest([str(CORPUS)]).added == 1
    with serve_in_thread(build_app(assistant)) as url:
        yield assistant, url


@pytest.fixture(scope="module")
def browser(served: tuple[Any, str]) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, served: tuple[Any, str]) -> Iterator[Any]:
    ctx = browser.new_context(viewport={"width": 1360, "height": 900})
    pg = ctx.new_page()
    pg.set_default_timeout(TIMEOUT)
    pg.dialogs = []  # type: ignore[attr-defined]
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))  # type: ignore[attr-defined]
    pg.goto(served[1] + "/")
    pg.locator("#question textarea").wait_for()
    yield pg
    ctx.close()


def shoot(page: Any, name: str) -> None:
    folder = os.environ.get("SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / name))


def ask(page: Any, question: str, answers: int = 1) -> Any:
    """Type a question, press Ask, wait for answer number ``answers``; return its element."""
    page.locator("#question textarea").fill(question)
    page.locator("#ask").click()
    done = page.locator("#chat .answer:not(.streaming):not(:has(.pending))")
    done.nth(answers - 1).wait_for()
    return done.nth(answers - 1)


def words(text: str) -> str:
    return " ".join(text.split())


def test_ask_then_open_the_citation_in_its_article(page: Any) -> None:
    answer = ask(page, DESIGN_Q)
    first = answer.locator("blockquote.quote").first
    assert "Officials from the Russian side" in first.locator(".quote-text").inner_text()
    by = first.locator(".quote-by").inner_text()
    assert "Russian" in by or "Kremlin" in by
    cite = first.locator("a.cite")
    assert cite.inner_text() == "[1]"
    assert page.locator("#sources-panel .passage-item").count() >= 1
    answer.locator("blockquote.quote").first.scroll_into_view_if_needed()
    shoot(page, "chat.png")

    cite.click()
    mark = page.locator("#sources-panel mark.cited")
    mark.wait_for()
    quoted = words(first.locator(".quote-text").inner_text()).strip("“”")
    assert words(mark.inner_text()) == quoted
    panel = page.locator("#sources-panel")
    assert "White House says conditions" in panel.locator(".source-title").inner_text()
    assert "DEA News" in panel.locator(".source-meta").inner_text()
    page.wait_for_timeout(600)  # the smooth scroll to the highlight
    shoot(page, "sources.png")

    page.locator("#sources-panel a.passage").nth(1).click()
    page.locator("#sources-panel mark.passage").first.wait_for()


CONTRAST = """(el) => {
  const rgb = (c) => c.match(/[\\d.]+/g).slice(0, 4).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  let bg = el;
  while (bg && (getComputedStyle(bg).backgroundColor === "rgba(0, 0, 0, 0)"
                || rgb(getComputedStyle(bg).backgroundColor)[3] === 0)) bg = bg.parentElement;
  const fg = lum(rgb(getComputedStyle(el).color));
  const back = lum(rgb(bg ? getComputedStyle(bg).backgroundColor : "rgb(255, 255, 255)"));
  return (Math.max(fg, back) + 0.05) / (Math.min(fg, back) + 0.05);
}"""


def test_secondary_text_and_citation_links_are_readable(page: Any) -> None:
    """WCAG AA (4.5:1) for the tagline, the library count, a citation link and the passage
    list's metadata (the theme's subdued grey measured 2.4:1, links 4.3:1)."""
    answer = ask(page, DESIGN_Q)
    for el in (
        page.locator(".brand .tagline"),
        page.locator(".brand .library-stats"),
        answer.locator("a.cite").first,
        page.locator("#sources-panel .passage-meta").first,
    ):
        assert el.evaluate(CONTRAST) >= 4.5, el


def test_an_error_keeps_the_question_and_clears_the_old_passages(page: Any) -> None:
    ask(page, DESIGN_Q)
    assert page.locator("#sources-panel .passage-item").count() >= 1
    long = "Why " + "really " * 400 + "?"  # over the 2,000-character limit
    page.locator("#question textarea").fill(long)
    page.locator("#ask").click()
    page.locator("#chat .answer.error").first.wait_for()
    assert "the limit is 2000" in page.locator("#chat .answer.error").first.inner_text()
    assert page.locator("#question textarea").input_value() == long  # not retyped
    assert page.locator("#sources-panel .passage-item").count() == 0  # not the old answer's
    page.locator("#question textarea").fill("What is the recipe for a sourdough starter?")
    page.locator("#ask").click()
    page.locator("#sources-panel .passages-used h4").wait_for()
    assert page.locator("#sources-panel .passages-used h4").inner_text() == (
        "Closest passages (none answers the question)"
    )


@pytest.mark.parametrize("width", [1280, 390])
def test_each_date_filter_shows_its_calendar_button_inside_its_box(page: Any, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.locator("#filters").get_by_text("Filters").click()
    for field in ("#since", "#until", "#as-of"):
        button = page.locator(f"{field} button.calendar")
        button.wait_for()
        inner, outer = button.bounding_box(), page.locator(field).bounding_box()
        assert inner and outer and inner["width"] > 0
        assert (
            outer["x"] <= inner["x"]
            and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + 0.5
        ), field
    page.locator("#filters").get_by_text("Filters").click()  # closed again for the next test


def test_a_date_filter_the_picker_cannot_read_holds_the_question_back(page: Any) -> None:
    page.locator("#filters").get_by_text("Filters").click()
    until = page.locator("#until input.time")
    until.fill("last week")
    until.press("Enter")
    page.locator("#until input.time.invalid").wait_for()
    page.locator("#question textarea").fill(DESIGN_Q)
    page.locator("#ask").click()
    note = page.locator("#date-error")
    note.wait_for()
    assert note.inner_text() == (
        "Published until: “last week” is not a date. Use YYYY-MM-DD (Filters), or clear it."
    )
    page.wait_for_timeout(500)
    assert page.locator("#chat .question").count() == 0  # nothing was asked without the filter
    until.fill("")
    until.press("Enter")
    ask(page, DESIGN_Q)  # cleared: the question goes through and the message goes away
    assert page.locator("#date-error").count() == 0


def test_upload_an_article_then_ask_about_it(page: Any) -> None:
    from playwright.sync_api import expect

    page.locator("#add-articles").get_by_text("Add articles").click()
    page.locator("#upload-files input[type=file]").set_input_files(
        [{"name": "ferry.md", "mimeType": "text/markdown", "buffer": NEW_ARTICLE}]
    )
    expect(page.locator("#upload-files")).to_contain_text("ferry", timeout=TIMEOUT)
    page.locator("#upload-add").click()
    status = page.locator("#upload-status .done")
    status.wait_for()
    assert "Added 1" in status.inner_text() and "searchable" in status.inner_text()
    status.scroll_into_view_if_needed()
    shoot(page, "upload.png")
    answer = ask(page, "When will the new ferry terminal open?")
    assert "ferry terminal" in answer.locator("blockquote.quote").first.inner_text()
    assert "Harbor Gazette" in answer.inner_text()


def test_hostile_article_and_question_render_as_text(
    page: Any, served: tuple[Any, str], tmp_path: Path
) -> None:
    (tmp_path / "xss.md").write_text(XSS_ARTICLE, encoding="utf-8")
    assert served[0].ingest([str(tmp_path / "xss.md")]).added == 1
    answer = ask(page, f"What did Jane Doe say about the harbour bridge vote? {IMG}")
    assert XSS in answer.locator("blockquote.quote").first.inner_text()
    assert IMG in page.locator("#chat .question").last.inner_text()
    answer.locator("a.cite").first.click()
    page.locator("#sources-panel mark.cited").first.wait_for()
    assert XSS in page.locator("#sources-panel .source-title").inner_text()
    assert IMG in page.locator("#sources-panel .source-meta").inner_text()
    page.get_by_text(XSS).first.wait_for()
    # the hostile markup is on the page as text, so no element exists that could run (a
    # script runs, and an <img> fails, only once it is an element: nothing to wait for)
    assert page.locator("#chat script, #sources-panel script").count() == 0
    assert page.locator("#chat [onerror], #sources-panel [onerror], img[src='x']").count() == 0
    assert page.dialogs == []  # type: ignore[attr-defined]


def test_example_follow_up_copy_and_new_chat(page: Any) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.locator("#chat").get_by_text("What did John Kirby say about negotiations?").click()
    page.locator("#chat .answer:not(:has(.pending))").first.wait_for()
    assert "Kirby" in page.locator("#chat .answer").first.inner_text()
    follow = ask(page, "And what did Klimov say?", answers=2)
    assert "Klimov" in follow.inner_text()
    page.locator("#copy-answer").click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "Klimov" in copied and "Sources" in copied and "<" not in copied
    # the button says it worked, for eyes and for screen readers
    page.locator("#copy-answer.copied").wait_for()
    status = page.locator("#copy-status")
    page.wait_for_function("document.querySelector('#copy-status').textContent.length > 0")
    assert status.inner_text() == "Answer copied to the clipboard."
    # a chat message's accessible name is its text, not its HTML markup
    labels = page.locator("#chat [aria-label]").evaluate_all(
        "els => els.map(e => e.getAttribute('aria-label'))"
    )
    assert labels and not [x for x in labels if "<" in x], labels[:2]
    assert "user's message: What did John Kirby say about negotiations?" in labels
    # a message holding "<" is relabelled once, not on every frame (it looped)
    ask(page, "Did Kirby say talks are < 1 month away?", answers=3)
    page.wait_for_timeout(500)
    writes = page.evaluate(
        """() => new Promise(done => {
          let n = 0;
          const seen = new MutationObserver(records => { n += records.length; });
          seen.observe(document.querySelector('#chat'), {subtree: true, attributes: true,
                                                          attributeFilter: ['aria-label']});
          setTimeout(() => { seen.disconnect(); done(n); }, 1000);
        })"""
    )
    assert writes == 0
    labels = page.locator("#chat [aria-label]").evaluate_all(
        "els => els.map(e => e.getAttribute('aria-label'))"
    )
    assert "user's message: Did Kirby say talks are < 1 month away?" in labels
    page.locator("#new-chat").click()
    page.locator("#chat .answer").first.wait_for(state="detached")
    assert page.locator("#sources-panel .empty").count() == 1


TRAM_ARTICLE = """---
title: Harbour tram line opens in June
source: Bay Courier
published: 2024-05-02
---
Transport director Ana Silva said the harbour tram line will open to passengers in June after \
the last safety tests. Silva added that trams will run every eight minutes at peak hours.
"""


def test_filters_restrict_the_answer(page: Any, served: tuple[Any, str], tmp_path: Path) -> None:
    """Its own article and outlet: no other test's upload is needed or in the way."""
    (tmp_path / "tram.md").write_text(TRAM_ARTICLE, encoding="utf-8")
    assert served[0].ingest([str(tmp_path / "tram.md")]).added == 1
    page.reload()
    page.locator("#filters").get_by_text("Filters").click()
    page.locator("#outlets input").click()
    page.get_by_role("option", name="Bay Courier").click()
    page.keyboard.press("Escape")
    question = "When will the harbour tram line open?"
    answer = ask(page, question)
    assert "Bay Courier" in answer.inner_text() and "DEA News" not in answer.inner_text()
    page.locator("#until input.time").fill("2024-05-01")  # the tram story is from 2024-05-02
    page.locator("#until input.time").press("Enter")
    answer = ask(page, question, answers=2)
    assert answer.inner_text().startswith(
        "No articles match the filters: source Bay Courier; published on or before 2024-05-01."
    )


def test_llm_answer_streams_then_shows_verified_quotes(
    browser: Any,
    served: tuple[Any, str],
    fake: FakeLLM,
) -> None:
    from assistant.web import build_app

    fake.script = good_reply
    with serve_in_thread(build_app(with_llm(served[0], fake))) as url:
        ctx = browser.new_context(viewport={"width": 1360, "height": 900})
        pg = ctx.new_page()
        pg.set_default_timeout(TIMEOUT)
        pg.goto(url + "/")
        pg.locator("#filters").get_by_text("Filters").click()
        assert pg.locator("#mode").get_by_role("radio", name="LLM").is_checked()
        answer = ask(pg, DESIGN_Q)
        prose = answer.locator(".llm-text")
        assert "Russian officials frame negotiations" in prose.inner_text()
        assert prose.locator("a.cite").count() == 2
        assert "credible path to peace" in answer.locator("blockquote.quote").first.inner_text()
        assert fake.answers()[-1]["body"]["stream"] is True  # the page asked for tokens
        prose.locator("a.cite").first.click()
        pg.locator("#sources-panel mark.passage").first.wait_for()
        ctx.close()


@pytest.mark.slow
def test_sigterm_stops_a_running_upload_ingest(tmp_path: Path) -> None:
    """`assistant web` gets SIGTERM while an upload of 2000 articles is being ingested: it stops
    reading, exits, and the store holds only whole articles."""
    import json
    import os
    import signal
    import subprocess
    import sys

    import httpx

    from tests.conftest import ROOT, free_port

    port = free_port()
    data = tmp_path / "data"
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(data), "ASSISTANT_UPLOAD_MAX_MB": "5"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", "web", "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        rows = "\n".join(
            json.dumps({"id": f"a{i}", "text": f"Story {i}: the harbor reopened on day {i}, "
                        "the port director said, and traffic resumed. " * 3})
            for i in range(2000)
        )  # fmt: skip
        result: dict[str, object] = {}

        def upload() -> None:
            try:
                r = httpx.post(
                    base + "/api/ingest",
                    files=[("files", ("many.jsonl", rows.encode()))],
                    timeout=300,
                )
                result["status"] = r.status_code
                result["body"] = r.text[:300]
            except httpx.HTTPError as e:
                result["error"] = type(e).__name__

        t = threading.Thread(target=upload)
        t.start()
        for _ in range(600):  # until the first articles are stored
            if httpx.get(base + "/api/sources", timeout=10).json():
                break
            time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=240) is not None
        t.join(60)
    finally:
        if proc.poll() is None:
            proc.kill()
    out = proc.stdout.read().decode() if proc.stdout else ""
    assert result.get("status") in (503, None), (result, out[-2000:])  # stopped or closed
    from assistant.service import Assistant
    from assistant.settings import Settings

    a = Assistant(Settings(data_dir=data))
    stored = a.sources()
    assert 0 < len(stored) < 2000  # it stopped before reading everything
    assert all(s.n_chunks >= 1 for s in stored)
    assert a.store.chunk_count() == sum(s.n_chunks for s in stored)


def test_briefing_tab_shows_positions_and_downloads_the_page(page: Any) -> None:
    page.get_by_role("tab", name="Briefing").click()
    page.locator("#brief-topic textarea").fill("talks between Russia and the United States")
    page.locator("#brief-go").click()
    out = page.locator("#brief-out .briefing")
    out.wait_for()
    assert [h.inner_text() for h in out.locator("h3").all()][:2] == ["Bottom line", "Positions"]
    russia = out.locator("h4", has_text="Russia").locator("xpath=following-sibling::ul[1]")
    assert "provided there is a demonstrated intent to bring the war to a close" in words(
        russia.inner_text()
    )
    assert "(the article’s words)" in out.locator("ul").first.inner_text()
    # a citation opens its article beside the briefing, the quote highlighted in it
    assert "Every line of a briefing is a quote" in page.locator("#brief-panel").inner_text()
    line = russia.locator("li").first
    line.locator("a.cite").click()
    mark = page.locator("#brief-panel mark.cited")
    mark.wait_for()
    assert words(mark.inner_text()) in words(line.inner_text())
    assert len(words(mark.inner_text())) > 40
    assert "White House says conditions" in page.locator("#brief-panel .source-title").inner_text()
    kicker = page.locator("#brief-panel .source-kicker").inner_text()
    assert kicker.startswith(line.locator("a.cite").inner_text())
    assert page.locator("#sources-panel mark.cited").count() == 0  # the chat's panel is not used
    with page.expect_download() as got:
        page.locator("#brief-html").click()
    html_page = Path(got.value.path()).read_text(encoding="utf-8")
    assert html_page.startswith("<!doctype html>") and "<h4>Russia</h4>" in html_page
    shoot(page, "briefing.png")
    page.locator("#brief-topic textarea").fill(" ")
    page.locator("#brief-go").click()
    page.locator("#brief-out .error").wait_for()
    assert "the question is empty" in page.locator("#brief-out").inner_text()
