"""The SummHay briefing evaluation: judge calibration, coverage and citation F1, end to end on a
tiny haystack with the real model and store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from assistant import eval_summhay as E
from assistant.errors import AssistantError

DOCS = [
    {
        "id": "d1",
        "source": "Harbor Wire",
        "text": "Harbor Authority chair Maria Lopez said the "
        "new ferry terminal on Pier Nine will open to passengers in May after final safety "
        "inspections. Lopez added that the terminal will add twelve daily crossings to Corvo.",
    },
    {
        "id": "d2",
        "source": "Island Post",
        "text": "The city council voted to raise ferry fares "
        "by ten percent next year to pay for the new terminal. Council member Ana Silva said the "
        "increase was unavoidable given rising fuel costs.",
    },
    {
        "id": "d3",
        "source": "Sports Daily",
        "text": "The local football club signed a new "
        "goalkeeper from Porto on a three-year contract. The coach said the signing strengthens "
        "the defence before the season opens.",
    },
]
INSIGHTS = [
    {
        "id": "i1",
        "text": "The new ferry terminal on Pier Nine opens to passengers in May.",
        "doc_ids": ["d1"],
    },
    {
        "id": "i2",
        "text": "Ferry fares will rise by ten percent to pay for the terminal.",
        "doc_ids": ["d2", "d3"],
    },
    {
        "id": "i3",
        "text": "The airport will close its second runway for repairs in winter.",
        "doc_ids": ["d3"],
    },
]


def haystack(tmp_path: Path) -> Path:
    data = {
        "topic": "Ferries",
        "documents": DOCS,
        "subtopics": [{
            "id": "s1", "name": "terminal", "description": "",
            "query": "the new ferry terminal and ferry fares",
            "insights": INSIGHTS,
            "reference_summaries": [{
                "system": "summary_subtopic_gpt-4o",
                "bullets": ["The Pier Nine ferry terminal opens to passengers in May [1].",
                            "Fares for the ferry go up by ten percent [2]."],
                "judgements": [
                    {"bullet": 1, "insight_id": "i1", "coverage": "FULL_COVERAGE"},
                    {"bullet": 2, "insight_id": "i2", "coverage": "FULL_COVERAGE"},
                    {"bullet": 1, "insight_id": "i3", "coverage": "NO_COVERAGE"},
                ],
            }],
        }],
    }  # fmt: skip
    path = tmp_path / "news0.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_judge_thresholds_and_calibration() -> None:
    judge = E.Judge(full=0.7, partial=0.5)
    assert [judge.label(x) for x in (0.71, 0.7, 0.6, 0.5, 0.49)] == [1.0, 1.0, 0.5, 0.5, 0.0]
    # labels separable at 0.6 / 0.8: calibration finds thresholds with full agreement
    sims = [0.9, 0.85, 0.7, 0.65, 0.4, 0.2]
    gold = [1.0, 1.0, 0.5, 0.5, 0.0, 0.0]
    found, agree = E.calibrate(sims, gold)
    assert agree == 1.0
    assert 0.4 < found.partial <= 0.65 and 0.7 < found.full <= 0.85
    assert E.agreement(found, sims, gold) == 1.0
    assert E.agreement(E.Judge(0.95, 0.9), sims, gold) == pytest.approx(2 / 6)


def test_coverage_and_citation_f1_of_lines(embedder: Any) -> None:
    lines = [DOCS[0]["text"].split(". ")[0] + ".", DOCS[1]["text"].split(". ")[0] + "."]
    cited = [{"d1"}, {"d2"}]
    judge = E.Judge(full=0.6, partial=0.45)
    m = E.score_lines(embedder.embed, judge, INSIGHTS, lines, cited)
    # i1 and i2 covered in full, i3 (a runway) not: coverage 2/3
    assert m["coverage"] == pytest.approx(200 / 3)
    # i1 cites exactly its doc (F1 1); i2 cites one of its two docs (P 1, R 0.5, F1 2/3)
    assert m["citation_f1"] == pytest.approx(100 * (1 + 2 / 3) / 2)
    assert m["joint"] == pytest.approx(100 * (1 + 2 / 3 + 0) / 3)
    assert E.clean_bullet("Fares rise [2, 5]. [Doc 3]") == "Fares rise ."


def test_missing_or_bad_haystack_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(AssistantError, match=r"haystack not found: .*nope\.json"):
        E.load(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"documents": []}', encoding="utf-8")
    with pytest.raises(AssistantError, match="not a SummHay haystack"):
        E.load(bad)


def test_run_briefs_each_subtopic_over_the_haystack(fresh: Any, tmp_path: Path) -> None:
    path = haystack(tmp_path)
    docs = E.documents_jsonl(E.load(path), tmp_path / "docs.jsonl")
    assert fresh.ingest([str(docs)]).added == 3
    assert {s.ref.article_id for s in fresh.sources()} == {"d1", "d2", "d3"}
    result = E.run(path, fresh.brief, fresh.embedder.embed)
    assert result["subtopics"] == 1 and result["judged_pairs"] == 3
    assert result["judge_agreement"] == 100.0
    b = result["briefing"]
    # the briefing quotes d1 and d2 verbatim: the terminal and the fares are covered, the
    # runway is not; each covered insight is cited with its own document
    assert b["coverage"] == pytest.approx(200 / 3, abs=0.1)
    assert b["citation_f1"] > 0
    assert result["references"]["summary_subtopic_gpt-4o"]["stored_coverage"] == pytest.approx(
        66.7, abs=0.1
    )
