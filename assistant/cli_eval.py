"""``assistant eval``: run a benchmark (RTQA, attribution, SummHay briefings) and print its
metrics. The command is registered on the app in ``assistant.cli``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from assistant.cli_console import Table, err, handle_errors, ingest_progress, out
from assistant.errors import AssistantError


def _settings() -> Any:
    from assistant.settings import Settings

    return Settings()


@handle_errors
def eval_cmd(
    benchmark: Annotated[
        str,
        typer.Argument(
            help="rtqa, attribution (PolNeAR format), summhay (briefings), or 'custom'."
        ),
    ],
    haystack: Annotated[
        Path | None, typer.Option(help="summhay: a haystack file (summhay/newsN.json).")
    ] = None,
    corpus: Annotated[Path | None, typer.Option(help="Corpus to ingest (its own store).")] = None,
    questions: Annotated[Path | None, typer.Option(help="Questions file (JSONL).")] = None,
    output: Annotated[Path | None, typer.Option(help="Per-question results (JSON).")] = None,
    limit: Annotated[int | None, typer.Option(help="Only the first N questions.")] = None,
    no_dates: Annotated[bool, typer.Option("--no-dates", help="Ignore question dates (no as-of).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print metrics as JSON.")] = False,
    data: Annotated[
        Path | None, typer.Option(help="attribution: articles with gold attributions (JSONL).")
    ] = None,
    predictions: Annotated[
        Path | None, typer.Option(help="attribution: where to write the speakers (JSONL).")
    ] = None,
    scorer: Annotated[
        Path | None, typer.Option(help="attribution: the scorer (default: score.py beside data).")
    ] = None,
) -> None:
    """Run a benchmark and print its metrics (see docs/evaluation.md)."""
    if benchmark == "summhay":
        _summhay(haystack, as_json)
        return
    if benchmark == "attribution":
        from assistant import eval_attribution

        if data is None:
            raise AssistantError("pass --data FILE.jsonl (e.g. ../shared/bench/polnear/dev.jsonl)")
        pred = predictions or Path("attribution-predictions.jsonl")
        _print_metrics(eval_attribution.run(data, pred, scorer, console=err), as_json)
        return
    from assistant.evaluate import check_inputs, eval_settings, run_eval
    from assistant.service import Assistant

    check_inputs(benchmark, questions, corpus)
    settings = _settings()
    a = Assistant(eval_settings(settings, corpus) if corpus else settings)
    if corpus is not None:  # the corpus gets its own store, reused while unchanged
        ingesting, on_ingest = ingest_progress(None)
        with ingesting:
            a.ingest([str(corpus)], progress=on_ingest)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    bar = Progress(TextColumn("[bold]eval"), BarColumn(), MofNCompleteColumn(), console=err)
    task = bar.add_task("eval", total=None)
    with bar:
        metrics = run_eval(
            benchmark,
            a,
            questions=questions,
            output=output,
            limit=limit,
            use_dates=not no_dates,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    _print_metrics(metrics, as_json)


def _summhay(haystack: Path | None, as_json: bool) -> None:
    """Briefings over a SummHay haystack, scored with the calibrated offline judge."""
    import tempfile

    from assistant import eval_summhay
    from assistant.evaluate import eval_settings
    from assistant.service import Assistant

    if haystack is None:
        raise AssistantError("pass --haystack FILE (e.g. ../shared/bench/summhay/news1.json)")
    data = eval_summhay.load(haystack)
    a = Assistant(eval_settings(_settings(), haystack))
    with tempfile.TemporaryDirectory() as tmp:  # the documents as articles, ids kept
        docs = eval_summhay.documents_jsonl(data, Path(tmp) / f"{haystack.stem}.jsonl")
        ingesting, on_ingest = ingest_progress(None)
        with ingesting:
            a.ingest([str(docs)], progress=on_ingest)
    result = eval_summhay.run(haystack, lambda q: a.brief(q), a.embedder.embed)
    if as_json:
        sys.stdout.write(json.dumps(result) + "\n")
        return
    table = Table("system", "coverage", "citation F1", "joint", "stored-judge coverage")
    b = result["briefing"]
    table.add_row(
        "this briefing", f"{b['coverage']:.1f}", f"{b['citation_f1']:.1f}", f"{b['joint']:.1f}", ""
    )
    for name, row in result["references"].items():
        table.add_row(name, f"{row['coverage']:.1f}", "", "", f"{row['stored_coverage']:.1f}")
    out.print(table)
    err.print(
        f"judge: FULL >= {result['judge']['full']}, PARTIAL >= {result['judge']['partial']}; "
        f"agreement with the stored LLM judge {result['judge_agreement']}% on "
        f"{result['judged_pairs']} labels"
    )


def _print_metrics(metrics: dict[str, Any], as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps(metrics) + "\n")
    else:
        table = Table("metric", "value")
        for k, v in metrics.items():
            table.add_row(k, f"{v:.3f}" if isinstance(v, float) else str(v))
        out.print(table)
