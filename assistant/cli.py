"""The ``assistant`` command line: ingest, export, import, ask, chat, search, sources, stats,
config, eval, web, slack, feedback."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from assistant.cli_console import (
    Markdown,
    Table,
    err,
    handle_errors,
    inert,
    ingest_progress,
    out,
    plain,
    say_error,
    stop_on_signals,
)
from assistant.cli_eval import eval_cmd
from assistant.errors import AssistantError

# Cold start: a command imports only what it uses (the settings with pydantic-settings, rich's
# Markdown, Table and Progress, the service with Chroma and the encoder, the web stack);
# `assistant --help` needs none of them.

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Briefing Assistant: ask questions of a news collection; answers are verbatim, "
    "attributed, cited quotes.",
)
def _settings() -> Any:
    """The effective settings (pydantic-settings loads here, not for ``--help``)."""
    from assistant.settings import Settings

    return Settings()


def _assistant() -> Any:
    from assistant.service import Assistant

    return Assistant(_settings())


def _date(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date; use YYYY-MM-DD", param_hint=name
        ) from None


def _url_hosts(targets: list[str]) -> list[str]:
    """Hosts of the URLs among ``targets`` (typed by the operator, so trusted)."""
    import httpx

    from assistant.sources import is_url

    return [httpx.URL(t).host for t in targets if is_url(t)]


def _stopped(report: Any, signum: int, as_json: bool) -> None:
    """What a stopped ingest kept, and that a rerun continues; exit 128 + the signal."""
    import signal

    name = signal.Signals(signum).name
    if as_json:
        out.print_json(json.dumps({**report.to_json(), "stopped": name}))
        raise typer.Exit(128 + signum)
    out.print(
        plain(
            f"stopped by {name}: added {report.added}, updated {report.updated}, skipped "
            f"{report.skipped} (unchanged); {report.chunks} chunks. The store holds only whole "
            "articles: run the same command again to continue."
        ),
        highlight=False,
    )
    raise typer.Exit(128 + signum)


@app.command()
@handle_errors
def ingest(
    targets: Annotated[list[str], typer.Argument(help="Files, folders, feed files or URLs.")],
    prune: Annotated[bool, typer.Option(help="Remove articles whose files are gone.")] = False,
    force: Annotated[bool, typer.Option(help="Re-embed even unchanged articles.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Add articles to the store (incremental: unchanged articles are skipped).

    Ctrl-C or SIGTERM stops it at the next article boundary (exit 130/143) and says what was
    kept; the store holds only whole articles, and running the same command again continues.
    """
    from assistant.errors import IngestCancelled
    from assistant.ingest import IngestReport

    a = _assistant()
    a.reader = a.reader.trusting(_url_hosts(targets))  # the operator may fetch their own URLs
    progress, update = ingest_progress(None)  # the report brings the total
    last = [IngestReport()]

    def track(report: Any) -> None:
        last[0] = report
        update(report)

    with progress, stop_on_signals(a.reader.stop) as caught:
        try:
            report = a.ingest(targets, prune=prune, progress=track, force=force)
        except IngestCancelled:
            report = last[0]
    if caught:
        _stopped(report, caught[0], as_json)
    if as_json:
        out.print_json(json.dumps(report.to_json()))
    else:
        for f in report.failures:
            err.print(plain("failed: ", "yellow") + plain(f.reason), highlight=False)
        out.print(
            f"added {report.added}, updated {report.updated}, skipped {report.skipped} "
            f"(unchanged), failed {report.failed}, pruned {report.pruned}; "
            f"{report.chunks} chunks in {report.seconds:.1f} s"
        )
    if report.failed:
        raise typer.Exit(1)


