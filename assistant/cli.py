"""The ``assistant`` command line: ingest, ask, chat, search, sources, stats, config, eval, web."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import date
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console

from assistant.errors import AssistantError
from assistant.settings import Settings

if TYPE_CHECKING:
    from rich.progress import Progress

# Cold start: a command imports only what it uses (rich's Markdown, Table and Progress, the
# service with Chroma and the encoder, the web stack); `assistant --help` needs none of them.

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Briefing Assistant: ask questions of a news collection; answers are verbatim, "
    "attributed, cited quotes.",
)
out = Console()
err = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])


def Markdown(text: str) -> Any:
    """rich's Markdown renderable (markdown-it loads only for commands that print one)."""
    from rich.markdown import Markdown as RichMarkdown

    return RichMarkdown(text)


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
            err.print(f"[bold red]error:[/] {e}", highlight=False)
            raise typer.Exit(e.exit_code) from None
        except ValidationError as e:
            first = e.errors()[0]
            field = ".".join(str(x) for x in first["loc"])
            err.print(
                f"[bold red]error:[/] invalid setting {field} (ASSISTANT_{field.upper()}): "
                f"{first['msg']}",
                highlight=False,
            )
            raise typer.Exit(2) from None
        except KeyboardInterrupt:
            err.print("interrupted")
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]


def _assistant() -> Any:
    from assistant.service import Assistant

    return Assistant(Settings())


def _date(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date; use YYYY-MM-DD", param_hint=name
        ) from None


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
            rate=f"{report.chunks} chunks · {done / dt:.1f} art/s · {report.chunks / dt:.1f} ch/s",
        )

    return progress, update


