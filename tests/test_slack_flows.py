"""Slack flows beyond a mention: /ask and /brief with Share, feedback buttons and their export,
LLM streaming (chat.startStream, or chat.update of a placeholder), Socket Mode over a local
WebSocket server, 50 mentions at once, and tokens kept out of the logs.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import queue
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from typer.testing import CliRunner

from assistant.errors import ConfigError
from assistant.render import slack as render
from assistant.slack import SlackApp, SlackEnv, _bolt
from tests import slack_fake as sf
from tests.conftest import ROOT, free_port, make_settings
from tests.fake_llm import Hang, good_reply, with_llm
from tests.slack_fake import (
    APP_TOKEN,
    BOT_TOKEN,
    QUESTION,
    SIGNING_SECRET,
    TEAM,
    FakeSlack,
    Running,
    answer_id,
    next_ts,
    start,
    wait_posted,
)

FORM = "application/x-www-form-urlencoded"
_triggers = itertools.count(1)
RUSSIA = "conditions that ensure a credible path to peace, including guarantees and verification"


@pytest.fixture(scope="module")
def slack() -> Iterator[FakeSlack]:
    fake, server = sf.start_fake(free_port())
    yield fake
    server.shutdown()


@pytest.fixture(autouse=True)
def _reset(request: pytest.FixtureRequest) -> None:
    if "slack" in request.fixturenames:
        request.getfixturevalue("slack").reset()


@pytest.fixture(scope="module")
def bot(
    seeded: Any, slack: FakeSlack, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Running]:
    running = start(seeded, slack, make_settings(tmp_path_factory.mktemp("flows")))
    yield running
    running.stop()


def command(name: str, text: str, response_url: str = "", user: str = "U0000002") -> str:
    return urlencode(
        {
            "token": "legacy-verification-token",
            "team_id": TEAM,
            "channel_id": "C0000001",
            "user_id": user,
            "command": name,
            "text": text,
            "response_url": response_url,
            "trigger_id": f"1337.{next(_triggers)}.abcd",
        }
    )


def click(action_id: str, aid: str, user: str, response: str) -> str:
    payload = {
        "type": "block_actions",
        "token": "legacy-verification-token",
        "api_app_id": "A0000001",
        "team": {"id": TEAM},
        "user": {"id": user},
        "channel": {"id": "C0000001"},
        "container": {"type": "message", "channel_id": "C0000001", "is_ephemeral": True},
        "trigger_id": f"1337.{next(_triggers)}.abcd",
        "response_url": response,
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": f"answer:{aid}",
                "value": aid,
                "action_ts": "1.2",
            }
        ],
    }
    return urlencode({"payload": json.dumps(payload)})


def ephemerals(fake: FakeSlack, n: int = 1) -> list[sf.Call]:
    fake.wait(lambda _c: len(fake.of("chat.postEphemeral")) >= n)
    return fake.of("chat.postEphemeral")


# --------------------------------------------------------------------------- /ask, share, feedback
def test_ask_command_is_ephemeral_then_shared_then_rated(
    bot: Running, slack: FakeSlack, seeded: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = bot.post(command("/ask", QUESTION, f"{slack.url}/response/cmd"), FORM)
    assert r.status_code == 200 and r.text == ""
    [eph] = ephemerals(slack)
    assert (eph.args["channel"], eph.args["user"]) == ("C0000001", "U0000002")
    aid = answer_id(eph)
    answer = seeded.ask(QUESTION)
    assert eph.args["blocks"] == render.answer_messages(answer, aid, share=True)[0]["blocks"]
    assert [e["text"]["text"] for e in eph.args["blocks"][-1]["elements"]] == [
        "Share in channel",
        "Helpful",
        "Not helpful",
    ]
    # Share in channel: posted for everyone, with who shared it; the ephemeral one removed
    share = click(render.SHARE, aid, "U0000002", f"{slack.url}/response/share1")
    assert bot.post(share, FORM).status_code == 200
    [public] = wait_posted(slack, channel="C0000001")
    assert "thread_ts" not in public.args
    expected = render.answer_messages(answer, aid)[0]["blocks"]
    assert public.args["blocks"] == [render.context("Shared by <@U0000002>"), *expected]
    slack.wait(lambda _c: len(slack.of("response_url")) >= 1)
    assert slack.of("response_url")[0].args == {"path": "/response/share1", "delete_original": True}
    # feedback from two people, recorded and exported
    for user, action in (("U0000003", render.HELPFUL), ("U0000004", render.NOT_HELPFUL)):
        assert (
            bot.post(click(action, aid, user, f"{slack.url}/response/{user}"), FORM).status_code
            == 200
        )
    slack.wait(lambda _c: len(slack.of("response_url")) >= 3)
    thanks = {c.args["path"]: c.args["text"] for c in slack.of("response_url")[1:]}
    assert thanks == {
        "/response/U0000003": "Thanks, noted as helpful.",
        "/response/U0000004": "Thanks, noted as not helpful.",
    }
    from assistant.cli import app

    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(bot.app.bot.settings.data_dir))
    out = CliRunner().invoke(app, ["feedback", "--json"])
    assert out.exit_code == 0, out.output
    rows = sorted(json.loads(out.stdout), key=lambda x: x["user"])  # the clicks ran in parallel
    assert [(x["answer_id"], x["question"], x["user"], x["verdict"]) for x in rows] == [
        (aid, QUESTION, "U0000003", "helpful"),
        (aid, QUESTION, "U0000004", "not_helpful"),
    ]
    assert [q["text"] for q in rows[0]["quotes"]] == [q.text for q in answer.quotes]


def test_a_replayed_command_or_click_is_not_acted_on_twice(bot: Running, slack: FakeSlack) -> None:
    body = command("/ask", QUESTION, f"{slack.url}/response/replay")
    headers = sf.sign(body)
    assert bot.post(body, FORM, headers).status_code == 200
    [eph] = ephemerals(slack)
    assert (
        bot.post(body, FORM, headers).status_code == 200
    )  # the same request, captured and re-sent
    vote = click(render.HELPFUL, answer_id(eph), "U0000005", f"{slack.url}/response/vote")
    vote_headers = sf.sign(vote)
    assert bot.post(vote, FORM, vote_headers).status_code == 200
    assert bot.post(vote, FORM, vote_headers).status_code == 200
    assert bot.app.bot.wait_idle(60)
    assert len(slack.of("chat.postEphemeral")) == 1
    assert [c.args["path"] for c in slack.of("response_url")] == ["/response/vote"]


def test_brief_command_with_and_without_since(bot: Running, slack: FakeSlack, seeded: Any) -> None:
    topic = "talks between Russia and the US"
    bot.post(command("/brief", topic, f"{slack.url}/response/b1"), FORM)
    [eph] = ephemerals(slack)
    b = seeded.brief(topic)
    positions = [(p.party, p.quotes) for p in b.positions]
    expected = render.briefing_messages(topic, b.key_points, positions, answer_id(eph), share=True)
    assert eph.args["blocks"] == expected[0]["blocks"]
    assert eph.args["blocks"][0]["text"]["text"] == "Briefing: talks between Russia and the US"
    assert any(RUSSIA in blk.get("text", {}).get("text", "") for blk in eph.args["blocks"])
    # since: the seed article has no date, so nothing is left to brief on
    bot.post(command("/brief", f"{topic} since:2022-06-01"), FORM)
    bot.post(command("/brief", f"{topic} since:June"), FORM)
    bot.post(command("/ask", "   "), FORM)
    calls = ephemerals(slack, 4)
    texts = sorted(
        c.args["blocks"][1]["text"]["text"]
        if c.args["blocks"][0]["type"] == "header"
        else c.args["text"]
        for c in calls[1:]
    )
    assert texts == [
        "Sorry: 'June' is not a date: write since:YYYY-MM-DD, e.g. since:2022-06-01",
        "The sources don't cover this topic.",
        "Usage: /ask &lt;question&gt;",
    ]


# --------------------------------------------------------------------------- LLM streaming
def _llm_bot(seeded: Any, fake: Any, slack: FakeSlack, tmp: Path) -> Running:
    fake.script = good_reply
    return start(with_llm(seeded, fake), slack, make_settings(tmp, slack_workers=2))


def test_llm_answer_streams_then_is_replaced_by_the_verified_answer(
    seeded: Any, fake: Any, slack: FakeSlack, tmp_path: Path
) -> None:
    running = _llm_bot(seeded, fake, slack, tmp_path)
    try:
        ts = next_ts()
        running.event(sf.mention(QUESTION, ts))
        slack.wait(lambda calls: any(c.method == "chat.update" for c in calls))
        assert running.app.bot.wait_idle(60)
    finally:
        running.stop()
    [begin] = slack.of("chat.startStream")
    assert {
        k: begin.args[k] for k in ("channel", "thread_ts", "recipient_team_id", "recipient_user_id")
    } == {
        "channel": "C0000001",
        "thread_ts": ts,
        "recipient_team_id": TEAM,
        "recipient_user_id": "U0000001",
    }
    streamed = slack.of("chat.startStream", "chat.appendStream", "chat.stopStream")
    assert [c.method for c in streamed][-1] == "chat.stopStream"
    chunks = [ch for c in streamed for ch in c.args.get("chunks", [])]
    assert {ch["type"] for ch in chunks} == {"markdown_text"}
    draft = "".join(ch["text"] for ch in chunks)
    said = good_reply(fake.answers()[0]["body"]).text
    assert draft == render.draft_markdown(said) and draft.replace("\u2060", "") == said
    [update] = slack.of("chat.update")
    stream_ts = begin.reply["ts"]
    assert all(c.args["ts"] == stream_ts for c in streamed[1:])
    assert update.args["ts"] == stream_ts and update.args["channel"] == "C0000001"
    names = [c.method for c in slack.calls if c.method != "auth.test"]
    assert names[-1] == "chat.update" and "chat.postMessage" not in names
    final = with_llm(seeded, fake).ask(QUESTION)
    assert final.mode == "llm" and not final.fallback
    assert update.args["blocks"] == render.answer_messages(final, answer_id(update))[0]["blocks"]
    assert update.args["blocks"][0]["text"]["text"].startswith(
        "Russian officials frame negotiations"
    )


def test_without_streaming_methods_a_placeholder_is_updated(
    seeded: Any, fake: Any, slack: FakeSlack, tmp_path: Path
) -> None:
    slack.streaming = False  # the workspace answers unknown_method to chat.startStream
    running = _llm_bot(seeded, fake, slack, tmp_path)
    try:
        ts = next_ts()
        running.event(sf.mention(QUESTION, ts))
        slack.wait(lambda calls: any(c.method == "chat.update" for c in calls))
        assert running.app.bot.wait_idle(60)
    finally:
        running.stop()
    [placeholder] = slack.of("chat.postMessage")
    assert placeholder.args["thread_ts"] == ts
    assert placeholder.args["text"] == "Writing the answer…"
    assert placeholder.args["blocks"][1] == render.context(
        "Draft, writing… quotes not yet verified"
    )
    updates = slack.of("chat.update")
    assert {u.args["ts"] for u in updates} == {placeholder.reply["ts"]}
    final = with_llm(seeded, fake).ask(QUESTION)
    assert (
        updates[-1].args["blocks"]
        == render.answer_messages(final, answer_id(updates[-1]))[0]["blocks"]
    )


def test_a_full_queue_gets_a_polite_busy_note_and_nothing_is_lost(
    seeded: Any, fake: Any, slack: FakeSlack, tmp_path: Path
) -> None:
    fake.script = good_reply
    fake.queue.append(Hang(30))  # the first answer waits on the model (1 s timeout, then retry)
    a = with_llm(seeded, fake, llm_timeout=1.0)
    running = start(a, slack, make_settings(tmp_path, slack_workers=1, slack_queue=1))
    try:
        first, second, third = next_ts(), next_ts(), next_ts()
        running.event(sf.mention(QUESTION, first))
        for _ in range(600):  # until the worker is busy with the first (its model hangs)
            if fake.requests:
                break
            threading.Event().wait(0.05)
        running.event(sf.mention(QUESTION, second))  # one of these waits in the queue,
        running.event(sf.mention(QUESTION, third))  # the other finds no place left
        assert running.app.bot.wait_idle(60)
    finally:
        running.stop()
    # the listeners of the 2nd and 3rd run in parallel: whichever came second is told "busy"
    [busy] = [c for c in slack.of("chat.postMessage") if c.args["thread_ts"] in (second, third)]
    assert busy.args["text"] == (
        "I'm answering many questions right now; please ask again in a minute."
    )
    queued = ({second, third} - {busy.args["thread_ts"]}).pop()
    assert {c.args["thread_ts"] for c in slack.of("chat.startStream")} == {first, queued}
    finals = [c for c in slack.of("chat.update") if c.args["blocks"][-1]["type"] == "actions"]
    assert len(finals) == 2
    assert all(
        RUSSIA in " ".join(b.get("text", {}).get("text", "") for b in c.args["blocks"])
        for c in finals
    )


# --------------------------------------------------------------------------- Socket Mode
def test_socket_mode_acks_the_envelope_and_answers(
    seeded: Any, slack: FakeSlack, tmp_path: Path
) -> None:
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.server import ServerConnection, serve

    ts = next_ts()
    envelope = {
        "envelope_id": "57d6a792-4d35-4d0b-b6aa-3361493e1caf",
        "type": "events_api",
        "accepts_response_payload": False,
        "retry_attempt": 0,
        "retry_reason": "",
        "payload": sf.event_body(sf.mention(QUESTION, ts), "EvSOCKET1"),
    }
    received: queue.Queue[dict[str, Any]] = queue.Queue()
    paths: list[str] = []

    def session(ws: ServerConnection) -> None:
        paths.append(ws.request.path if ws.request else "")
        ws.send(
            json.dumps(
                {"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0000001"}}
            )
        )
        ws.send(json.dumps(envelope))
        try:
            for msg in ws:
                received.put(json.loads(msg))
        except ConnectionClosed:
            pass

    port = free_port()
    with serve(session, "127.0.0.1", port) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        slack.ws_url = f"ws://127.0.0.1:{port}/link/?ticket=abc123"
        env = SlackEnv(BOT_TOKEN, "", APP_TOKEN, slack.api_url)
        app = SlackApp(seeded, make_settings(tmp_path), env)
        with pytest.raises(ConfigError, match="HTTP mode needs SLACK_SIGNING_SECRET"):
            app.http_server("127.0.0.1", free_port())  # never serve HTTP without the secret
        handler = app.socket_mode()
        try:
            handler.connect()
            assert received.get(timeout=60) == {
                "envelope_id": "57d6a792-4d35-4d0b-b6aa-3361493e1caf"
            }
            [call] = wait_posted(slack, thread_ts=ts)
            assert app.bot.wait_idle(60)
        finally:
            handler.close()
            app.close()
            server.shutdown()
    [opened] = slack.of("apps.connections.open")
    assert opened.token == APP_TOKEN
    assert paths == ["/link/?ticket=abc123"]
    assert RUSSIA in call.args["blocks"][0]["text"]["text"]
    assert call.token == BOT_TOKEN


# --------------------------------------------------------------------------- load
@pytest.mark.slow
def test_fifty_mentions_at_once_are_all_answered_exactly_once(
    seeded: Any, slack: FakeSlack, tmp_path: Path
) -> None:
    running = start(seeded, slack, make_settings(tmp_path, slack_workers=8, slack_queue=100))
    try:
        stamps = [next_ts() for _ in range(50)]
        with ThreadPoolExecutor(25) as pool:
            codes = list(
                pool.map(lambda t: running.event(sf.mention(QUESTION, t)).status_code, stamps)
            )
        assert codes == [200] * 50
        assert running.app.bot.wait_idle(300)
    finally:
        running.stop()
    threads = [c.args["thread_ts"] for c in slack.of("chat.postMessage")]
    assert sorted(threads) == sorted(stamps)
    assert all(RUSSIA in c.args["blocks"][0]["text"]["text"] for c in slack.of("chat.postMessage"))


@pytest.mark.slow
def test_mentions_during_an_ingest_get_the_same_answer_once_each(
    fresh: Any, slack: FakeSlack, tmp_path: Path
) -> None:
    """The bot answers while the same Assistant ingests 40 unrelated articles: every mention
    answered once, each answer the same as before the ingest, every article added."""
    from tests.conftest import CORPUS

    assert fresh.ingest([str(CORPUS)]).added == 1
    news = tmp_path / "news"
    news.mkdir()
    for i in range(40):
        (news / f"w{i}.md").write_text(
            f"# Weather in town {i}\n\nRain fell on town number {i} for {i + 2} hours on "
            f"Monday. Forecasters expect a dry week {i} after the storm passes.\n",
            encoding="utf-8",
        )
    running = start(fresh, slack, make_settings(tmp_path / "bot", slack_workers=4))
    try:
        first = next_ts()
        running.event(sf.mention(QUESTION, first))
        (before,) = wait_posted(slack, thread_ts=first)
        added: list[int] = []
        ingest = threading.Thread(target=lambda: added.append(fresh.ingest([str(news)]).added))
        ingest.start()
        stamps = [next_ts() for _ in range(20)]
        alive = []
        for ts in stamps:
            alive.append(ingest.is_alive())
            assert running.event(sf.mention(QUESTION, ts)).status_code == 200
        assert any(alive)  # mentions arrived while the ingest was writing
        ingest.join(300)
        assert running.app.bot.wait_idle(300)
    finally:
        running.stop()
    assert added == [40]
    during = [c for c in slack.of("chat.postMessage") if c.args["thread_ts"] in stamps]
    assert sorted(c.args["thread_ts"] for c in during) == sorted(stamps)  # once each

    def content(call: Any) -> list[Any]:  # the feedback buttons carry each answer's own id
        return [b for b in call.args["blocks"] if b["type"] != "actions"]

    assert len(content(before)) >= 2
    assert all(content(c) == content(before) for c in during)
    assert RUSSIA in before.args["blocks"][0]["text"]["text"]


# --------------------------------------------------------------------------- secrets, setup
def test_tokens_never_reach_the_logs_even_at_debug(
    bot: Running, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        ts = next_ts()
        bot.event(sf.mention(QUESTION, ts))
        body = json.dumps(sf.event_body(sf.mention(QUESTION, next_ts()), "EvLOG2"))
        bot.post(body, headers=sf.sign(body, secret="forged"))
        bot.post(command("/ask", QUESTION), FORM)
        wait_posted(slack, thread_ts=ts)
        ephemerals(slack)
        assert bot.app.bot.wait_idle(60)
    text = caplog.text
    assert "chat.postMessage" in text and "Invalid request signature" in text  # debug was on
    for secret in (BOT_TOKEN, APP_TOKEN, SIGNING_SECRET):
        assert secret not in text


def test_cli_runs_the_http_bot_and_keeps_tokens_out_of_its_log(
    slack: FakeSlack, tmp_path: Path
) -> None:
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "ASSISTANT_DATA_DIR": str(tmp_path / "empty"),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
    }
    cmd = [
        sys.executable,
        "-m",
        "assistant.cli",
        "slack",
        "--http",
        "--port",
        str(port),
        "--log-level",
        "debug",
    ]
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        import httpx

        for _ in range(300):
            try:
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.HTTPError:
                threading.Event().wait(0.1)
        ts = next_ts()
        url = f"http://127.0.0.1:{port}/slack/events"
        assert sf.post_event(url, sf.mention(QUESTION, ts)).status_code == 200
        [call] = wait_posted(slack, thread_ts=ts)
    finally:
        proc.terminate()
        _, log = proc.communicate(timeout=30)
    assert (
        call.args["text"]
        == "Sorry: the store is empty: ingest articles first, e.g. `assistant ingest corpus/`"
    )
    assert f"serving Slack events on http://127.0.0.1:{port}/slack/events" in log
    assert "DEBUG" in log
    for secret in (BOT_TOKEN, SIGNING_SECRET):
        assert secret not in log


def test_missing_tokens_and_missing_extra_are_clear_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.cli import app

    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"):
        monkeypatch.delenv(name, raising=False)
    out = CliRunner().invoke(app, ["slack", "--http"])
    assert out.exit_code == 2
    assert "HTTP mode (--http) needs SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET" in " ".join(
        out.output.split()
    )
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    out = CliRunner().invoke(app, ["slack"])
    assert "Socket Mode needs SLACK_APP_TOKEN" in " ".join(out.output.split())
    assert BOT_TOKEN not in out.output
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        out = CliRunner().invoke(app, ["slack", "--http", "--port", str(port)])
    assert out.exit_code == 2
    assert f"cannot serve on 127.0.0.1:{port}" in " ".join(out.output.split())
    monkeypatch.setitem(sys.modules, "slack_bolt", None)
    with pytest.raises(ConfigError, match=r"pip install 'briefing-assistant\[slack\]'"):
        _bolt()