@app.command("export")
@handle_errors
def export_cmd(
    path: Annotated[Path, typer.Argument(help="The file to write (.jsonl.gz).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Write the whole store (articles, chunks with offsets, embeddings, and any kept
    sentence data) to one versioned file that `assistant import` reads back (texts and
    offsets exactly, vectors to within one float32 ulp: Chroma returns them renormalised;
    format: docs/reliability.md)."""
    from assistant.transfer import export_store

    a = _assistant()
    r = export_store(a.store, path, a.embedder.name, a.settings.collection)
    if as_json:
        out.print_json(json.dumps(r.to_json()))
        return
    note = f" (left out {r.left_out} chunks of unfinished articles)" if r.left_out else ""
    kept = f", kept sentence data of {r.kept}" if r.kept else ""
    out.print(
        plain(
            f"exported {r.articles} articles, {r.chunks} chunks{kept} to {path} "
            f"({r.bytes / 1e6:.1f} MB) in {r.seconds:.1f} s{note}"
        )
    )


@app.command("import")
@handle_errors
def import_cmd(
    path: Annotated[Path, typer.Argument(help="A file written by `assistant export`.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Read an export into this store (ids, texts, offsets and embeddings as exported;
    importing the same file again changes nothing)."""
    from assistant.transfer import import_store

    a = _assistant()
    r = import_store(a.store, path, a.embedder.name)
    a.lexical()  # the BM25 index is derived: build it now, not on the first question
    if as_json:
        out.print_json(json.dumps(r.to_json()))
        return
    kept = f", kept sentence data of {r.kept}" if r.kept else ""
    out.print(
        plain(
            f"imported {r.articles} articles, {r.chunks} chunks{kept} from {path} "
            f"({r.replaced} were already stored and were replaced) in {r.seconds:.1f} s"
        )
    )


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
            plain(s.ref.article_id),
            s.ref.published.isoformat() if s.ref.published else "—",
            plain(s.ref.source or "—"),
            str(s.n_chunks),
            plain(s.ref.title[:80]),
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
        out.print(plain(k, "bold") + plain(f": {v}"), highlight=False)


@app.command()
@handle_errors
def config(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Print the effective settings (environment ASSISTANT_*, assistant.toml, defaults)."""
    from assistant.settings import Settings

    s = Settings()
    values = s.public()
    if as_json:
        sys.stdout.write(json.dumps(values, indent=1, default=str) + "\n")
        return
    desc = Settings.describe()
    table = Table("setting", "value", "meaning")
    for k, v in values.items():
        table.add_row(f"ASSISTANT_{k.upper()}", plain(v), plain(desc.get(k, "")))
    out.print(table)


@app.command()
@handle_errors
def search(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    top: Annotated[int, typer.Option(help="How many passages.", min=1, max=100)] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Raw hybrid passage search (no answering)."""
    passages = _assistant().retrieve(query, k=top)
    if as_json:
        rows = [{"rank": i, **p.to_json(with_text=True)} for i, p in enumerate(passages, 1)]
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=1) + "\n")
        return
    for i, p in enumerate(passages, 1):
        head = f" — {p.ref.source} {p.ref.published or ''}"
        out.print(plain(f"{i}. {p.ref.title}", "bold") + plain(head), highlight=False)
        out.print(plain(p.chunk.text[:400] + ("…" if len(p.chunk.text) > 400 else "")))
        out.print()


@app.command()
@handle_errors
def ask(
    question: Annotated[str, typer.Argument(help="Your question.")],
    as_of: Annotated[str | None, typer.Option(help="Nothing published after YYYY-MM-DD.")] = None,
    source: Annotated[list[str] | None, typer.Option(help="Only this outlet (repeatable).")] = None,
    since: Annotated[str | None, typer.Option(help="Published on or after YYYY-MM-DD.")] = None,
    until: Annotated[str | None, typer.Option(help="Published on or before YYYY-MM-DD.")] = None,
    top: Annotated[int | None, typer.Option(help="Passages to retrieve.", min=1, max=100)] = None,
    mode: Annotated[
        str | None, typer.Option(help="extractive or llm (default: llm when configured).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")] = False,
) -> None:
    """Answer a question with verbatim, attributed, cited quotes.

    In LLM mode the model's draft streams to stderr as it arrives; the verified answer (quotes
    checked against the articles) follows on stdout. ``--json`` does not stream.
    """
    from assistant.render.markdown import answer_json, answer_markdown

    if mode not in (None, "extractive", "llm"):
        raise typer.BadParameter(f"{mode!r}: use extractive or llm", param_hint="--mode")
    a = _assistant()
    drafted = False

    def show_token(token: str) -> None:
        nonlocal drafted
        if not drafted:
            err.print("[dim]LLM draft (quotes not yet verified):[/]", highlight=False)
            drafted = True
        # the draft is the model's raw text: no terminal control sequences (colours,
        # OSC 8 hyperlinks, clipboard writes) reach the terminal
        sys.stderr.write(inert(token))
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
        sys.stdout.write(json.dumps(answer_json(answer), ensure_ascii=False, indent=1) + "\n")
    else:
        out.print(Markdown(answer_markdown(answer)))


@app.command()
@handle_errors
def brief(
    topic: Annotated[str, typer.Argument(help="What the briefing is about.")],
    as_of: Annotated[str | None, typer.Option(help="Nothing published after YYYY-MM-DD.")] = None,
    source: Annotated[list[str] | None, typer.Option(help="Only this outlet (repeatable).")] = None,
    since: Annotated[str | None, typer.Option(help="Published on or after YYYY-MM-DD.")] = None,
    until: Annotated[str | None, typer.Option(help="Published on or before YYYY-MM-DD.")] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="md (the terminal), html (a whole page) or json.")
    ] = "md",
    save: Annotated[
        str | None, typer.Option(help="Remember this briefing as NAME (for --since-last).")
    ] = None,
    since_last: Annotated[
        str | None, typer.Option(help="Only articles new since the briefing saved as NAME.")
    ] = None,
    mode: Annotated[
        str | None, typer.Option(help="extractive, or llm (a verified LLM summary on top).")
    ] = None,
    post_slack: Annotated[
        str | None, typer.Option(help="Also post it to this Slack channel (SLACK_BOT_TOKEN).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Same as --format json.")] = False,
) -> None:
    """A briefing: bottom line, each actor's positions, where they disagree, timeline and
    sources, every line a verbatim cited quote."""
    from assistant.render.html import briefing_page
    from assistant.render.markdown import briefing_json, briefing_markdown

    fmt = "json" if as_json else fmt
    if fmt not in ("md", "html", "json"):
        raise typer.BadParameter(f"{fmt!r}: use md, html or json", param_hint="--format")
    if mode not in (None, "extractive", "llm"):
        raise typer.BadParameter(f"{mode!r}: use extractive or llm", param_hint="--mode")
    b = _assistant().brief(
        topic,
        as_of=_date(as_of, "--as-of"),
        since=_date(since, "--since"),
        until=_date(until, "--until"),
        sources=tuple(source or ()),
        since_last=since_last,
        save=save,
        mode=mode,
    )
    if post_slack:
        from assistant.render.slack import briefing_messages
        from assistant.slack import post_messages

        positions = [(p.party, p.quotes) for p in b.positions]
        msgs = briefing_messages(b.topic, b.key_points, positions, "cli", feedback=False)
        post_messages(post_slack, msgs)
        err.print(plain(f"posted the briefing to {post_slack} ({len(msgs)} message(s))", "dim"))
    if fmt == "json":
        sys.stdout.write(json.dumps(briefing_json(b), ensure_ascii=False, indent=1) + "\n")
    elif fmt == "html":
        sys.stdout.write(briefing_page(b))
    else:
        out.print(Markdown(briefing_markdown(b)))


