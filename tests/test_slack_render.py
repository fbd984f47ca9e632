"""Slack Block Kit rendering (pure), the bot's SQLite state, and the bot's small parsers."""

from __future__ import annotations

import logging
from datetime import date

import pytest

from assistant.errors import QuestionError
from assistant.feedback import BotState
from assistant.render import slack as r
from assistant.slackbot import history_from_replies, parse_brief, strip_mentions
from assistant.types import Answer, ArticleRef, Chunk, Filters, Passage, Quote, Turn

REF = ArticleRef(
    "a1",
    'Talks & <terms>: a "hard" (first) look',
    "Wire & Co <Intl>",
    date(2022, 6, 16),
    'https://example.org/news/talks_(2022)?q="x y"&page=2|3',
)


def quote(
    text: str, n: int = 1, speaker: str | None = "John Kirby", ref: ArticleRef = REF
) -> Quote:
    return Quote(text, ref, 10, 10 + len(text), speaker, 0.9, n)


def answer(quotes: list[Quote], **kw: object) -> Answer:
    return Answer("q?", tuple(quotes), (), False, 0.9, **kw)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- escaping, links
def test_escape_handles_the_three_control_characters_once() -> None:
    assert r.escape("a & b < c > d &amp;") == "a &amp; b &lt; c &gt; d &amp;amp;"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            'https://example.org/news/talks_(2022)?q="x y"&page=2|3',
            "https://example.org/news/talks_(2022)?q=%22x%20y%22&amp;page=2%7C3",
        ),
        (
            "https://en.wikipedia.org/wiki/Kirby_(surname)",
            "https://en.wikipedia.org/wiki/Kirby_(surname)",
        ),
        ("https://x.org/it's<b>", "https://x.org/it's%3Cb%3E"),
        ("javascript:alert(1)", None),
        ("ftp://x.org/a", None),
        ("", None),
    ],
)
def test_safe_url_keeps_parentheses_and_encodes_what_breaks_slack_links(
    url: str, expected: str | None
) -> None:
    assert r.safe_url(url) == expected


def test_link_escapes_label_and_drops_unsafe_targets() -> None:
    assert (
        r.link("https://x.org/a_(b)", "A & B <c>|d")
        == "<https://x.org/a_(b)|A &amp; B &lt;c&gt;¦d>"
    )
    assert r.link("javascript:alert(1)", "x<y") == "x&lt;y"
    assert r.link(None, "plain") == "plain"


def test_quote_block_escapes_text_speaker_outlet_title_and_links_the_article() -> None:
    blocks = r.quote_blocks(quote("Russia <must> show intent & resolve.", speaker="A & B"))
    assert blocks == [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": "> “Russia &lt;must&gt; show intent &amp; resolve.”\n"
                "> — *A &amp; B* · "
                "<https://example.org/news/talks_(2022)?q=%22x%20y%22&amp;page=2%7C3"
                '|Talks &amp; &lt;terms&gt;: a "hard" (first) look — Wire &amp; Co &lt;Intl&gt;, '
                "2022-06-16> [1]",
                "verbatim": True,
            },
        }
    ]


def test_article_link_template_points_at_the_web_chat_article_view() -> None:
    q = quote("Words.", speaker=None)
    line = r.attribution(
        q, "http://127.0.0.1:7860/api/articles/{article_id}?start={start}&end={end}"
    )
    assert line == (
        "— <http://127.0.0.1:7860/api/articles/a1?start=10&amp;end=16|Talks &amp; &lt;terms&gt;: "
        'a "hard" (first) look — Wire &amp; Co &lt;Intl&gt;, 2022-06-16> [1]'
    )


# --------------------------------------------------------------------------- limits
def _section_texts(messages: list[r.Message]) -> list[str]:
    return [b["text"]["text"] for m in messages for b in m["blocks"] if b["type"] == "section"]


def test_a_long_quote_is_split_into_sections_of_at_most_3000_characters() -> None:
    words = [f"w{i}&" for i in range(2000)]  # 20,889 characters once escaped
    text = " ".join(words)
    blocks = r.quote_blocks(quote(text))
    texts = [b["text"]["text"] for b in blocks]
    # seven sections of quote; the attribution no longer fits the seventh, so an eighth
    assert len(texts) == 8 and texts[-1].startswith("> — *John Kirby*")
    assert all(len(t) <= r.SECTION_CHARS for t in texts)
    assert all(t.startswith("> ") for t in texts)
    # nothing lost or cut inside a word or an escape
    body = " ".join(t.split("\n")[0].removeprefix("> ") for t in texts[:-1])
    assert body == "“" + r.escape(text) + "”"
    assert texts[-1].endswith("2022-06-16> [1]")


