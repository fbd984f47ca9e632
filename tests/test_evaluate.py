from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.evaluate import check_inputs, earliest_choice, eval_settings, normalize, run_eval
from tests.conftest import CORPUS, ROOT


def test_normalize_as_defined() -> None:
    assert normalize("“Squid Game”") == "squid game"
    assert normalize("U.S.-led  talks!") == "u s led talks"
    assert normalize("Ｆｕｌｌwidth") == "fullwidth"


def test_earliest_choice() -> None:
    seen = ["The winner was Spain, not France.", "Italy came third."]
    assert earliest_choice(["France", "Spain", "Italy", "Peru"], seen) == "Spain"
    assert earliest_choice(["Peru"], seen) is None


def test_custom_eval_on_seed(tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    from assistant.service import Assistant
    from assistant.settings import Settings

    out = tmp_path / "res.json"
    seed = CORPUS / "kirby-russia-talks.md"
    settings = eval_settings(Settings(data_dir=tmp_path / "data"), seed)
    assert (settings.data_dir, settings.collection) == (tmp_path / "data" / "eval", "eval-kirby-russia-talks")
    done: list[tuple[int, int]] = []
    metrics = run_eval(
        "custom",
        Assistant(settings, embedder=embedder),
        questions=ROOT / "benchmarks" / "seed-questions.jsonl",
        corpus=seed,
        output=out,
        progress=lambda n, total: done.append((n, total)),
    )
    assert done == [(n, 6) for n in range(1, 7)]
    assert metrics["questions"] == 6 and metrics["passed"] == 6
    assert metrics["abstention_rate"] == pytest.approx(2 / 6)
    saved = json.loads(out.read_text())
    assert saved["metrics"]["pass_rate"] == 1.0 and len(saved["results"]) == 6


def test_rtqa_format_on_a_tiny_set(tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    from assistant.service import Assistant
    from assistant.settings import Settings

    corpus = tmp_path / "c.jsonl"
    corpus.write_text("\n".join(json.dumps(r) for r in [
        {"id": "g1", "title": "Netflix renews hit", "source": "CNN", "published": "2022-06-14",
         "text": "Netflix said on Sunday that the South Korean drama Squid Game will return "
                 "for a second season. The streamer announced the renewal in a video."},
        {"id": "n1", "title": "Weather", "source": "AP", "published": "2022-06-13",
         "text": "Heavy rain is expected across the region this weekend, forecasters said."},
    ]))
    qs = tmp_path / "q.jsonl"
    qs.write_text(json.dumps({
        "id": "q1", "question": "Which South Korean drama will return for a second season on "
        "Netflix?", "date": "2022-06-16", "choices": ["Friends", "Squid Game", "Lost", "Dark"],
        "answer": "Squid Game", "evidence": "", "gold_doc_ids": ["g1"], "source": "CNN"}) + "\n")
    a = Assistant(Settings(data_dir=tmp_path / "d"), embedder=embedder)
    m = run_eval("rtqa", a, questions=qs, corpus=corpus)
    assert m["gold_hit@1"] == 1.0 and m["gold_mrr@10"] == 1.0
    assert m["answer_in_context@5"] == 1.0
    assert m["answer_in_quotes"] == 1.0 and m["mc_accuracy"] == 1.0


@pytest.mark.parametrize(
    ("benchmark", "questions", "corpus", "message"),
    [
        ("squad", "seed", None, "unknown benchmark 'squad'; choose rtqa or custom"),
        ("custom", "missing", None, "questions file not found: .*missing.jsonl; pass --questions"),
        ("rtqa", "seed", "missing", "corpus not found: .*missing.jsonl; pass --corpus FILE"),
    ],
)
def test_bad_inputs_fail_before_any_ingest(
    benchmark: str, questions: str, corpus: str | None, message: str, tmp_path: Path
) -> None:
    from assistant.errors import AssistantError

    files = {"seed": ROOT / "benchmarks" / "seed-questions.jsonl", "missing": tmp_path / "missing.jsonl"}
    with pytest.raises(AssistantError, match=message):
        check_inputs(benchmark, files[questions], files[corpus] if corpus else None)


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ('{"q": "x"}', r"q\.jsonl:1: no 'question' field \(a question line needs 'question'; "
         r"found 'q'\)"),
        ('{"question": "x"}\n[1]', r"q\.jsonl:2: not a JSON object"),
        ('{"question": "x", "as_of": "last week"}', r"question 1 has as_of 'last week', not a "
         "YYYY-MM-DD date"),
        ('{"question": "x", "date": 20220617}', "question 1 has date 20220617, not a YYYY-MM-DD"),
    ],
)  # fmt: skip
def test_a_bad_question_file_is_refused_with_its_line_before_any_ingest(
    lines: str, message: str, tmp_path: Path
) -> None:
    from assistant.errors import AssistantError

    class NoIngest:
        def ingest(self, *args: object, **kw: object) -> None:
            pytest.fail("ingested before checking the questions")

    (tmp_path / "q.jsonl").write_text(lines + "\n")
    with pytest.raises(AssistantError, match=message):
        run_eval("custom", NoIngest(), tmp_path / "q.jsonl", corpus=ROOT / "corpus")  # type: ignore[arg-type]