@app.command()
@handle_errors
def ingest(
    targets: Annotated[list[str], typer.Argument(help="Files, folders, feed files or URLs.")],
    prune: Annotated[bool, typer.Option(help="Remove articles whose files are gone.")] = False,
    force: Annotated[bool, typer.Option(help="Re-embed even unchanged articles.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Add articles to the store (incremental: unchanged articles are skipped)."""
    from assistant.ingest import estimate_total

    a = _assistant()
    progress, update = ingest_progress(estimate_total(targets, a.reader))
    with progress:
        report = a.ingest(targets, prune=prune, progress=update, force=force)
    if as_json:
        out.print_json(json.dumps(report.to_json()))
    else:
        for f in report.failures:
            err.print(f"[yellow]skipped[/] {f.reason}", highlight=False)
        out.print(
            f"added {report.added}, updated {report.updated}, skipped {report.skipped} "
            f"(unchanged), failed {report.failed}, pruned {report.pruned}; "
            f"{report.chunks} chunks in {report.seconds:.1f} s"
        )
    if report.failed:
        raise typer.Exit(1)


@app.command()
@handle_errors
def sources(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """List stored articles with their outlet, date and chunk count."""
    arts = _assistant().sources()
    if as_json:
        rows = [s.to_json() for s in arts]
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=1) + "\n")
        return
    table = Table("id", "published", "source", "chunks", "title")
    for s in arts:
        table.add_row(
            s.ref.article_id,
            s.ref.published.isoformat() if s.ref.published else "—",
            s.ref.source or "—",
            str(s.n_chunks),
            s.ref.title[:80],
        )
    out.print(table)
    out.print(f"{len(arts)} articles")


@app.command()
@handle_errors
def stats(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Totals: articles, chunks, outlets, date range, store size."""
    data = _assistant().stats()
    if as_json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=1) + "\n")
        return
    for k, v in data.items():
        if k == "outlets":
            v = ", ".join(f"{o} ({n})" for o, n in list(v.items())[:10])
        out.print(f"[bold]{k}[/]: {v}", highlight=False)


@app.command()
@handle_errors
def config(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Print the effective settings (environment ASSISTANT_*, assistant.toml, defaults)."""
    s = Settings()
    values = s.public()
    if as_json:
        sys.stdout.write(json.dumps(values, indent=1, default=str) + "\n")
        return
    desc = Settings.describe()
    table = Table("setting", "value", "meaning")
    for k, v in values.items():
        table.add_row(f"ASSISTANT_{k.upper()}", str(v), desc.get(k, ""))
    out.print(table)


@app.command()
@handle_errors
def search(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    top: Annotated[int, typer.Option(help="How many passages.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Raw hybrid passage search (no answering)."""
    passages = _assistant().retrieve(query, k=top)
    if as_json:
        rows = [{"rank": i, **p.to_json(with_text=True)} for i, p in enumerate(passages, 1)]
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=1) + "\n")
        return
    for i, p in enumerate(passages, 1):
        out.print(f"[bold]{i}. {p.ref.title}[/] — {p.ref.source} {p.ref.published or ''}")
        out.print(p.chunk.text[:400] + ("…" if len(p.chunk.text) > 400 else ""), highlight=False)
        out.print()


@app.command()
@handle_errors
def ask(
    question: Annotated[str, typer.Argument(help="Your question.")],
    as_of: Annotated[str | None, typer.Option(help="Nothing published after YYYY-MM-DD.")] = None,
    source: Annotated[list[str] | None, typer.Option(help="Only this outlet (repeatable).")] = None,
    since: Annotated[str | None, typer.Option(help="Published on or after YYYY-MM-DD.")] = None,
    until: Annotated[str | None, typer.Option(help="Published on or before YYYY-MM-DD.")] = None,
    top: Annotated[int | None, typer.Option(help="Passages to retrieve.")] = None,
    mode: Annotated[
        str | None, typer.Option(help="extractive or llm (default: llm when configured).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")] = False,
) -> None:
    """Answer a question with verbatim, attributed, cited quotes.

    In LLM mode the model's draft streams to stderr as it arrives; the verified answer (quotes
    checked against the articles) follows on stdout. ``--json`` does not stream.
    """
    a = _assistant()
    drafted = False

    def show_token(token: str) -> None:
        nonlocal drafted
        if not drafted:
            err.print("[dim]LLM draft (quotes not yet verified):[/]", highlight=False)
            drafted = True
        sys.stderr.write(token)
        sys.stderr.flush()

    answer = a.ask(
        question,
        as_of=_date(as_of, "--as-of"),
        since=_date(since, "--since"),
        until=_date(until, "--until"),
        sources=tuple(source or ()),
        top=top,
        mode=mode,
        on_token=None if as_json else show_token,
    )
    if drafted:
        sys.stderr.write("\n\n")
        sys.stderr.flush()
    if as_json:
        sys.stdout.write(json.dumps(answer.to_json(), ensure_ascii=False, indent=1) + "\n")
    else:
        out.print(Markdown(answer.markdown))


@app.command()
@handle_errors
def brief(
    topic: Annotated[str, typer.Argument(help="What the briefing is about.")],
    as_of: Annotated[str | None, typer.Option(help="Nothing published after YYYY-MM-DD.")] = None,
    source: Annotated[list[str] | None, typer.Option(help="Only this outlet (repeatable).")] = None,
    since: Annotated[str | None, typer.Option(help="Published on or after YYYY-MM-DD.")] = None,
    until: Annotated[str | None, typer.Option(help="Published on or before YYYY-MM-DD.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the briefing as JSON.")] = False,
) -> None:
    """A briefing: key points and each party's positions on a topic, all cited quotes."""
    b = _assistant().brief(
        topic,
        as_of=_date(as_of, "--as-of"),
        since=_date(since, "--since"),
        until=_date(until, "--until"),
        sources=tuple(source or ()),
    )
    if as_json:
        sys.stdout.write(json.dumps(b.to_json(), ensure_ascii=False, indent=1) + "\n")
    else:
        out.print(Markdown(b.markdown))


@app.command()
@handle_errors
def chat() -> None:
    """An interactive conversation in the terminal (follow-ups understood; Ctrl-D to quit)."""
    from assistant.types import Turn

    a = _assistant()
    history: list[Turn] = []
    err.print("Ask about the articles. Empty line or Ctrl-D quits.")
    while True:
        try:
            q = input("you> ").strip()
        except EOFError:
            break
        if not q:
            break
        try:
            answer = a.ask(q, history=history)
        except AssistantError as e:
            err.print(f"[bold red]error:[/] {e}", highlight=False)
            continue
        if answer.standalone_question != q:
            err.print(f"[dim](understood as: {answer.standalone_question})[/]")
        out.print(Markdown(answer.markdown))
        history.append(Turn(q, answer.markdown))


@app.command("eval")
@handle_errors
def eval_cmd(
    benchmark: Annotated[str, typer.Argument(help="rtqa, or 'custom' for your own set.")],
    corpus: Annotated[Path | None, typer.Option(help="Corpus to ingest (its own store).")] = None,
    questions: Annotated[Path | None, typer.Option(help="Questions file (JSONL).")] = None,
    output: Annotated[Path | None, typer.Option(help="Per-question results (JSON).")] = None,
    limit: Annotated[int | None, typer.Option(help="Only the first N questions.")] = None,
    no_dates: Annotated[bool, typer.Option(help="Ignore question dates (no as-of).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print metrics as JSON.")] = False,
) -> None:
    """Run a benchmark and print its metrics (see docs/evaluation.md)."""
    from assistant.evaluate import run_eval

    metrics = run_eval(
        benchmark,
        corpus=corpus,
        questions=questions,
        output=output,
        limit=limit,
        use_dates=not no_dates,
        console=err,
    )
    if as_json:
        sys.stdout.write(json.dumps(metrics) + "\n")
    else:
        table = Table("metric", "value")
        for k, v in metrics.items():
            table.add_row(k, f"{v:.3f}" if isinstance(v, float) else str(v))
        out.print(table)


@app.command()
@handle_errors
def web(
    host: Annotated[str | None, typer.Option(help="Address to bind.")] = None,
    port: Annotated[int | None, typer.Option(help="Port.")] = None,
) -> None:
    """Serve the web chat and the JSON API."""
    from assistant.web import serve

    serve(host=host, port=port)


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
