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
