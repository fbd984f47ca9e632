"""The Slack bot driven for real: the app serves HTTP on 127.0.0.1, tests POST signed payloads
(and forged, stale, retried, duplicated ones), and a local server speaking Slack's Web API
records exactly what the bot sent. Answers come from the real Assistant over corpus/.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest

from assistant.render import slack as render
from assistant.types import Turn
from tests import slack_fake as sf
from tests.conftest import free_port, make_settings
from tests.slack_fake import (
    BOT_TOKEN,
    BOT_USER,
    QUESTION,
    FakeSlack,
    Running,
    answer_id,
    next_ts,
    posted,
    sentinel,
    start,
    wait_posted,
)

RUSSIA_QUOTE = (
    "Officials from the Russian side have framed negotiations as achievable only under "
    "conditions that ensure a credible path to peace, including guarantees and verification "
    "measures that would satisfy Moscow’s strategic concerns."
)


@pytest.fixture(scope="module")
def slack() -> Iterator[FakeSlack]:
    fake, server = sf.start_fake(free_port())
    yield fake
    server.shutdown()


@pytest.fixture(scope="module")
def bot(
    seeded: Any, slack: FakeSlack, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Running]:
    settings = make_settings(
        tmp_path_factory.mktemp("slackbot"),
        slack_workers=4,
        slack_scopes={"CSCOPED": {"sources": ["Nowhere News"]}},
    )
    running = start(seeded, slack, settings)
    yield running
    running.stop()


@pytest.fixture(autouse=True)
def _reset(request: pytest.FixtureRequest) -> None:
    if "slack" in request.fixturenames:
        request.getfixturevalue("slack").reset()


# --------------------------------------------------------------------------- mentions
def test_mention_is_answered_in_its_thread_with_exact_blocks(
    bot: Running, slack: FakeSlack, seeded: Any
) -> None:
    ts = next_ts()
    r = bot.event(sf.mention(QUESTION, ts))
    assert r.status_code == 200 and r.text == ""
    [call] = wait_posted(slack, thread_ts=ts)
    assert call.token == BOT_TOKEN
    assert call.args["channel"] == "C0000001"
    aid = answer_id(call)
    expected = render.answer_messages(seeded.ask(QUESTION), aid)
    assert len(expected) == 1
    assert call.args["blocks"] == expected[0]["blocks"]
    assert call.args["text"] == expected[0]["text"]
    first = call.args["blocks"][0]["text"]["text"]
    assert first == (
        f"> “{RUSSIA_QUOTE}”\n> — *Officials from the Russian side* · White House says "
        "conditions for talks with Russia are not yet in place — DEA News [1]"
    )
    assert [e["action_id"] for e in call.args["blocks"][-1]["elements"]] == [
        "feedback_helpful",
        "feedback_not_helpful",
    ]


def test_retries_duplicates_and_the_message_copy_of_a_mention_are_answered_once(
    bot: Running, slack: FakeSlack
) -> None:
    ts = next_ts()
    event = sf.mention(QUESTION, ts)
    body = json.dumps(sf.event_body(event, "EvRETRY1"))
    assert bot.post(body).status_code == 200
    for n in (1, 2):  # Slack's retries carry the same event_id
        headers = {
            **sf.sign(body),
            "X-Slack-Retry-Num": str(n),
            "X-Slack-Retry-Reason": "http_timeout",
        }
        assert bot.post(body, headers=headers).status_code == 200
    # the same message, delivered again as a `message` event with its own event_id
    copy = sf.message(f"<@{BOT_USER}> {QUESTION}", ts)
    assert bot.event(copy, "EvCOPY1").status_code == 200
    sentinel(bot, slack)
    assert len(posted(slack, thread_ts=ts)) == 1


def test_a_retry_after_a_restart_is_not_answered_again(
    bot: Running, slack: FakeSlack, seeded: Any
) -> None:
    ts = next_ts()
    body = json.dumps(sf.event_body(sf.mention(QUESTION, ts), "EvRESTART1"))
    assert bot.post(body).status_code == 200
    wait_posted(slack, thread_ts=ts)
    fake_settings = bot.app.bot.settings
    again = start(seeded, slack, fake_settings)  # a new process over the same data dir
    try:
        headers = {**sf.sign(body), "X-Slack-Retry-Num": "1"}
        assert again.post(body, headers=headers).status_code == 200
        sentinel(again, slack)
    finally:
        again.stop()
    assert len(posted(slack, thread_ts=ts)) == 1


# --------------------------------------------------------------------------- security
def test_forged_missing_and_stale_signatures_get_401_and_do_nothing(
    bot: Running, slack: FakeSlack
) -> None:
    import time

    ts = next_ts()
    body = json.dumps(sf.event_body(sf.mention(QUESTION, ts), "EvFORGED1"))
    forged = bot.post(body, headers=sf.sign(body, secret="not-the-secret"))
    missing = bot.post(body, headers={})
    stale = bot.post(body, headers=sf.sign(body, timestamp=int(time.time()) - 301))
    tampered = bot.post(body.replace("talks", "peace"), headers=sf.sign(body))
    assert [forged.status_code, missing.status_code, stale.status_code, tampered.status_code] == [
        401
    ] * 4
    cmd = urlencode({"command": "/ask", "text": QUESTION, "user_id": "U1", "channel_id": "C1"})
    assert (
        bot.post(cmd, "application/x-www-form-urlencoded", sf.sign(cmd, secret="x")).status_code
        == 401
    )
    payload = urlencode({"payload": json.dumps({"type": "block_actions", "actions": []})})
    assert bot.post(payload, "application/x-www-form-urlencoded", {}).status_code == 401
    sentinel(bot, slack)
    assert posted(slack, thread_ts=ts) == []
    assert slack.of("chat.postEphemeral") == []
    # a fresh signature on the same (genuine) payload is answered; replaying it is not
    headers = sf.sign(body)
    assert bot.post(body, headers=headers).status_code == 200
    wait_posted(slack, thread_ts=ts)
    assert bot.post(body, headers=headers).status_code == 200
    sentinel(bot, slack)
    assert len(posted(slack, thread_ts=ts)) == 1


def test_an_oversized_body_is_refused_before_anything_reads_it(bot: Running) -> None:
    body = json.dumps({"type": "event_callback", "pad": "x" * (1024 * 1024)})
    r = bot.post(body)
    assert (r.status_code, r.text) == (413, "payload too large")


def test_url_verification_challenge(bot: Running) -> None:
    body = json.dumps(
        {
            "type": "url_verification",
            "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
        }
    )
    r = bot.post(body)
    assert r.status_code == 200
    assert r.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}
    assert bot.post(body, headers={}).status_code == 401


# --------------------------------------------------------------------------- what is ignored
def test_own_bot_subtype_and_unaddressed_messages_are_ignored(
    bot: Running, slack: FakeSlack
) -> None:
    ts = [next_ts() for _ in range(6)]
    bot.event(sf.message(f"<@{BOT_USER}> {QUESTION}", ts[0], user=BOT_USER))
    bot.event(sf.message(f"<@{BOT_USER}> {QUESTION}", ts[1], bot_id="B999"))
    bot.event(sf.message(f"<@{BOT_USER}> {QUESTION}", ts[2], subtype="message_changed"))
    bot.event(sf.message(f"<@{BOT_USER}> has joined", ts[3], subtype="channel_join"))
    bot.event(sf.message(QUESTION, ts[4]))  # a channel message not addressed to the bot
    bot.event(sf.message(QUESTION, ts[5], thread_ts="1600000000.000001"))  # a thread it is not in
    sentinel(bot, slack)
    assert [c.args.get("thread_ts") for c in slack.of("chat.postMessage")] == [
        c.args["thread_ts"] for c in posted(slack, channel="CSENTINEL")
    ]


# --------------------------------------------------------------------------- threads and DMs
def test_follow_up_in_a_thread_uses_the_earlier_turns(
    bot: Running, slack: FakeSlack, seeded: Any
) -> None:
    root = next_ts()
    bot.event(sf.mention(QUESTION, root))
    [first] = wait_posted(slack, thread_ts=root)
    follow = next_ts()
    slack.replies[("C0000001", root)] = [
        {"user": "U0000001", "text": f"<@{BOT_USER}> {QUESTION}", "ts": root},
        {
            "user": BOT_USER,
            "bot_id": sf.BOT_ID,
            "text": first.args["text"],
            "ts": "1690000999.000001",
        },
        {"user": "U0000001", "text": "What about Ukraine?", "ts": follow, "thread_ts": root},
    ]
    # no mention needed: the bot already answered in this thread
    bot.event(sf.message("What about Ukraine?", follow, thread_ts=root))
    calls = wait_posted(slack, 2, thread_ts=root)
    [replies] = slack.of("conversations.replies")
    assert (replies.args["channel"], replies.args["ts"]) == ("C0000001", root)
    history = [Turn(QUESTION, first.args["text"])]
    expected = render.answer_messages(
        seeded.ask("What about Ukraine?", history=history), answer_id(calls[1])
    )
    assert calls[1].args["blocks"] == expected[0]["blocks"]
    assert seeded.ask("What about Ukraine?", history=history).standalone_question == (
        "What does Ukraine require before talks?"
    )


def test_direct_message_is_answered_in_the_dm(bot: Running, slack: FakeSlack) -> None:
    ts = next_ts()
    bot.event(sf.message(QUESTION, ts, channel="D0000001", channel_type="im"))
    [call] = wait_posted(slack, channel="D0000001")
    assert "thread_ts" not in call.args
    assert RUSSIA_QUOTE in call.args["blocks"][0]["text"]["text"]


def test_assistant_thread_gets_prompts_then_a_status_then_the_answer(
    bot: Running, slack: FakeSlack
) -> None:
    thread = next_ts()
    started = {
        "type": "assistant_thread_started",
        "assistant_thread": {
            "user_id": "U0000001",
            "channel_id": "D0000002",
            "thread_ts": thread,
            "context": {},
        },
        "event_ts": thread,
    }
    bot.event(started, "EvSTART1")
    bot.event(started, "EvSTART1")  # retried
    slack.wait(
        lambda calls: any(c.method == "assistant.threads.setSuggestedPrompts" for c in calls)
    )
    ts = next_ts()
    bot.event(sf.message(QUESTION, ts, channel="D0000002", channel_type="im", thread_ts=thread))
    wait_posted(slack, thread_ts=thread)
    assert bot.app.bot.wait_idle(60)
    [prompts] = slack.of("assistant.threads.setSuggestedPrompts")
    assert prompts.args["prompts"] == [
        {"title": "Russia's conditions", "message": "What does Russia require before talks?"},
        {"title": "Kirby on talks", "message": "What did John Kirby say about negotiations?"},
        {"title": "Brief me", "message": "Brief me on talks between Russia and the US"},
    ]
    names = [c.method for c in slack.calls if c.method != "auth.test"]
    statuses = [c.args["status"] for c in slack.of("assistant.threads.setStatus")]
    assert names == [
        "assistant.threads.setSuggestedPrompts",
        "assistant.threads.setStatus",
        "conversations.replies",
        "assistant.threads.setStatus",
        "chat.postMessage",
    ]
    assert statuses == ["is thinking...", "is searching the articles…"]
    status = slack.of("assistant.threads.setStatus")[0].args
    assert status == {"channel_id": "D0000002", "thread_ts": thread, "status": "is thinking..."}


def test_channel_scope_filters_what_may_be_quoted(bot: Running, slack: FakeSlack) -> None:
    ts = next_ts()
    bot.event(sf.mention(QUESTION, ts, channel="CSCOPED"))
    [call] = wait_posted(slack, thread_ts=ts)
    blocks = call.args["blocks"]
    assert blocks[0]["text"]["text"] == (
        "*No articles match the filters: source Nowhere News. No stored article is from Nowhere "
        "News; outlets: DEA News.*"
    )
    assert render.context("Scope: outlets: Nowhere News") in blocks


def test_errors_become_a_short_polite_message_and_details_go_to_the_log(
    bot: Running, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    ts = next_ts()
    bot.event(sf.mention("Что требует Россия перед переговорами?", ts))
    [call] = wait_posted(slack, thread_ts=ts)
    assert call.args["text"].startswith("Sorry: the question is not in English")
    # an unexpected failure (Slack refuses the thread history) -> generic message, log has it
    root, follow = next_ts(), next_ts()
    slack.fail["conversations.replies"] = "internal_error"
    with caplog.at_level(logging.ERROR, logger="assistant.slack"):
        bot.event(sf.mention(QUESTION, follow, thread_ts=root))
        [err] = wait_posted(slack, thread_ts=root)
    assert err.args["text"] == render.ERROR
    assert "internal_error" in caplog.text and "answering ask in C0000001 failed" in caplog.text


ARTICLE = """---
title: "Talks & <terms>: the \\"hard\\" (first) look"
source: "Wire & Co <Intl>"
published: 2022-06-16
url: "https://example.org/news/talks_(2022)?q=\\"x y\\"&page=2"
---
Maria Zakharova said the ceasefire terms & guarantees were "not <acceptable>" to Moscow.
Analysts expect the talks to resume after the summer, when the delegations meet again.
"""


def test_article_text_and_titles_are_escaped_and_links_survive_on_the_wire(
    fresh: Any, slack: FakeSlack, tmp_path: Any
) -> None:
    (tmp_path / "special.md").write_text(ARTICLE, encoding="utf-8")
    assert fresh.ingest([str(tmp_path / "special.md")]).added == 1
    running = start(fresh, slack, make_settings(tmp_path / "bot"))
    question = "What did Maria Zakharova say about the ceasefire terms?"
    try:
        ts = next_ts()
        running.event(sf.mention(question, ts))
        [call] = wait_posted(slack, thread_ts=ts)
    finally:
        running.stop()
    assert call.args["blocks"][0]["text"]["text"] == (
        "> “Maria Zakharova said the ceasefire terms &amp; guarantees were "
        '"not &lt;acceptable&gt;" to Moscow.”\n> — *Maria Zakharova* · '
        "<https://example.org/news/talks_(2022)?q=%22x%20y%22&amp;page=2|Talks &amp; "
        '&lt;terms&gt;: the "hard" (first) look — Wire &amp; Co &lt;Intl&gt;, 2022-06-16> [1]'
    )
    expected = render.answer_messages(fresh.ask(question), answer_id(call))
    assert call.args["blocks"] == expected[0]["blocks"]
    assert call.args["text"].startswith(
        'Maria Zakharova said the ceasefire terms &amp; guarantees were "not &lt;acceptable&gt;"'
    )
