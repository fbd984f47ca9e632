"""SummHay (Summary of a Haystack) for briefings: coverage of reference insights and citation F1.

For each subtopic query a briefing is made over the haystack's 100 documents (ingested into the
haystack's own store under ``data_dir/eval``). An offline coverage judge scores it: an insight
is FULL when some briefing line means nearly the same (cosine of the bundled MiniLM embeddings
at or above ``full``), PARTIAL above ``partial``, else NO. The thresholds are calibrated on the
stored LLM-judge labels of the haystack's ``reference_summaries`` (agreement reported), and the
same judge scores those reference summaries, so all systems are compared on one ruler.

Metrics as in the paper: coverage (FULL = 1, PARTIAL = 0.5, averaged over insights), citation
F1 (documents the covering line cites vs the insight's ``doc_ids``), joint = coverage x
citation F1 per insight, averaged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.errors import AssistantError

EmbedFn = Callable[[list[str]], np.ndarray]
LABEL = {"FULL_COVERAGE": 1.0, "PARTIAL_COVERAGE": 0.5, "NO_COVERAGE": 0.0}
#: the stored systems shown next to the briefing (full haystack in context, and oracle)
SHOWN = (
    "summary_subtopic_gpt-4o",
    "summary_subtopic_claude3-opus",
    "summary_subtopic_gemini-1.5-pro",
    "summary_subtopic_oracle_gpt-4o",
    "summary_subtopic_oracle_claude3-opus",
    "summary_subtopic_vector_gpt-4o",
)
_CITES = re.compile(r"\[[^\]]*\]")


@dataclass(frozen=True)
class Judge:
    """Offline coverage: the best cosine between an insight and any line, thresholded."""

    full: float = 0.7
    partial: float = 0.55

    def label(self, best: float) -> float:
        return 1.0 if best >= self.full else 0.5 if best >= self.partial else 0.0


def load(path: Path) -> dict[str, Any]:
    """A haystack file, checked for the fields used here."""
    if not path.exists():
        raise AssistantError(f"haystack not found: {path}; pass --haystack summhay/newsN.json")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        _ = [(d["id"], d["text"]) for d in data["documents"]]
        _ = [(s["query"], s["insights"]) for s in data["subtopics"]]
    except (ValueError, KeyError, TypeError) as e:
        raise AssistantError(f"{path}: not a SummHay haystack ({e})") from e
    return data


def documents_jsonl(data: dict[str, Any], out: Path) -> Path:
    """The haystack's documents as JSONL articles whose ids are the SummHay doc ids."""
    with out.open("w", encoding="utf-8") as fh:
        for d in data["documents"]:
            row = {
                "id": d["id"],
                "title": d["id"],
                "source": d.get("source", ""),
                "text": d["text"],
            }
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return out


def clean_bullet(text: str) -> str:
    """A stored summary bullet without its citation brackets."""
    return " ".join(_CITES.sub("", text).split())


