"""Terminal output for the command line: text shown as written (never markup, never terminal
control sequences), rich renderables loaded only by the commands that print them, errors turned
into messages and exit codes, the ingest progress bar, and stopping an ingest on a signal."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from rich.console import Console

from assistant.errors import AssistantError

if TYPE_CHECKING:
    from rich.progress import Progress

out = Console()
err = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])


# C0/C1 control characters but tab and newline: ESC sequences could recolour or clear the
# terminal, plant OSC 8 hyperlinks or write the clipboard (OSC 52)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def inert(text: str) -> str:
    """Text with no terminal control characters (article and model text reach a terminal)."""
    return _CONTROL.sub("", text)


def plain(text: object, style: str = "") -> Any:
    """``text`` as a rich Text: shown as written, never read as markup (article text can hold
    ``[/oops]`` or ``[again]``), without terminal control characters."""
    from rich.text import Text

    return Text(inert(str(text)), style=style)


def say_error(message: object) -> None:
    """Print ``error: message`` on stderr; the message is plain text."""
    from rich.text import Text

    err.print(Text.assemble(("error:", "bold red"), " ", str(message)), highlight=False)


def Markdown(text: str) -> Any:
    """rich's Markdown renderable (markdown-it loads only for commands that print one)."""
    from rich.markdown import Markdown as RichMarkdown

    return RichMarkdown(inert(text))


def Table(*headers: str) -> Any:
    """A rich Table with these column headers."""
    from rich.table import Table as RichTable

    return RichTable(*headers)


def handle_errors(fn: F) -> F:
    """Turn AssistantError (and bad settings) into a message and an exit code."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from pydantic import ValidationError

        try:
            return fn(*args, **kwargs)
        except AssistantError as e:
            say_error(e)
            raise typer.Exit(e.exit_code) from None
        except UnicodeError as e:  # e.g. a lone surrogate from undecodable argv bytes
            say_error(f"the input is not valid text ({e}); use UTF-8")
            raise typer.Exit(2) from None
        except ValidationError as e:
            first = e.errors()[0]
            field = ".".join(str(x) for x in first["loc"])
            say_error(f"invalid setting {field} (ASSISTANT_{field.upper()}): {first['msg']}")
            raise typer.Exit(2) from None
        except KeyboardInterrupt:
            err.print("interrupted")
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]


def ingest_progress(total: int | None) -> tuple[Progress, Callable[[Any], None]]:
    """A rich progress bar for an ingest and the callback that feeds it."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    progress = Progress(
        SpinnerColumn(),
        TextColumn("[bold]ingest"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    )
    task = progress.add_task("ingest", total=total, rate="")
    import time

    t0 = time.perf_counter()

    def update(report: Any) -> None:
        done = report.added + report.updated + report.skipped + report.failed
        dt = max(1e-6, time.perf_counter() - t0)
        progress.update(
            task,
            completed=done,
            total=report.total,
            rate=f"{report.chunks} chunks · {done / dt:.1f} art/s · {report.chunks / dt:.1f} ch/s",
        )

    return progress, update


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[list[int]]:
    """SIGTERM and SIGINT set ``stop`` (the ingest ends at its next article boundary, keeping
    only whole articles); the list names the signal caught. A second signal acts at once."""
    import signal

    caught: list[int] = []

    def handler(signum: int, frame: Any) -> None:
        caught.append(signum)
        stop.set()
        for sig, old in previous.items():  # the next Ctrl-C or TERM is not politely queued
            signal.signal(sig, old)

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield caught
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