def test_more_than_50_blocks_go_to_further_messages_buttons_on_the_last() -> None:
    quotes = [quote(f"Statement number {i}.", i) for i in range(1, 61)]
    msgs = r.answer_messages(answer(quotes), "ans1")
    assert [len(m["blocks"]) for m in msgs] == [50, 11]
    assert msgs[1]["blocks"][-1]["type"] == "actions"
    assert msgs[1]["blocks"][-1]["elements"][0]["value"] == "ans1"
    assert msgs[0]["text"] == "Statement number 1."
    assert msgs[1]["text"] == "(continued, part 2 of 2)"
    assert _section_texts(msgs)[59].startswith("> “Statement number 60.”")


def test_messages_stay_under_12000_characters_of_text() -> None:
    quotes = [quote("x " * 1200, i) for i in range(1, 13)]  # ~2,500 characters each
    msgs = r.answer_messages(answer(quotes), "ans2")
    sizes = [sum(len(t) for t in _section_texts([m])) for m in msgs]
    assert len(msgs) == 3
    assert all(s <= r.MESSAGE_CHARS for s in sizes)
    assert sum(len(m["blocks"]) for m in msgs) == 13


def test_header_and_section_limits() -> None:
    assert len(r.header("t" * 400)["text"]["text"]) == r.HEADER_CHARS
    with pytest.raises(ValueError, match="limit is 3000"):
        r.section("x" * 3001)


# --------------------------------------------------------------------------- answers
def test_abstention_says_the_sources_dont_say_and_lists_closest_passages() -> None:
    ref = ArticleRef("a2", "A <b>", "Outlet", None, "https://x.org/a")
    p = Passage(Chunk("c", "a2", 0, 0, 20, "Some & text <here>."), ref, 0.1)
    a = Answer("q?", (), (p,), True, 0.1, filters=Filters(("Outlet",), date(2022, 1, 1)))
    msgs = r.answer_messages(a, "ans3")
    blocks = msgs[0]["blocks"]
    assert msgs[0]["text"] == "The sources don't say."
    assert blocks[0]["text"]["text"] == "*The sources don't say.*"
    assert (
        blocks[2]["text"]["text"]
        == "• Some &amp; text &lt;here&gt;. (<https://x.org/a|A &lt;b&gt; — Outlet>)"
    )
    assert blocks[3] == r.context("Scope: outlets: Outlet; since 2022-01-01")


def test_llm_prose_comes_first_with_bold_converted_and_escaped() -> None:
    a = answer([quote("Q.")], text="Russia wants **guarantees** & <checks> [1].", mode="llm")
    blocks = r.answer_blocks(a)
    assert blocks[0]["text"]["text"] == "Russia wants *guarantees* &amp; &lt;checks&gt; [1]."
    assert blocks[1]["text"]["text"].startswith("> “Q.”")


def test_share_button_only_when_asked() -> None:
    with_share = r.buttons("id9", share=True)[0]["elements"]
    assert [e["action_id"] for e in with_share] == [r.SHARE, r.HELPFUL, r.NOT_HELPFUL]
    assert [e["action_id"] for e in r.buttons("id9")[0]["elements"]] == [r.HELPFUL, r.NOT_HELPFUL]


def test_briefing_messages_have_a_header_key_points_and_positions() -> None:
    msgs = r.briefing_messages(
        "talks & terms", [quote("Point one.")], [("Russia", [quote("Russia says.", 2)])], "b1"
    )
    blocks = msgs[0]["blocks"]
    assert blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Briefing: talks & terms", "emoji": False},
    }
    assert [b.get("text", {}).get("text", "")[:14] for b in blocks[1:7]] == [
        "*Bottom line*",
        "> “Point one.”",
        "",
        "*Positions*",
        "*Russia*",
        "> “Russia says",
    ]
    assert msgs[0]["text"] == "Briefing: talks &amp; terms"


def test_draft_keeps_the_end_of_a_long_draft_within_the_limit() -> None:
    msg = r.draft_message("start " + "word " * 1000 + "end")
    text = msg["blocks"][0]["text"]["text"]
    assert len(text) <= r.SECTION_CHARS and text.startswith("…") and text.endswith("end")


# --------------------------------------------------------------------------- small parsers
def test_parse_brief_since() -> None:
    assert parse_brief("talks with Russia since:2022-06-01") == (
        "talks with Russia",
        date(2022, 6, 1),
    )
    assert parse_brief("  talks  ") == ("talks", None)
    with pytest.raises(QuestionError, match="since:YYYY-MM-DD"):
        parse_brief("talks since:June")


def test_strip_mentions_and_thread_history() -> None:
    assert strip_mentions("<@UBOT> what  about <@U2|bob> Ukraine?") == "what about Ukraine?"
    msgs = [
        {"user": "U1", "text": "<@UBOT> What does Russia require before talks?", "ts": "1.0"},
        {"user": "UBOT", "bot_id": "B1", "text": "Guarantees.", "ts": "2.0"},
        {"user": "U2", "text": "joined", "subtype": "channel_join", "ts": "2.5"},
        {"bot_id": "B9", "text": "another bot", "ts": "2.7"},
        {"user": "U1", "text": "<@UBOT> What about Ukraine?", "ts": "3.0"},
    ]
    assert history_from_replies(msgs, "UBOT", "B1", "3.0") == [
        Turn("What does Russia require before talks?", "Guarantees.")
    ]


