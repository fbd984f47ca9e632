"""The Slack bot's behaviour, without the Slack SDK: what to answer, once, and how.

:mod:`assistant.slack` (the only module importing slack_bolt / slack_sdk) acknowledges each
request and hands the payload to :class:`Bot`, which decides whether to answer, claims the
event so it is answered exactly once, and answers on a bounded worker pool: streaming an LLM
draft when there is one, then posting the verified answer rendered by
:mod:`assistant.render.slack`. The Web API client is passed in (anything with slack_sdk's
``WebClient`` methods), so the logic is plain Python over dicts.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import Any

from assistant.errors import EmptyStoreError, QuestionError
from assistant.feedback import BotState
from assistant.render import slack as render
from assistant.settings import Settings
from assistant.slackdraft import Draft, stream_answer
from assistant.types import Turn

log = logging.getLogger("assistant.slack")

SUGGESTED_PROMPTS = (
    ("Russia's conditions", "What does Russia require before talks?"),
    ("Kirby on talks", "What did John Kirby say about negotiations?"),
    ("Brief me", "Brief me on talks between Russia and the US"),
)
HISTORY_TURNS = 6
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_SINCE = re.compile(r"(?:^|\s)since:(\S+)")
# message subtypes that are a person writing to the bot; everything else is ignored
ANSWERED_SUBTYPES = frozenset({None, "file_share", "thread_broadcast"})

Respond = Callable[[str, dict[str, Any]], None]  # POST a payload to a response_url


def strip_mentions(text: str) -> str:
    """The question without ``<@U123>`` mentions, whitespace folded."""
    return " ".join(_MENTION.sub(" ", text or "").split())


def parse_brief(text: str) -> tuple[str, date | None]:
    """``/brief <topic> [since:YYYY-MM-DD]`` -> (topic, since)."""
    since: date | None = None
    m = _SINCE.search(text or "")
    if m:
        try:
            since = date.fromisoformat(m.group(1))
        except ValueError:
            raise QuestionError(
                f"{m.group(1)!r} is not a date: write since:YYYY-MM-DD, e.g. since:2022-06-01"
            ) from None
        text = text[: m.start()] + " " + text[m.end() :]
    return " ".join(text.split()), since


def history_from_replies(
    messages: Sequence[dict[str, Any]], bot_user: str, bot_id: str, before_ts: str
) -> list[Turn]:
    """Earlier turns of a thread: each person's message and the bot's answer after it."""
    turns: list[Turn] = []
    for m in messages:
        if float(m.get("ts", "0")) >= float(before_ts):
            break
        from_bot = m.get("user") == bot_user or (bot_id and m.get("bot_id") == bot_id)
        if from_bot:
            if turns:
                last = turns[-1]
                turns[-1] = Turn(last.question, (last.answer + "\n" + m.get("text", "")).strip())
        elif not m.get("bot_id") and m.get("subtype") in ANSWERED_SUBTYPES:
            q = strip_mentions(m.get("text", ""))
            if q:
                turns.append(Turn(q))
    return turns[-HISTORY_TURNS:]


@dataclass
class Job:
    """One question to answer and where the answer goes."""

    kind: str  # "ask" or "brief"
    question: str
    channel: str
    user: str
    team: str = ""
    thread_ts: str | None = None  # reply in this thread (None: top level of a DM)
    message_ts: str = ""  # the message asked in (for the history cut-off)
    assistant_thread: bool = False  # a DM thread: show a status while working
    ephemeral: bool = False  # slash command: only the user sees it first
    response_url: str = ""
    since: date | None = None
    keys: tuple[str, ...] = ()


class Bot:
    """Answers Slack events with quoted, attributed answers; everything after the ack."""

    def __init__(
        self,
        assistant: Any,
        client: Any,
        settings: Settings,
        state: BotState,
        bot_user: str,
        bot_id: str = "",
        respond: Respond | None = None,
    ) -> None:
        self.assistant = assistant
        self.client = client
        self.settings = settings
        self.state = state
        self.bot_user = bot_user
        self.bot_id = bot_id
        self.respond = respond
        self.streaming = settings.slack_streaming
        self.pool = ThreadPoolExecutor(settings.slack_workers, thread_name_prefix="slack-answer")
        self.quick = ThreadPoolExecutor(2, thread_name_prefix="slack-quick")
        self._slots = threading.BoundedSemaphore(settings.slack_workers + settings.slack_queue)
        self._pending = 0
        self._idle = threading.Condition()

    def close(self) -> None:
        """Finish the answers in progress and stop the workers."""
        self.pool.shutdown(wait=True)
        self.quick.shutdown(wait=True)

    def wait_idle(self, timeout: float) -> bool:
        """Wait until every queued job is finished; False if ``timeout`` passed first."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    # ------------------------------------------------------------------ events
    def on_event(self, body: dict[str, Any]) -> str:
        """An Events API payload: decide, claim and queue (quick); returns what was done."""
        event = body.get("event") or {}
        etype = event.get("type")
        event_id = body.get("event_id") or ""
        if etype == "assistant_thread_started":
            return self._thread_started(event, event_id)
        if etype == "assistant_thread_context_changed":
            return "noted: the user is viewing another channel"
        if etype not in ("app_mention", "message"):
            return f"ignored {etype}"
        why = self._ignore(event)
        if why:
            return why
        channel = event.get("channel", "")
        ts = event.get("ts", "")
        thread_ts = event.get("thread_ts")
        channel_type = event.get("channel_type", "")
        mentioned = etype == "app_mention" or f"<@{self.bot_user}" in (event.get("text") or "")
        im = channel_type == "im" or channel.startswith("D")
        if not (mentioned or im or (thread_ts and self.state.in_thread(channel, thread_ts))):
            return "ignored: not addressed to the bot"
        keys = (
            (f"event:{event_id}", f"msg:{channel}:{ts}") if event_id else (f"msg:{channel}:{ts}",)
        )
        if not self.state.claim(*keys):
            return "ignored: already answered (retry or duplicate)"
        job = Job(
            kind="ask",
            question=strip_mentions(event.get("text", "")),
            channel=channel,
            user=event.get("user", ""),
            team=body.get("team_id") or event.get("team", ""),
            thread_ts=thread_ts or (None if im else ts),
            message_ts=ts,
            assistant_thread=bool(im and thread_ts),
            keys=keys,
        )
        return self.submit(job)

    def _ignore(self, event: dict[str, Any]) -> str:
        if event.get("bot_id") or event.get("bot_profile"):
            return "ignored: a bot's message"
        if event.get("user") == self.bot_user or not event.get("user"):
            return "ignored: own or userless message"
        if event.get("subtype") not in ANSWERED_SUBTYPES:
            return f"ignored subtype {event.get('subtype')}"
        if not strip_mentions(event.get("text", "")):
            return "ignored: no text"
        return ""

    def _thread_started(self, event: dict[str, Any], event_id: str) -> str:
        thread = event.get("assistant_thread") or {}
        key = f"event:{event_id}"
        if not self.state.claim(key):
            return "ignored: already handled"

        def prompts() -> None:
            try:
                self.client.assistant_threads_setSuggestedPrompts(
                    channel_id=thread.get("channel_id", ""),
                    thread_ts=thread.get("thread_ts", ""),
                    title="Ask about the news: every answer is a verbatim, cited quote.",
                    prompts=[{"title": t, "message": m} for t, m in SUGGESTED_PROMPTS],
                )
            finally:
                self.state.done(key)

        self.defer(prompts)
        return "suggested prompts"

    # ------------------------------------------------------------------ commands
    def on_command(self, body: dict[str, Any]) -> str:
        """``/ask`` and ``/brief``: queued, answered ephemerally with Share."""
        if not self._first(body):
            return "ignored: replayed (trigger_id seen before)"
        command = (body.get("command") or "").lstrip("/")
        text = body.get("text") or ""
        job = Job(
            kind="brief" if command == "brief" else "ask",
            question=text,
            channel=body.get("channel_id", ""),
            user=body.get("user_id", ""),
            team=body.get("team_id", ""),
            ephemeral=True,
            response_url=body.get("response_url", ""),
        )
        if job.kind == "brief":
            try:
                job.question, job.since = parse_brief(text)
            except QuestionError as e:
                msg = render.status_message(f"Sorry: {e}")
                self.defer(lambda: self._say(job, msg))
                return "bad /brief"
        if not job.question.strip():
            usage = (
                "/brief <topic> [since:YYYY-MM-DD]" if job.kind == "brief" else "/ask <question>"
            )
            msg = render.status_message(f"Usage: {usage}")
            self.defer(lambda: self._say(job, msg))
            return "usage"
        return self.submit(job)

    # ------------------------------------------------------------------ buttons
    def on_action(self, body: dict[str, Any]) -> str:
        """Share and feedback buttons: handled off the request thread."""
        if not self._first(body):
            return "ignored: replayed (trigger_id seen before)"
        action = (body.get("actions") or [{}])[0]
        self.defer(lambda: log.info("action: %s", self._action(body)))
        return f"queued {action.get('action_id', '')}"

    def _first(self, body: dict[str, Any]) -> bool:
        """Whether this interaction is new: each has its own trigger_id; a replay reuses it."""
        trigger = body.get("trigger_id")
        if not trigger:
            return True
        key = f"trigger:{trigger}"
        if not self.state.claim(key):
            return False
        self.state.done(key)
        return True

    def _action(self, body: dict[str, Any]) -> str:
        action = (body.get("actions") or [{}])[0]
        action_id = action.get("action_id", "")
        answer_id = action.get("value", "")
        user = (body.get("user") or {}).get("id", "")
        channel = (body.get("channel") or {}).get("id", "") or (body.get("container") or {}).get(
            "channel_id", ""
        )
        record = self.state.answer(answer_id)
        response_url = body.get("response_url", "")
        if record is None:
            self._respond(response_url, "That answer is no longer available; ask again.")
            return "unknown answer"
        if action_id == render.SHARE:
            for msg in record["messages"]:
                self.client.chat_postMessage(channel=channel, **_shared(msg, user))
            self._respond(response_url, "", delete=True)
            return "shared"
        verdict = "helpful" if action_id == render.HELPFUL else "not_helpful"
        self.state.add_feedback(answer_id, user, verdict)
        thanks = (
            "Thanks, noted as helpful." if verdict == "helpful" else "Thanks, noted as not helpful."
        )
        self._respond(response_url, thanks)
        return f"feedback {verdict}"

    def _respond(self, url: str, text: str, delete: bool = False) -> None:
        if not (url and self.respond):
            return
        payload: dict[str, Any] = (
            {"delete_original": True}
            if delete
            else {"response_type": "ephemeral", "replace_original": False, "text": text}
        )
        self.respond(url, payload)

    # ------------------------------------------------------------------ work
    def submit(self, job: Job) -> str:
        """Queue a job on the worker pool; a polite 'busy' when the queue is full."""
        if not self._slots.acquire(blocking=False):
            busy = "I'm answering many questions right now; please ask again in a minute."
            self.defer(lambda: self._say(job, render.status_message(busy)))
            if job.keys:
                self.state.done(*job.keys)
            return "busy"

        def run() -> None:
            try:
                self.work(job)
            finally:
                self._slots.release()

        self.defer(run, self.pool)
        return "queued"

    def defer(self, fn: Callable[[], Any], pool: Executor | None = None) -> Future[None]:
        """Run ``fn`` off the request thread (quick Web API calls on their own small pool).

        Everything deferred is counted until it finishes, so :meth:`wait_idle` covers it.
        """

        def run() -> None:
            try:
                fn()
            except Exception:  # listeners and jobs log their own; this is the last resort
                log.exception("a Slack task failed")
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

        with self._idle:
            self._pending += 1
        return (pool or self.quick).submit(run)

    def work(self, job: Job) -> None:
        """Answer one job; errors become a short message in the thread, details in the log."""
        try:
            if job.assistant_thread:
                self._status(job, "is thinking...")
            if job.kind == "brief":
                self._brief(job)
            else:
                self._ask(job)
        except (QuestionError, EmptyStoreError) as e:
            self._say(job, render.status_message(f"Sorry: {e}"))
        except Exception:  # the user gets a short note; the log gets the details
            log.exception("answering %s in %s failed", job.kind, job.channel)
            try:
                self._say(job, render.status_message(render.ERROR))
            except Exception:
                log.exception("could not post the error message either")
        finally:
            if job.keys:
                self.state.done(*job.keys)

    def _scope(self, channel: str) -> dict[str, Any]:
        scope = self.settings.slack_scopes.get(channel)
        if scope is None:
            return {}
        return {"sources": scope.sources, "since": scope.since, "until": scope.until}

    def _history(self, job: Job) -> list[Turn]:
        if not job.thread_ts or job.thread_ts == job.message_ts:
            return []
        resp = self.client.conversations_replies(channel=job.channel, ts=job.thread_ts, limit=50)
        return history_from_replies(
            resp.get("messages") or [], self.bot_user, self.bot_id, job.message_ts
        )

    def _ask(self, job: Job) -> None:
        history = self._history(job)
        scope = self._scope(job.channel)
        draft = Draft(self, job) if self.streaming != "off" and not job.ephemeral else None
        answer = stream_answer(self.assistant, job.question, history, scope, draft)
        if draft is not None:
            draft.close()
        quotes = [q.to_json() for q in answer.quotes]
        aid = self.state.add_answer("ask", job.question, quotes, [], job.channel, job.user)
        public = render.answer_messages(answer, aid, self.settings.slack_article_link)
        self.state.set_messages(aid, public)
        shown = (
            render.answer_messages(answer, aid, self.settings.slack_article_link, share=True)
            if job.ephemeral
            else public
        )
        self._deliver(job, shown, draft.ts if draft else None)

    def _brief(self, job: Job) -> None:
        scope = self._scope(job.channel)
        if job.since:
            scope["since"] = max(d for d in (job.since, scope.get("since")) if d)
        b = self.assistant.brief(job.question, **scope)
        quotes = [q.to_json() for q in b.key_points]
        aid = self.state.add_answer("brief", job.question, quotes, [], job.channel, job.user)
        positions = [(p.party, p.quotes) for p in b.positions]
        link = self.settings.slack_article_link
        public = render.briefing_messages(b.topic, b.key_points, positions, aid, link)
        self.state.set_messages(aid, public)
        shown = render.briefing_messages(b.topic, b.key_points, positions, aid, link, share=True)
        self._deliver(job, shown if job.ephemeral else public, None)

    def _deliver(self, job: Job, messages: list[render.Message], replace_ts: str | None) -> None:
        if job.thread_ts and not job.ephemeral:  # before posting: a quick follow-up counts
            self.state.add_thread(job.channel, job.thread_ts)
        for i, msg in enumerate(messages):
            if i == 0 and replace_ts:
                self.client.chat_update(channel=job.channel, ts=replace_ts, **msg)
            else:
                self._say(job, msg)

    def _say(self, job: Job, msg: render.Message) -> None:
        if job.ephemeral:
            try:
                self.client.chat_postEphemeral(channel=job.channel, user=job.user, **msg)
                return
            except Exception as e:  # not in the channel: the command's response_url still works
                if not (job.response_url and self.respond):
                    raise
                log.info("chat.postEphemeral failed (%s); using the response_url", type(e).__name__)
                self.respond(job.response_url, {"response_type": "ephemeral", **msg})
                return
        kw: dict[str, Any] = {"thread_ts": job.thread_ts} if job.thread_ts else {}
        self.client.chat_postMessage(channel=job.channel, **kw, **msg)

    def _status(self, job: Job, text: str) -> None:
        try:
            self.client.assistant_threads_setStatus(
                channel_id=job.channel, thread_ts=job.thread_ts or job.message_ts, status=text
            )
        except Exception as e:  # a plain DM thread has no status line; not worth failing for
            log.debug("assistant.threads.setStatus failed: %s", type(e).__name__)


def _shared(msg: dict[str, Any], user: str) -> dict[str, Any]:
    """A stored answer message as posted by "Share in channel": who shared it on top."""
    blocks = [render.context(f"Shared by <@{user}>"), *msg["blocks"]] if user else msg["blocks"]
    return {"text": msg["text"], "blocks": blocks[: render.MESSAGE_BLOCKS]}
