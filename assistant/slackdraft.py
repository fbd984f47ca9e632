"""An answer shown while it is being written: a Slack chat stream, or a placeholder kept updated.

In LLM mode the model's draft (not yet verified) streams into the thread with
``chat.startStream`` / ``appendStream`` / ``stopStream``; where those methods are missing it is
a placeholder message edited at most once a second. Either way the bot then replaces it with
the verified answer (``chat.update``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from assistant.render import slack as render
from assistant.types import Answer, AnswerEvent, StatusEvent, TokenEvent, Turn

if TYPE_CHECKING:
    from assistant.slackbot import Bot, Job

log = logging.getLogger("assistant.slack")
UPDATE_EVERY_S = 1.0  # chat.update of a streaming placeholder at most this often


class Draft:
    """An LLM answer shown while it is written: a chat stream, or a placeholder kept updated."""

    def __init__(self, bot: Bot, job: Job) -> None:
        self.bot = bot
        self.job = job
        self.text = ""
        self.ts: str | None = None
        self.stream: Any = None
        self._last = 0.0

    def status(self, text: str) -> None:
        """A progress note (assistant threads show it as the status line)."""
        if self.job.assistant_thread and text:  # Slack shows it after the app's name
            self.bot._status(self.job, f"is {text[:1].lower()}{text[1:]}")

    def token(self, text: str) -> None:
        """More of the draft."""
        self.text += text
        if self.bot.streaming == "stream" and self.job.thread_ts and self._stream(text):
            return
        now = time.monotonic()
        if now - self._last < UPDATE_EVERY_S:
            return
        self._last = now
        self._update()

    def _stream(self, text: str) -> bool:
        client = self.bot.client
        try:
            if self.stream is None:
                self.stream = client.chat_stream(
                    channel=self.job.channel,
                    thread_ts=self.job.thread_ts,
                    recipient_team_id=self.job.team or None,
                    recipient_user_id=self.job.user or None,
                    buffer_size=64,
                )
                text = self.text
            self.stream.append(markdown_text=render.draft_markdown(text))
            if self.stream.ts:
                self.ts = self.stream.ts
            return True
        except Exception as e:  # no streaming API here: edit a placeholder instead
            log.info("chat streaming unavailable (%s); updating a placeholder", type(e).__name__)
            self.bot.streaming = "update"
            self.stream = None
            return False

    def _update(self) -> None:
        msg = render.draft_message(self.text)
        if self.ts is None:
            kw: dict[str, Any] = {"thread_ts": self.job.thread_ts} if self.job.thread_ts else {}
            resp = self.bot.client.chat_postMessage(channel=self.job.channel, **kw, **msg)
            self.ts = resp.get("ts")
        else:
            self.bot.client.chat_update(channel=self.job.channel, ts=self.ts, **msg)

    def close(self) -> None:
        """Stop the stream (the caller then replaces the draft with the verified answer)."""
        if self.stream is not None:
            try:
                self.stream.stop()
                self.ts = self.stream.ts
            except Exception as e:
                log.info("chat.stopStream failed (%s)", type(e).__name__)


def stream_answer(
    assistant: Any,
    question: str,
    history: Sequence[Turn],
    scope: dict[str, Any],
    draft: Draft | None,
) -> Answer:
    """Consume the assistant's answer stream: status and tokens to ``draft``; the answer."""
    for event in assistant.ask_stream(question, history=history, **scope):
        if isinstance(event, AnswerEvent):
            return event.answer
        if draft is None:
            continue
        if isinstance(event, TokenEvent):
            draft.token(event.text)
        elif isinstance(event, StatusEvent):
            draft.status(event.text)
    raise AssertionError("the answer stream ended without an answer")  # pragma: no cover
