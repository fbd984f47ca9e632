"""``assistant eval attribution``: speaker attribution on PolNeAR-format articles.

Writes, for each article of a JSONL file (``{"id", "text", ...}`` a line), its sentences with
character offsets and the speaker given to each, in the format that PolNeAR's reference
scorer (``score.py`` beside the data) reads, then runs that scorer and returns its figures.
The metric is the benchmark's own; nothing here re-implements it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from assistant.attribution import attribute
from assistant.errors import AssistantError
from assistant.text import split_sentences


def predict(text: str) -> list[dict[str, Any]]:
    """Sentences of one article with their speakers and the evidence spans."""
    spans = split_sentences(text)
    out = []
    for s, a in zip(spans, attribute(text, spans), strict=True):
        ev = a.evidence()
        out.append(
            {
                "start": s.start,
                "end": s.end,
                "speaker": a.speaker,
                "speaker_evidence": ev.to_json() if ev else None,
            }
        )
    return out


def write_predictions(
    data: Path, predictions: Path, progress: Callable[[int], None] | None = None
) -> int:
    """Attribute every article of ``data`` into ``predictions``; returns the article count."""
    if not data.exists():
        raise AssistantError(f"attribution data not found: {data}; pass --data FILE.jsonl")
    predictions.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with data.open(encoding="utf-8") as src, predictions.open("w", encoding="utf-8") as dst:
        for lineno, line in enumerate(src, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                aid, text = row["id"], row["text"]
            except (json.JSONDecodeError, KeyError, TypeError) as e:
                raise AssistantError(
                    f"{data}:{lineno}: not an article line ({e}); each line needs "
                    '{"id": ..., "text": ...}'
                ) from e
            dst.write(json.dumps({"id": aid, "sentences": predict(text)}) + "\n")
            n += 1
            if progress:
                progress(n)
    return n


def score(data: Path, predictions: Path, scorer: Path | None = None) -> dict[str, Any]:
    """Run the reference scorer (``score.py`` beside ``data`` unless given) on the predictions."""
    scorer = scorer or data.parent / "score.py"
    if not scorer.exists():
        raise AssistantError(
            f"no scorer at {scorer}: pass --scorer PATH to PolNeAR's score.py "
            f"(the predictions are written to {predictions})"
        )
    proc = subprocess.run(
        [sys.executable, str(scorer), str(data), str(predictions), "--json"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if proc.returncode != 0:
        raise AssistantError(f"the scorer {scorer} failed: {proc.stderr.strip()[-500:]}")
    try:
        result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    except (json.JSONDecodeError, IndexError) as e:
        raise AssistantError(f"the scorer {scorer} printed no JSON: {proc.stdout[-300:]}") from e
    return result


def run(
    data: Path, predictions: Path, scorer: Path | None = None, console: Any = None
) -> dict[str, Any]:
    """Predict, then score: the figures of ``score.py`` for this attribution."""
    from rich.progress import MofNCompleteColumn, Progress, TextColumn

    total = sum(1 for line in data.open(encoding="utf-8") if line.strip()) if data.exists() else 0
    bar = Progress(TextColumn("[bold]attributing"), MofNCompleteColumn(), console=console)
    with bar:
        task = bar.add_task("attribute", total=total)
        write_predictions(data, predictions, lambda n: bar.update(task, completed=n))
    return score(data, predictions, scorer)