@app.command()
@handle_errors
def watch(
    feeds: Annotated[list[str], typer.Argument(help="RSS/Atom feed URLs to follow.")],
    every: Annotated[str, typer.Option(help="How often to poll each feed: 30s, 15m, 2h.")] = "15m",
    once: Annotated[bool, typer.Option(help="Poll each feed once and exit.")] = False,
) -> None:
    """Follow feeds: poll on a schedule (conditional GET, backoff on errors), ingest each new
    entry once. Pair with `brief --since-last NAME` for a morning delta."""
    from assistant.watch import Watcher, parse_every

    w = Watcher(_assistant(), feeds, parse_every(every))

    def show(r: Any) -> None:
        err.print(plain(f"{r.url}: {r.status} ({r.message})", "red" if r.status == "error" else ""))

    w.run(rounds=1 if once else None, report=show)


@app.command()
@handle_errors
def chat() -> None:
    """An interactive conversation in the terminal (follow-ups understood; Ctrl-D to quit)."""
    from assistant.render.markdown import answer_markdown
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
            say_error(e)
            continue
        if answer.standalone_question != q:
            err.print(plain(f"(understood as: {answer.standalone_question})", "dim"))
        shown = answer_markdown(answer)
        out.print(Markdown(shown))
        history.append(Turn(q, shown))


app.command("eval")(eval_cmd)


@app.command()
@handle_errors
def web(
    host: Annotated[str | None, typer.Option(help="Address to bind.")] = None,
    port: Annotated[int | None, typer.Option(help="Port.")] = None,
) -> None:
    """Serve the web chat and the JSON API."""
    from assistant.web import serve

    serve(host=host, port=port)


@app.command()
@handle_errors
def slack(
    http: Annotated[
        bool, typer.Option("--http", help="Serve /slack/events over HTTP instead of Socket Mode.")
    ] = False,
    host: Annotated[str, typer.Option(help="Address to bind (--http).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (--http).")] = 3000,
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error.")] = "info",
) -> None:
    """Run the Slack bot (Socket Mode, or --http); see docs/slack.md.

    Tokens come from the environment only: SLACK_BOT_TOKEN plus SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (--http); SLACK_API_URL points at another Web API.
    """
    if log_level.lower() not in ("debug", "info", "warning", "error"):
        raise typer.BadParameter("use debug, info, warning or error", param_hint="--log-level")
    from assistant.slack import run

    run(http=http, host=host, port=port, log_level=log_level)


@app.command()
@handle_errors
def feedback(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Feedback given on the Slack bot's answers (question, answer id, quotes, user, verdict)."""
    from assistant.feedback import BotState

    rows = BotState(_settings().data_dir).feedback()
    if as_json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=1) + "\n")
        return
    from rich.markup import escape

    table = Table("time", "verdict", "user", "question", "quotes")
    for r in rows:  # what Slack users typed is shown as text, never as rich markup
        table.add_row(
            r["time"],
            r["verdict"],
            escape(r["user"]),
            escape((r["question"] or "")[:80]),
            str(len(r["quotes"])),
        )
    out.print(table)
    out.print(f"{len(rows)} verdicts")


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
