"""Where the web chat scrolls, measured in chromium: real bounding boxes after each action.

- When an answer arrives, the asked question stays in view, at the top of the chat (it used
  to scroll away to the end of the answer).
- A citation click brings the highlighted quote into view, also at 390 px width where the
  sources panel sits far below the chat.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.test_api import DESIGN_Q
from tests.test_web import ask, browser, page, served, shoot  # noqa: F401  (fixtures)

WIDE = {"width": 1360, "height": 900}
PHONE = {"width": 390, "height": 844}


def box(page: Any, selector: str) -> dict[str, float]:  # noqa: F811
    """The element's rectangle in the viewport (CSS pixels)."""
    rect = page.locator(selector).last.bounding_box()
    assert rect is not None, selector
    return {**rect, "bottom": rect["y"] + rect["height"]}


def visible_part(page: Any, selector: str) -> dict[str, float]:  # noqa: F811
    """The part of the viewport the element's nearest scrolling box lets one see."""
    return page.locator(selector).last.evaluate(
        """el => {
          let top = 0, bottom = window.innerHeight;
          for (let p = el.parentElement; p; p = p.parentElement) {
            const y = getComputedStyle(p).overflowY;
            if ((y === "auto" || y === "scroll") && p.scrollHeight > p.clientHeight) {
              const r = p.getBoundingClientRect();
              top = Math.max(top, r.top); bottom = Math.min(bottom, r.bottom);
            }
          }
          return {top, bottom};
        }"""
    )


def settle(page: Any) -> None:  # noqa: F811
    """Wait until nothing on the page has scrolled for 0.6 s (smooth scrolls have ended)."""
    page.wait_for_function(
        """() => new Promise(done => {
          const pos = () => [...document.querySelectorAll("*")]
            .filter(e => e.scrollTop).map(e => e.scrollTop).join() + "/" + window.scrollY;
          const a = pos();
          setTimeout(() => done(pos() === a), 600);
        })""",
        polling=100,
    )


@pytest.mark.parametrize("viewport", [WIDE, PHONE], ids=["1360px", "390px"])
def test_the_question_stays_in_view_when_its_answer_arrives(page: Any, viewport: Any) -> None:  # noqa: F811
    page.set_viewport_size(viewport)
    for n, question in enumerate([DESIGN_Q, "And what did Klimov say?"], start=1):
        answer = ask(page, question, answers=n)
        settle(page)
        q = box(page, "#chat .question")
        seen = visible_part(page, "#chat .question")
        assert seen["top"] <= q["y"] and q["bottom"] <= seen["bottom"], (q, seen)
        assert q["y"] - seen["top"] < 40, (q, seen)  # at the top of the chat, not its end
        a = answer.bounding_box()
        assert a is not None and q["bottom"] - 1 <= a["y"] < seen["bottom"]  # answer below it
        if n == 1:  # too long to show whole with its question: scrolling to its end hid it
            assert a["y"] + a["height"] > seen["bottom"], (a, seen)


@pytest.mark.parametrize("viewport", [WIDE, PHONE], ids=["1360px", "390px"])
def test_a_citation_click_scrolls_the_highlight_into_view(page: Any, viewport: Any) -> None:  # noqa: F811
    page.set_viewport_size(viewport)
    answer = ask(page, DESIGN_Q)
    cite = answer.locator("a.cite").nth(1)  # the second quote: further down its article
    settle(page)
    cite.click()
    page.locator("#sources-panel mark.cited").wait_for()
    page.wait_for_timeout(300)  # the scroll starts on the next frames
    settle(page)
    mark = box(page, "#sources-panel mark.cited")
    seen = visible_part(page, "#sources-panel mark.cited")
    assert seen["top"] <= mark["y"] and mark["bottom"] <= seen["bottom"], (mark, seen)
    header = box(page, "#sources-panel .source-article header")
    assert mark["y"] >= header["bottom"] - 1 or header["bottom"] <= seen["top"]  # not under it
    back = page.locator("#sources-panel .back-to-cite")
    if viewport is PHONE:  # the panel is below the chat: the page itself moved down to it
        assert page.evaluate("window.scrollY") > 300
        shoot(page, "phone-citation.png")
        back.click()  # and a way back up to the citation that opened it
        assert_in_view_after_scrolling(page, "#chat a.cite.active")
        assert page.evaluate("window.scrollY") < 300
    else:  # side by side: the citation never left the screen
        assert not back.is_visible()


def test_a_new_answers_passages_start_at_the_top_of_the_panel(page: Any) -> None:  # noqa: F811
    page.set_viewport_size(WIDE)
    answer = ask(page, DESIGN_Q)
    answer.locator("a.cite").nth(1).click()
    page.locator("#sources-panel mark.cited").wait_for()
    page.wait_for_timeout(300)
    settle(page)
    column = "document.querySelector('#sources-column').scrollTop"
    assert page.evaluate(column) > 0  # the article was scrolled to its highlight
    ask(page, "What did the analysts say?", answers=2)
    page.locator("#sources-panel .passages-used").wait_for()
    settle(page)
    assert page.evaluate(column) == 0  # the new list opens at its heading, not mid-way


def test_a_briefing_citation_on_a_phone_scrolls_down_and_back(page: Any) -> None:  # noqa: F811
    """The Briefing tab's panel sits below the briefing at 390 px: a citation brings the
    highlighted quote into view, and "Back to the citation" returns to the link."""
    page.set_viewport_size(PHONE)
    page.get_by_role("tab", name="Briefing").click()
    page.locator("#brief-topic textarea").fill("talks between Russia and the United States")
    page.locator("#brief-go").click()
    page.locator("#brief-out .briefing").wait_for()
    link = (
        page.locator("#brief-out h4", has_text="Russia")
        .locator("xpath=following-sibling::ul[1]//a[contains(@class, 'cite')]")
        .first
    )
    link.scroll_into_view_if_needed()
    settle(page)
    link.click()
    page.locator("#brief-panel mark.cited").wait_for()
    assert_in_view_after_scrolling(page, "#brief-panel mark.cited")
    page.locator("#brief-panel .back-to-cite").click()
    assert_in_view_after_scrolling(page, "#brief-out a.cite.active")


def assert_in_view_after_scrolling(page: Any, selector: str) -> None:  # noqa: F811
    """Once smooth scrolling has ended, the element is wholly inside what can be seen."""
    page.wait_for_timeout(300)  # the scroll starts on the next frames
    settle(page)
    rect = box(page, selector)
    seen = visible_part(page, selector)
    assert seen["top"] <= rect["y"] and rect["bottom"] <= seen["bottom"], (rect, seen)
