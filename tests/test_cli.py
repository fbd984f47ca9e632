"""The real `assistant` command in a subprocess, on a temporary store."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CORPUS, ROOT


def run(data: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(data), "COLUMNS": "200"}
    proc = subprocess.run(
        [sys.executable, "-m", "assistant.cli", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    if check:
        assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("cli")
    proc = run(data, "ingest", str(CORPUS), "--json")
    report = json.loads(proc.stdout)
    assert report["added"] == 1 and report["failed"] == 0 and report["chunks"] >= 4
    return data


def test_help_lists_the_commands() -> None:
    """Each command is a row of the Commands panel (its first word), not a word anywhere."""
    proc = run(Path("/tmp/unused"), "--help")
    panel = proc.stdout.split("Commands", 1)[1]
    rows = dict(re.findall(r"^│ ([a-z-]+) +(\S.*?) *│$", panel, re.MULTILINE))
    expected = ("ingest", "ask", "brief", "chat", "search", "sources", "stats", "config", "eval")
    assert set(expected) | {"web"} <= set(rows)
    assert rows["chat"].startswith("An interactive conversation in the terminal")
    assert rows["web"] == "Serve the web chat and the JSON API."


def test_ingest_failures_name_the_path_and_the_cause(store: Path, tmp_path: Path) -> None:
    word = tmp_path / "word"
    word.mkdir()
    (word / "memo.docx").write_bytes(b"PK\x03\x04")
    (tmp_path / "bad.pdf").write_bytes(b"%PDF-1.4\nbroken")
    missing = tmp_path / "missing.md"
    proc = run(store, "ingest", str(missing), str(word), str(tmp_path / "bad.pdf"), check=False)
    assert proc.returncode == 1
    lines = " ".join(proc.stderr.split())  # the console wraps long lines
    assert f"failed: {missing}: no such file or folder; check the path" in lines
    assert (
        f"failed: {word}: no file of a readable type in the folder (found 1 other file, e.g. "
        "memo.docx); readable: .atom .htm .html .json" in lines
    )
    assert f"failed: {tmp_path / 'bad.pdf'}: malformed PDF (" in lines
    assert "EOF marker" not in proc.stderr  # pypdf's own log lines, which name no file
    assert proc.stdout.startswith("added 0, updated 0, skipped 0 (unchanged), failed 3")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--mode", "gpt"], "Invalid value for --mode: 'gpt': use extractive or llm"),
        (["--top", "0"], "Invalid value for '--top': Input should be greater than or equal to 1"),
    ],
)
def test_ask_refuses_options_the_api_refuses(store: Path, args: list[str], message: str) -> None:
    proc = run(store, "ask", "What does Russia require before talks?", *args, check=False)
    assert proc.returncode == 2 and message in " ".join(proc.stderr.replace("│", " ").split())


def test_ask_json(store: Path) -> None:
    data = json.loads(run(store, "ask", "--json", "What does Russia require before talks?").stdout)
    assert data["abstained"] is False and data["mode"] == "extractive"
    q = data["quotes"][0]
    assert q["speaker"] == "Officials from the Russian side" and q["source"] == "DEA News"
    article = (CORPUS / "kirby-russia-talks.md").read_text().split("---\n", 2)[2].strip()
    assert article[q["start"] : q["end"]] == q["text"]


def test_sources_and_stats_json(store: Path) -> None:
    rows = json.loads(run(store, "sources", "--json").stdout)
    assert [r["source"] for r in rows] == ["DEA News"]
    assert rows[0]["chunks"] >= 4 and rows[0]["published"] is None
    stats = json.loads(run(store, "stats", "--json").stdout)
    assert stats["articles"] == 1 and stats["chunks"] == rows[0]["chunks"]
    assert stats["outlets"] == {"DEA News": 1}


def test_errors_are_messages_with_exit_codes(store: Path, tmp_path: Path) -> None:
    empty = run(store, "ask", "  ", check=False)
    assert empty.returncode == 2 and "the question is empty" in empty.stderr
    assert "Traceback" not in empty.stderr
    nostore = run(tmp_path / "none", "ask", "What now?", check=False)
    assert nostore.returncode == 3 and "ingest articles first" in nostore.stderr
    bad_date = run(store, "ask", "x?", "--as-of", "June", check=False)
    assert bad_date.returncode == 2 and "not a date" in bad_date.stderr
    missing = run(store, "ingest", str(tmp_path / "nope.md"), check=False)
    assert missing.returncode == 1 and "no such file or folder" in missing.stderr


def test_bad_setting_is_reported(tmp_path: Path) -> None:
    env = {**os.environ, "ASSISTANT_TOP_K": "zero", "ASSISTANT_DATA_DIR": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-m", "assistant.cli", "config"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "ASSISTANT_TOP_K" in proc.stderr


def test_config_masks_secrets(tmp_path: Path) -> None:
    env = {**os.environ, "ASSISTANT_LLM_API_KEY": "sk-secret", "ASSISTANT_DATA_DIR": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-m", "assistant.cli", "config", "--json"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)
    values = json.loads(proc.stdout)
    assert values["llm_api_key"] == "***" and "sk-secret" not in proc.stdout


MARKUP_ARTICLE = """---
title: "Budget row [/oops] deepens [bold]"
source: "[red]Wire[/red]"
url: "javascript:alert(1)"
---
The finance minister said the budget vote was delayed [again] until Friday, and the
opposition leader said the delay [/i] showed the coalition was divided.
"""


def test_bad_files_in_a_folder_and_article_text_that_looks_like_markup(tmp_path: Path) -> None:
    import gzip

    from tests.conftest import jsonl_gz, write_bomb

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "budget.md").write_text(MARKUP_ARTICLE)
    rows = [{"id": f"r{i}", "text": f"Report {i}: the harbor reopened, officials said."}
            for i in range(300)]  # fmt: skip
    cut = jsonl_gz(tmp_path / "full.jsonl.gz", rows).read_bytes()
    (folder / "cut.jsonl.gz").write_bytes(cut[: len(cut) // 2])  # truncated download
    write_bomb(folder / "bomb.jsonl.gz", megabytes=0.5)
    jsonl_gz(folder / "good.jsonl.gz", [{"id": "g1", "text": "The ferry runs again, Lopez said."}])
    (folder / "zz.jsonl.gz").write_bytes(gzip.compress(b"")[:5])  # not even a gzip header
    data = tmp_path / "data"
    proc = run(data, "ingest", str(folder), "--json", check=False)
    assert proc.returncode == 1 and "Aborted" not in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    report = json.loads(proc.stdout)
    reasons = {Path(f["origin"]).name: f["reason"] for f in report["failures"]}
    assert sorted(reasons) == ["bomb.jsonl.gz", "cut.jsonl.gz", "zz.jsonl.gz"]
    assert "unpacks to more than 21.0 MB" in reasons["bomb.jsonl.gz"]
    assert "corrupt or truncated gzip file" in reasons["cut.jsonl.gz"]
    assert "corrupt or truncated gzip file" in reasons["zz.jsonl.gz"]
    assert report["added"] > 3  # budget.md, good.jsonl.gz and the rows before the cut
    rows_out = json.loads(run(data, "sources", "--json").stdout)
    ids = {r["id"] for r in rows_out}
    assert {"g1", "r0", "r1"} <= ids and "r299" not in ids
    budget = next(r for r in rows_out if r["title"].startswith("Budget row"))
    assert budget["title"] == "Budget row [/oops] deepens [bold]" and budget["url"] == ""
    table = run(data, "sources")
    assert "Budget row [/oops] deepens [bold]" in table.stdout and "[red]Wire[/red]" in table.stdout
    found = run(data, "search", "budget vote delayed", "--top", "1")
    assert "Budget row [/oops] deepens [bold]" in found.stdout
    assert "delayed [again] until Friday" in found.stdout and "the delay [/i] showed" in found.stdout
    stats = run(data, "stats")
    assert "[red]Wire[/red] (1)" in stats.stdout


def test_invalid_text_in_a_question_is_a_clean_error(store: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "ask", b"why \xed\xa0\x80?"],
        cwd=ROOT,
        env={**os.environ, "ASSISTANT_DATA_DIR": str(store)},
        capture_output=True,
        timeout=300,
    )
    err = proc.stderr.decode()
    assert proc.returncode == 2 and "Traceback" not in err, err
    assert "the question is not valid text" in err
    invisible = run(store, "ask", "\u200b\u200d\u2060", check=False)
    assert invisible.returncode == 2 and "the question is empty" in invisible.stderr
