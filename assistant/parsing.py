"""A time budget for parsing one HTML page, PDF or feed: a worker process stopped at the deadline.

trafilatura/lxml and pypdf are C and Python code we do not control; a hostile page (a
paragraph with 200,000 attributes) or PDF (a content stream of 300,000 text operators) keeps
them busy for minutes. A thread cannot be stopped, so :class:`ParseWorker` runs each parse in
one long-lived worker process (``python -m assistant.parsing``, started on first use and
reused for every file: a fresh interpreter carries none of the parent's threads or models, and
unlike ``multiprocessing``'s spawn it never re-runs the caller's main script); when a parse passes its budget the
worker is killed, which really stops the work, the file is reported as an
:class:`~assistant.errors.IngestError` naming it, the cause and the fix, and the next file gets
a fresh worker.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from assistant.errors import IngestCancelled, IngestError
from assistant.formats import Feed, read_feed, read_html, read_pdf
from assistant.types import Article

PARSERS: dict[str, Callable[..., Any]] = {"html": read_html, "pdf": read_pdf, "feed": read_feed}
POLL_SECONDS = 0.05  # how often a waiting parse looks at the clock and the stop event
START_SECONDS = 120.0  # for the worker to start and import its parsers (not part of a budget)


def _serve(conn: Connection) -> None:
    """The worker's loop: parse what it is sent, answer (True, Article) or (False, reason)."""
    import feedparser  # noqa: F401
    import pypdf  # noqa: F401  (imported before "ready": start-up is not part of any budget)
    import trafilatura  # noqa: F401

    conn.send("ready")
    while True:
        try:
            kind, args = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        try:
            reply: tuple[bool, Any] = (True, PARSERS[kind](*args))
        except IngestError as e:
            reply = (False, str(e))
        except Exception as e:  # the parsers translate their own errors; anything else is ours
            reply = (False, f"{args[1]}: could not parse ({type(e).__name__}: {e})"[:500])
        try:
            conn.send(reply)
        except (OSError, ValueError):
            return


class ParseWorker:
    """Parses HTML, PDF and RSS/Atom in the worker process, each file within ``seconds``.

    Every reader of this process shares one worker (started once, reused; parses take turns,
    and a file's clock starts when its turn comes); ``seconds <= 0`` parses here, unbounded.

    Args:
        seconds: The budget for one file (``ASSISTANT_PARSE_SECONDS``).
        stop: Set to abandon a parse at once (the server is shutting down).
    """

    def __init__(self, seconds: float, stop: threading.Event | None = None) -> None:
        self.seconds = seconds
        self.stop = stop or threading.Event()

    def html(self, raw: str, origin: str, url: str = "") -> Article:
        """:func:`~assistant.formats.read_html` within the budget."""
        return self._run("html", raw, origin, url)

    def pdf(self, data: bytes, origin: str, url: str = "") -> Article:
        """:func:`~assistant.formats.read_pdf` within the budget."""
        return self._run("pdf", data, origin, url)

    def feed(self, data: bytes, origin: str) -> Feed:
        """:func:`~assistant.formats.read_feed` within the budget (the entries' HTML too)."""
        return self._run("feed", data, origin)

    def _run(self, kind: str, *args: Any) -> Any:
        if self.seconds <= 0:
            return PARSERS[kind](*args)
        return WORKER.run(kind, args, self.seconds, self.stop)


class _Worker:
    """The worker process and the socket to it (module-wide, behind one lock)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._conn: Connection | None = None
        self.started = 0  # worker processes started so far (a cut-off parse costs one)

    def run(
        self, kind: str, args: tuple[Any, ...], seconds: float, stop: threading.Event
    ) -> Any:
        origin = args[1]
        with self._lock:
            try:
                conn = self._worker()
            except IngestError as e:
                raise IngestError(f"{origin}: {e}") from e
            try:
                conn.send((kind, args))
            except (OSError, ValueError) as e:
                self._kill()
                raise IngestError(f"{origin}: the parser process failed ({e}); try again") from e
            end = time.monotonic() + seconds
            while not conn.poll(POLL_SECONDS):
                if stop.is_set():
                    self._kill()
                    raise IngestCancelled("ingest stopped: the server is shutting down")
                if time.monotonic() >= end:
                    self._kill()
                    raise IngestError(
                        f"{origin}: parsing took over {seconds:g} s and was stopped (the "
                        f"{kind.upper()} is malformed or built to be slow, e.g. deeply nested "
                        "or with huge content); raise ASSISTANT_PARSE_SECONDS if it is genuine"
                    )
            try:
                ok, value = conn.recv()
            except (EOFError, OSError) as e:  # the worker died (out of memory, a crash)
                self._kill()
                raise IngestError(
                    f"{origin}: the {kind.upper()} parser crashed on this file; it was skipped"
                ) from e
        if not ok:
            raise IngestError(value)
        return value

    def _worker(self) -> Connection:
        if self._proc is not None and self._proc.poll() is None and self._conn is not None:
            return self._conn
        self._kill()
        ours, theirs = socket.socketpair()
        root = str(Path(__file__).resolve().parent.parent)  # where `assistant` is importable
        path = os.environ.get("PYTHONPATH")
        env = {**os.environ, "PYTHONPATH": root + (os.pathsep + path if path else "")}
        try:
            proc = subprocess.Popen(
                [sys.executable, "-m", "assistant.parsing", str(theirs.fileno())],
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                env=env,
            )
        finally:
            theirs.close()
        conn = Connection(ours.detach())
        self._proc, self._conn = proc, conn
        self.started += 1
        try:
            ready = conn.poll(START_SECONDS) and conn.recv() == "ready"
        except (EOFError, OSError):
            ready = False
        if not ready:
            self._kill()
            raise IngestError(
                f"the parser process did not start within {START_SECONDS:g} s; "
                "set ASSISTANT_PARSE_SECONDS=0 to parse in-process"
            )
        return conn

    def _kill(self) -> None:
        proc, conn = self._proc, self._conn
        self._proc = self._conn = None
        if conn is not None:
            conn.close()
        if proc is not None:
            proc.kill()
            proc.wait(5)

    def pid(self) -> int | None:
        """The worker's process id, if one is running."""
        return self._proc.pid if self._proc is not None and self._proc.poll() is None else None

    def close(self) -> None:
        """Stop the worker process (the next parse starts a new one)."""
        with self._lock:
            self._kill()


#: The one worker of this process (it exits when this process does: its socket closes).
WORKER = _Worker()


if __name__ == "__main__":  # the worker: python -m assistant.parsing FD
    _serve(Connection(int(sys.argv[1])))