def best_similarities(
    embed: EmbedFn, insights: Sequence[str], lines: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """For each insight, the best cosine with any line and which line it is."""
    if not lines or not insights:
        return np.zeros(len(insights)), np.full(len(insights), -1)
    sims = embed(list(insights)) @ embed(list(lines)).T
    return sims.max(axis=1), sims.argmax(axis=1)


def memo(embed: EmbedFn, texts: Sequence[str]) -> EmbedFn:
    """An embed function that encodes ``texts`` once, in one batch, and looks them up."""
    unique = list(dict.fromkeys(texts))
    table = dict(zip(unique, embed(unique), strict=True)) if unique else {}

    def lookup(batch: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(batch) if t not in table]
        if missing:
            table.update(zip(missing, embed(missing), strict=True))
        return np.stack([table[t] for t in batch])

    return lookup


def calibration_systems(data: dict[str, Any]) -> set[str]:
    """The stored systems whose labels calibrate the judge: every third one, plus SHOWN."""
    names = sorted(
        {rs["system"] for st in data["subtopics"] for rs in st.get("reference_summaries", [])}
    )
    return set(names[::3]) | set(SHOWN)


def all_texts(data: dict[str, Any], systems: set[str]) -> list[str]:
    """Every insight and stored bullet the judge will embed."""
    out = []
    for st in data["subtopics"]:
        out += [i["text"] for i in st["insights"]]
        for rs in st.get("reference_summaries", []):
            if rs["system"] in systems:
                out += [clean_bullet(b) for b in rs["bullets"] if clean_bullet(b)]
    return out


def calibration_pairs(
    data: dict[str, Any], embed: EmbedFn, systems: set[str] | None = None
) -> tuple[list[float], list[float]]:
    """(best cosine, stored label) for each judged insight of each reference summary."""
    sims: list[float] = []
    gold: list[float] = []
    for st in data["subtopics"]:
        texts = {i["id"]: i["text"] for i in st["insights"]}
        for rs in st.get("reference_summaries", []):
            if systems is not None and rs["system"] not in systems:
                continue
            lines = [clean_bullet(b) for b in rs["bullets"] if clean_bullet(b)]
            judged = [j for j in rs["judgements"] if j["insight_id"] in texts]
            best, _ = best_similarities(embed, [texts[j["insight_id"]] for j in judged], lines)
            sims += [float(x) for x in best]
            gold += [LABEL.get(j["coverage"], 0.0) for j in judged]
    return sims, gold


def calibrate(sims: Sequence[float], gold: Sequence[float]) -> tuple[Judge, float]:
    """The thresholds that agree most often with the stored labels, and that agreement."""
    s, g = np.asarray(sims), np.asarray(gold)
    best = (Judge(), -1.0)
    for lo in range(30, 90):  # hundredths, so a threshold is exactly what is reported
        partial = lo / 100
        for hi in range(lo, 95):
            full = hi / 100
            pred = np.where(s >= full, 1.0, np.where(s >= partial, 0.5, 0.0))
            agree = float((pred == g).mean()) if len(g) else 0.0
            if agree > best[1]:
                best = (Judge(full, partial), agree)
    return best


def agreement(judge: Judge, sims: Sequence[float], gold: Sequence[float]) -> float:
    """How often the judge's label equals the stored LLM-judge label."""
    if not gold:
        return 0.0
    return float(np.mean([judge.label(x) == y for x, y in zip(sims, gold, strict=True)]))


def score_lines(
    embed: EmbedFn,
    judge: Judge,
    insights: list[dict[str, Any]],
    lines: list[str],
    cited: list[set[str]] | None,
) -> dict[str, float]:
    """Coverage, citation F1 and joint of one summary (its lines and the docs each cites)."""
    best, which = best_similarities(embed, [i["text"] for i in insights], lines)
    cov, f1s, joint = [], [], []
    for k, ins in enumerate(insights):
        c = judge.label(float(best[k]))
        cov.append(c)
        if cited is None:
            continue
        f1 = 0.0
        if c > 0:
            docs, gold = cited[int(which[k])], set(ins["doc_ids"])
            hit = len(docs & gold)
            if hit:
                p, r = hit / len(docs), hit / len(gold)
                f1 = 2 * p * r / (p + r)
            f1s.append(f1)
        joint.append(c * f1)
    out = {"coverage": 100 * float(np.mean(cov)) if cov else 0.0}
    if cited is not None:
        out["citation_f1"] = 100 * float(np.mean(f1s)) if f1s else 0.0
        out["joint"] = 100 * float(np.mean(joint)) if joint else 0.0
    return out


def reference_scores(
    data: dict[str, Any], embed: EmbedFn, judge: Judge, systems: Sequence[str] = SHOWN
) -> dict[str, dict[str, float]]:
    """Mean coverage per stored system: by this judge, and by the stored LLM-judge labels."""
    acc: dict[str, dict[str, list[float]]] = {}
    for st in data["subtopics"]:
        for rs in st.get("reference_summaries", []):
            if rs["system"] not in systems:
                continue
            lines = [clean_bullet(b) for b in rs["bullets"] if clean_bullet(b)]
            ours = score_lines(embed, judge, st["insights"], lines, None)["coverage"]
            labels = {j["insight_id"]: LABEL.get(j["coverage"], 0.0) for j in rs["judgements"]}
            stored = 100 * float(np.mean([labels.get(i["id"], 0.0) for i in st["insights"]]))
            row = acc.setdefault(rs["system"], {"coverage": [], "stored_coverage": []})
            row["coverage"].append(ours)
            row["stored_coverage"].append(stored)
    return {
        sys: {k: round(float(np.mean(v)), 1) for k, v in row.items()} for sys, row in acc.items()
    }


def run(
    path: Path,
    brief: Callable[[str], Any],
    embed: EmbedFn,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Calibrate the judge on the stored labels, brief every subtopic, score all on one ruler.

    ``brief(query)`` returns a Briefing over the haystack's documents (already ingested).
    """
    data = load(path)
    systems = calibration_systems(data)
    embed = memo(embed, all_texts(data, systems))
    sims, gold = calibration_pairs(data, embed, systems)
    judge, agree = calibrate(sims, gold)
    per: list[dict[str, float]] = []
    lines_shown = []
    subtopics = data["subtopics"]
    for n, st in enumerate(subtopics, 1):
        b = brief(st["query"])
        quotes = b.quotes()
        lines = [" ".join(q.text.split()) for q in quotes]
        cited = [{q.ref.article_id, *(r.article_id for r in q.also_in)} for q in quotes]
        per.append(score_lines(embed, judge, st["insights"], lines, cited))
        lines_shown.append(len(lines))
        if progress:
            progress(n, len(subtopics))
    mean = {k: round(float(np.mean([p[k] for p in per])), 1) for k in per[0]} if per else {}
    return {
        "haystack": path.name,
        "topic": data.get("topic", ""),
        "subtopics": len(subtopics),
        "judge": {"full": judge.full, "partial": judge.partial},
        "judge_agreement": round(100 * agree, 1),
        "judged_pairs": len(gold),
        "briefing": {**mean, "lines_per_briefing": round(float(np.mean(lines_shown)), 1)},
        "references": reference_scores(data, embed, judge),
    }
