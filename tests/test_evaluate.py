from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.evaluate import earliest_choice, normalize, run_eval
from tests.conftest import CORPUS, ROOT


def test_normalize_as_defined() -> None:
    assert normalize("“Squid Game”") == "squid game"
    assert normalize("U.S.-led  talks!") == "u s led talks"
    assert normalize("Ｆｕｌｌwidth") == "fullwidth"


def test_earliest_choice() -> None:
    seen = ["The winner was Spain, not France.", "Italy came third."]
    assert earliest_choice(["France", "Spain", "Italy", "Peru"], seen) == "Spain"
    assert earliest_choice(["Peru"], seen) is None


@pytest.fixture
def shared_model(embedder, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """Assistants built inside run_eval reuse the session's loaded model."""
    from assistant import service

    real_init = service.Assistant.__init__

    def init(self, settings=None):  # type: ignore[no-untyped-def]
        real_init(self, settings)
        self.embedder = embedder

    monkeypatch.setattr(service.Assistant, "__init__", init)


def test_custom_eval_on_seed(tmp_path: Path, shared_model: None) -> None:
    from assistant.settings import Settings

    out = tmp_path / "res.json"
    metrics = run_eval(
        "custom", corpus=CORPUS / "kirby-russia-talks.md",
        questions=ROOT / "benchmarks" / "seed-questions.jsonl", output=out,
        settings=Settings(data_dir=tmp_path / "data"),
    )
    assert metrics["questions"] == 6 and metrics["passed"] == 6
    assert metrics["abstention_rate"] == pytest.approx(2 / 6)
    saved = json.loads(out.read_text())
    assert saved["metrics"]["pass_rate"] == 1.0 and len(saved["results"]) == 6


def test_rtqa_format_on_a_tiny_set(tmp_path: Path, shared_model: None) -> None:
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
    m = run_eval("rtqa", corpus=corpus, questions=qs, settings=Settings(data_dir=tmp_path / "d"))
    assert m["gold_hit@1"] == 1.0 and m["gold_mrr@10"] == 1.0
    assert m["answer_in_context@5"] == 1.0
    assert m["answer_in_quotes"] == 1.0 and m["mc_accuracy"] == 1.0
