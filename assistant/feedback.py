"""What the Slack bot remembers, in one SQLite file under the data dir.

- **claims**: which events and messages have been taken on (by ``event_id`` and by
  ``channel:ts``), so a retried event or a mention that also arrives as a ``message`` event
  is answered exactly once, across restarts;
- **answers**: each answer posted (question, quotes, the rendered messages), for the
  "Share in channel" button and for feedback;
- **feedback**: helpful / not helpful verdicts with who gave them and when;
- **threads**: the threads the bot answered in (follow-ups there need no new mention).

Plain ``sqlite3``; one connection per call under a lock, WAL mode, so it is safe from the
worker threads.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from assistant.errors import StoreError

FILE = "slack.sqlite3"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS claims (
    key TEXT PRIMARY KEY, owner TEXT NOT NULL, state TEXT NOT NULL, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS answers (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, question TEXT NOT NULL, channel TEXT,
    user TEXT, quotes TEXT NOT NULL, messages TEXT NOT NULL, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS feedback (
    answer_id TEXT NOT NULL, user TEXT NOT NULL, verdict TEXT NOT NULL, at REAL NOT NULL,
    PRIMARY KEY (answer_id, user));
CREATE TABLE IF NOT EXISTS threads (
    channel TEXT NOT NULL, thread_ts TEXT NOT NULL, at REAL NOT NULL,
    PRIMARY KEY (channel, thread_ts));
"""
VERDICTS = ("helpful", "not_helpful")


class BotState:
    """The Slack bot's SQLite file: claims, answers, feedback, threads."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / FILE
        self.owner = uuid.uuid4().hex  # this process; claims it left unfinished are retaken
        self._lock = threading.Lock()
        self._ready = False

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                if not self._ready:
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                con = sqlite3.connect(self.path, timeout=10)
                if not self._ready:
                    con.execute("PRAGMA journal_mode=WAL")
                    con.executescript(_SCHEMA)
                    self._ready = True
            except (OSError, sqlite3.Error) as e:
                raise StoreError(
                    f"cannot open the Slack bot's state file {self.path}: {e}; check that the "
                    "data dir (ASSISTANT_DATA_DIR) is writable"
                ) from e
            try:
                with con:
                    yield con
            finally:
                con.close()

    # ------------------------------------------------------------------ exactly once
    def claim(self, *keys: str) -> bool:
        """Take on the work named by ``keys``; False if any of them was already taken.

        A key this process took or finished stays taken. A key another process took but never
        finished (it stopped mid-answer) is taken over, so a retry after a crash is answered.
        """
        now = time.time()
        with self._db() as con:
            rows = con.execute(
                f"SELECT key, owner, state FROM claims WHERE key IN ({','.join('?' * len(keys))})",
                keys,
            ).fetchall()
            for _key, owner, state in rows:
                if state == "done" or owner == self.owner:
                    return False
            con.executemany(
                "INSERT OR REPLACE INTO claims (key, owner, state, at) VALUES (?, ?, 'working', ?)",
                [(k, self.owner, now) for k in keys],
            )
            return True

    def done(self, *keys: str) -> None:
        """Mark claimed work as finished."""
        with self._db() as con:
            con.executemany("UPDATE claims SET state = 'done' WHERE key = ?", [(k,) for k in keys])

    def prune(self, older_than_s: float = 7 * 86400) -> int:
        """Forget claims older than Slack ever retries (a week by default)."""
        with self._db() as con:
            cur = con.execute("DELETE FROM claims WHERE at < ?", (time.time() - older_than_s,))
            return cur.rowcount

    # ------------------------------------------------------------------ threads
    def add_thread(self, channel: str, thread_ts: str) -> None:
        """Remember that the bot answered in this thread."""
        with self._db() as con:
            con.execute(
                "INSERT OR IGNORE INTO threads (channel, thread_ts, at) VALUES (?, ?, ?)",
                (channel, thread_ts, time.time()),
            )

    def in_thread(self, channel: str, thread_ts: str) -> bool:
        """Whether the bot answered in this thread before."""
        with self._db() as con:
            row = con.execute(
                "SELECT 1 FROM threads WHERE channel = ? AND thread_ts = ?", (channel, thread_ts)
            ).fetchone()
            return row is not None

    # ------------------------------------------------------------------ answers
    def add_answer(
        self,
        kind: str,
        question: str,
        quotes: list[dict[str, Any]],
        messages: list[dict[str, Any]],
        channel: str = "",
        user: str = "",
    ) -> str:
        """Record an answer (or briefing) and return its id."""
        answer_id = uuid.uuid4().hex[:16]
        with self._db() as con:
            con.execute(
                "INSERT INTO answers (id, kind, question, channel, user, quotes, messages, at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    answer_id,
                    kind,
                    question,
                    channel,
                    user,
                    json.dumps(quotes, ensure_ascii=False),
                    json.dumps(messages, ensure_ascii=False),
                    time.time(),
                ),
            )
        return answer_id

    def set_messages(self, answer_id: str, messages: list[dict[str, Any]]) -> None:
        """Store the rendered messages of an answer (what "Share in channel" posts)."""
        with self._db() as con:
            con.execute(
                "UPDATE answers SET messages = ? WHERE id = ?",
                (json.dumps(messages, ensure_ascii=False), answer_id),
            )

    def answer(self, answer_id: str) -> dict[str, Any] | None:
        """One recorded answer, or None."""
        with self._db() as con:
            row = con.execute(
                "SELECT id, kind, question, channel, user, quotes, messages, at FROM answers "
                "WHERE id = ?",
                (answer_id,),
            ).fetchone()
        if row is None:
            return None
        keys = ("id", "kind", "question", "channel", "user", "quotes", "messages", "at")
        out = dict(zip(keys, row, strict=True))
        out["quotes"] = json.loads(out["quotes"])
        out["messages"] = json.loads(out["messages"])
        return out

    # ------------------------------------------------------------------ feedback
    def add_feedback(self, answer_id: str, user: str, verdict: str) -> None:
        """Record (or change) a user's verdict on an answer."""
        if verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {', '.join(VERDICTS)}, not {verdict!r}")
        with self._db() as con:
            con.execute(
                "INSERT OR REPLACE INTO feedback (answer_id, user, verdict, at) "
                "VALUES (?, ?, ?, ?)",
                (answer_id, user, verdict, time.time()),
            )

    def feedback(self) -> list[dict[str, Any]]:
        """Every verdict with its question, answer id, quotes, user and time, oldest first."""
        if not self.path.exists():
            return []
        with self._db() as con:
            rows = con.execute(
                "SELECT f.answer_id, a.kind, a.question, a.quotes, f.user, f.verdict, f.at "
                "FROM feedback f LEFT JOIN answers a ON a.id = f.answer_id ORDER BY f.at, f.rowid"
            ).fetchall()
        return [
            {
                "answer_id": aid,
                "kind": kind,
                "question": question,
                "quotes": json.loads(quotes) if quotes else [],
                "user": user,
                "verdict": verdict,
                "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at)),
            }
            for aid, kind, question, quotes, user, verdict, at in rows
        ]