# --------------------------------------------------------------------------- state
def test_claims_are_exactly_once_and_survive_a_restart(tmp_path) -> None:  # type: ignore[no-untyped-def]
    s1 = BotState(tmp_path)
    assert s1.claim("event:E1", "msg:C1:1.0")
    assert not s1.claim("event:E1")  # a retry while working
    assert not s1.claim("event:E2", "msg:C1:1.0")  # the same message as another event
    s1.done("event:E1", "msg:C1:1.0")
    s2 = BotState(tmp_path)  # a restart
    assert not s2.claim("event:E1")
    # work a stopped process left unfinished is taken over by the next one
    assert s1.claim("event:E3")
    assert BotState(tmp_path).claim("event:E3")


def test_feedback_records_question_quotes_user_verdict(tmp_path) -> None:  # type: ignore[no-untyped-def]
    s = BotState(tmp_path)
    aid = s.add_answer("ask", "What?", [{"text": "Q."}], [{"text": "t", "blocks": []}], "C1", "U1")
    s.add_feedback(aid, "U2", "helpful")
    s.add_feedback(aid, "U2", "not_helpful")  # a change of mind replaces the verdict
    s.add_feedback(aid, "U3", "helpful")
    rows = s.feedback()
    assert [(x["user"], x["verdict"], x["question"], x["quotes"]) for x in rows] == [
        ("U2", "not_helpful", "What?", [{"text": "Q."}]),
        ("U3", "helpful", "What?", [{"text": "Q."}]),
    ]
    assert rows[0]["answer_id"] == aid and rows[0]["time"].endswith("Z")
    with pytest.raises(ValueError, match="helpful, not_helpful"):
        s.add_feedback(aid, "U2", "meh")


def test_redact_filter_masks_secrets(caplog: pytest.LogCaptureFixture) -> None:
    from assistant.slack import Redact

    rec = logging.LogRecord("x", logging.INFO, "f", 1, "token %s here", ("xoxb-secret-123",), None)
    assert Redact(["xoxb-secret-123"]).filter(rec)
    assert rec.getMessage() == "token [redacted] here"


def test_the_manifest_asks_for_exactly_what_the_bot_uses() -> None:
    import yaml

    from assistant.slack import COMMANDS, EVENTS, SCOPES
    from tests.conftest import ROOT

    manifest = yaml.safe_load((ROOT / "slack" / "manifest.yml").read_text())
    assert manifest["oauth_config"]["scopes"]["bot"] == list(SCOPES)
    events = manifest["settings"]["event_subscriptions"]["bot_events"]
    assert {e.split(".")[0] for e in events} == set(EVENTS)
    assert sorted(e for e in events if e.startswith("message.")) == [
        "message.channels",
        "message.groups",
        "message.im",
    ]
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == list(COMMANDS)
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert manifest["settings"]["interactivity"]["is_enabled"] is True


def test_llm_answer_lists_the_passages_its_prose_cites() -> None:
    refs = [
        ArticleRef(f"a{i}", f"T{i}", "Wire", date(2022, 6, i), f"https://x.org/{i}") for i in (1, 2)
    ]
    ps = tuple(Passage(Chunk(f"c{i}", f"a{i}", 0, 0, 5, "Text."), refs[i - 1], 1.0) for i in (1, 2))
    a = Answer("q?", (), ps, False, 0.9, text="Only the second says so [2].", mode="llm")
    blocks = r.answer_blocks(a)
    assert blocks[-1] == {
        "type": "context",
        "elements": [
            {"type": "mrkdwn", "text": "Sources:"},
            {"type": "mrkdwn", "text": "[2] <https://x.org/2|T2 — Wire, 2022-06-02>"},
        ],
    }


def test_long_titles_and_urls_cannot_push_a_line_over_the_limit() -> None:
    ref = ArticleRef("a9", "&" * 5000, "<" * 3000, None, "https://x.org/" + "a" * 5000)
    line = r.attribution(Quote("Q.", ref, 0, 2, "S", 1.0, 1))
    assert len(line) < 1200 and "<https" not in line
    assert (
        r.link("https://x.org/" + "b" * 900, "T" * 400)
        == f"<https://x.org/{'b' * 900}|{'T' * 149}…>"
    )


def test_feedback_table_shows_what_users_typed_as_text(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from assistant.cli import app

    s = BotState(tmp_path)
    aid = s.add_answer("ask", "Is [bold]this[/bold] markup?", [], [], "C1", "U[red]1")
    s.add_feedback(aid, "U[red]1", "helpful")
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COLUMNS", "200")  # one line per row
    out = CliRunner().invoke(app, ["feedback"])
    assert out.exit_code == 0, out.output
    assert "Is [bold]this[/bold] markup?" in out.output
    assert "U[red]1" in out.output and "1 verdicts" in out.output
