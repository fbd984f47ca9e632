"""Benchmarks: the RTQA news questions and a small format for users' own question sets.

Metric definitions follow ``../shared/bench/README.md`` exactly so results compare across
versions (see docs/evaluation.md).
"""

from __future__ import annotations

import json
import re
import statistics
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import AssistantError
from assistant.settings import Settings
from assistant.types import Answer

if TYPE_CHECKING:
    from assistant.ingest import ProgressFn
    from assistant.service import Assistant

_NONWORD = re.compile(r"[\W_]+", re.UNICODE)
_QUOTE_MARKS = str.maketrans("", "", "\"'“”‘’«»„‚`")


def normalize(text: str) -> str:
    """NFKC, lower case, quote marks dropped, non-word runs collapsed to one space."""
    t = unicodedata.normalize("NFKC", text).lower().translate(_QUOTE_MARKS)
    return " ".join(_NONWORD.sub(" ", t).split())


def earliest_choice(choices: list[str], seen: list[str]) -> str | None:
    """The choice that occurs earliest in what the reader sees (texts in order)."""
    text = " || ".join(normalize(s) for s in seen)
    best: tuple[int, str] | None = None
    for c in choices:
        n = normalize(c)
        if not n:
            continue
        pos = text.find(n)
        if pos >= 0 and (best is None or pos < best[0]):
            best = (pos, c)
    return best[1] if best else None


@dataclass
class QuestionResult:
    """One RTQA question's outcome."""

    id: str
    question: str
    answer: str
    gold_rank: int | None  # 1-based rank of the first gold passage in the top 10
    has_gold: bool
    in_context: int | None  # 1-based rank of the first passage holding the answer
    in_quotes: bool
    mc_quotes: str | None
    mc_passages: str | None
    abstained: bool
    latency_ms: float
    quotes: list[str]
    confidence: float = 0.0


def rtqa_metrics(results: list[QuestionResult]) -> dict[str, Any]:
    """The README's metrics over per-question results."""
    n = len(results)
    gold = [r for r in results if r.has_gold]
    m: dict[str, Any] = {"questions": n, "questions_with_gold": len(gold)}
    for k in (1, 5, 10):
        m[f"gold_hit@{k}"] = (
            sum(1 for r in gold if r.gold_rank and r.gold_rank <= k) / len(gold) if gold else 0.0
        )
    m["gold_mrr@10"] = (
        sum(1 / r.gold_rank for r in gold if r.gold_rank) / len(gold) if gold else 0.0
    )
    for k in (5, 10):
        m[f"answer_in_context@{k}"] = (
            sum(1 for r in results if r.in_context and r.in_context <= k) / n if n else 0.0
        )
    m["answer_in_quotes"] = sum(r.in_quotes for r in results) / n if n else 0.0
    m["mc_accuracy"] = sum(r.mc_quotes == r.answer for r in results) / n if n else 0.0
    m["mc_accuracy_top5"] = sum(r.mc_passages == r.answer for r in results) / n if n else 0.0
    m["abstention_rate"] = sum(r.abstained for r in results) / n if n else 0.0
    lat = sorted(r.latency_ms for r in results)
    if lat:
        m["latency_p50_ms"] = statistics.median(lat)
        m["latency_p95_ms"] = lat[min(len(lat) - 1, round(0.95 * (len(lat) - 1)))]
    return m


def score_rtqa(q: dict[str, Any], ans: Answer, latency_ms: float) -> QuestionResult:
    """Judge one answer against an RTQA question."""
    gold = set(q.get("gold_doc_ids") or [])
    passages = list(ans.passages)[:10]
    gold_rank = next(
        (
            i
            for i, p in enumerate(passages, 1)
            if p.ref.article_id in gold or any(d.article_id in gold for d in p.duplicates)
        ),
        None,
    )
    target = normalize(q["answer"])
    in_ctx = next(
        (i for i, p in enumerate(passages, 1) if target and target in normalize(p.chunk.text)),
        None,
    )
    quotes = [qt.text for qt in ans.quotes[:3]]
    return QuestionResult(
        id=str(q.get("id", "")),
        question=q["question"],
        answer=q["answer"],
        gold_rank=gold_rank,
        has_gold=bool(gold),
        in_context=in_ctx,
        in_quotes=bool(target) and any(target in normalize(t) for t in quotes),
        mc_quotes=earliest_choice(q.get("choices", []), quotes),
        mc_passages=earliest_choice(q.get("choices", []), [p.chunk.text for p in passages[:5]]),
        abstained=ans.abstained,
        latency_ms=latency_ms,
        quotes=quotes,
        confidence=ans.confidence,
    )


def _is_day(value: object) -> bool:
    """Whether ``value`` is a real day written ``YYYY-MM-DD`` (not 2022-02-30, not a number)."""
    if not (isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value)):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def load_jsonl(path: Path, require: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Objects of a JSONL file, each with the fields in ``require``; the line number in any
    error."""
    rows = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise AssistantError(f"{path}:{n}: invalid JSON ({e.msg})") from e
            if not isinstance(row, dict):
                raise AssistantError(f"{path}:{n}: not a JSON object")
            missing = [k for k in require if k not in row]
            if missing:
                raise AssistantError(
                    f"{path}:{n}: no {' or '.join(repr(k) for k in missing)} field (a question "
                    f"line needs {', '.join(repr(k) for k in require)}; found "
                    f"{', '.join(repr(k) for k in row) or 'none'})"
                )
            rows.append(row)
    return rows


def eval_settings(base: Settings, corpus: Path) -> Settings:
    """The settings of a benchmark corpus's own store (under ``data_dir/eval``, reused)."""
    name = re.sub(r"[^A-Za-z0-9]+", "-", corpus.name.split(".")[0]).strip("-") or "corpus"
    return base.model_copy(
        update={"data_dir": base.data_dir / "eval", "collection": f"eval-{name}"[:60]}
    )


def check_inputs(benchmark: str, questions: Path | None, corpus: Path | None = None) -> Path:
    """Fail early, before any ingest, on an unknown benchmark or a missing file.

    Returns:
        The questions file.
    """
    if benchmark not in ("rtqa", "custom"):
        raise AssistantError(f"unknown benchmark {benchmark!r}; choose rtqa or custom")
    if questions is None or not questions.exists():
        raise AssistantError(f"questions file not found: {questions}; pass --questions FILE")
    if corpus is not None and not corpus.exists():
        raise AssistantError(f"corpus not found: {corpus}; pass --corpus FILE")
    return questions


def run_eval(
    benchmark: str,
    assistant: Assistant,
    questions: Path | None,
    corpus: Path | None = None,
    output: Path | None = None,
    limit: int | None = None,
    use_dates: bool = True,
    progress: Callable[[int, int], None] | None = None,
    ingest_progress: ProgressFn | None = None,
) -> dict[str, Any]:
    """Ingest the corpus (if given; unchanged articles are skipped), ask every question.

    Args:
        benchmark: ``rtqa`` or ``custom`` (see docs/evaluation.md).
        assistant: The assistant to evaluate, e.g. over :func:`eval_settings` for the corpus.
        questions: The questions file (JSONL).
        corpus: Articles to ingest into the assistant's store first.
        output: Where the per-question results go (default: in the data directory).
        limit: Only the first N questions.
        use_dates: Ask each question as of its date.
        progress: Called with (questions done, questions in all) after each question.
        ingest_progress: Called with the ingest report as the corpus is ingested.
    """
    questions = check_inputs(benchmark, questions, corpus)
    need = ("question", "answer") if benchmark == "rtqa" else ("question",)
    rows = load_jsonl(questions, need)[:limit]  # before the ingest: a bad file fails at once
    for i, q in enumerate(rows, 1):
        for key in ("date", "as_of"):
            value = q.get(key)
            if value and not _is_day(value):
                raise AssistantError(
                    f"{questions}: question {i} has {key} {value!r}, not a YYYY-MM-DD date"
                )
    if corpus is not None:
        assistant.ingest([str(corpus)], progress=ingest_progress)
    if rows:
        assistant.ask(rows[0]["question"])  # warm: model, index, caches
    results: list[Any] = []
    for n, q in enumerate(rows, 1):
        as_of = date.fromisoformat(q["date"]) if use_dates and q.get("date") else None
        if q.get("as_of"):
            as_of = date.fromisoformat(q["as_of"])
        t0 = time.perf_counter()
        ans = assistant.ask(q["question"], as_of=as_of)
        ms = (time.perf_counter() - t0) * 1000
        results.append(score_rtqa(q, ans, ms) if benchmark == "rtqa" else score_custom(q, ans, ms))
        if progress is not None:
            progress(n, len(rows))
    metrics = rtqa_metrics(results) if benchmark == "rtqa" else custom_metrics(results)
    out = output or (assistant.settings.data_dir / f"eval-{benchmark}-results.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {"metrics": metrics, "results": [r.__dict__ for r in results]}, indent=1, default=str
        )
    )
    return metrics


# ---------------------------------------------------------------- users' own question sets
@dataclass
class CustomResult:
    """One question of a user's set: did the answer hold what was expected?"""

    question: str
    passed: bool
    reasons: list[str]
    abstained: bool
    latency_ms: float


def score_custom(q: dict[str, Any], ans: Answer, latency_ms: float) -> CustomResult:
    """Check expected quote substrings, expected speaker, or expected abstention."""
    reasons: list[str] = []
    if q.get("should_abstain"):
        if not ans.abstained:
            reasons.append("answered but should have abstained")
    else:
        if ans.abstained:
            reasons.append("abstained but an answer was expected")
        texts = [normalize(qt.text) for qt in ans.quotes]
        for sub in q.get("expect_quotes", []):
            if not any(normalize(sub) in t for t in texts):
                reasons.append(f"no quote contains {sub!r}")
        speaker = q.get("expect_speaker")
        if speaker and not (
            ans.quotes and speaker.lower() in (ans.quotes[0].speaker or "").lower()
        ):
            got = ans.quotes[0].speaker if ans.quotes else None
            reasons.append(f"first quote's speaker is {got!r}, expected {speaker!r}")
    return CustomResult(q["question"], not reasons, reasons, ans.abstained, latency_ms)


def custom_metrics(results: list[CustomResult]) -> dict[str, Any]:
    """Pass rate and abstention accuracy of a user's set."""
    n = len(results)
    return {
        "questions": n,
        "passed": sum(r.passed for r in results),
        "pass_rate": sum(r.passed for r in results) / n if n else 0.0,
        "abstention_rate": sum(r.abstained for r in results) / n if n else 0.0,
        "latency_p50_ms": statistics.median([r.latency_ms for r in results]) if n else 0.0,
    }
