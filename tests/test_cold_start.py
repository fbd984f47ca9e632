"""Cold start: the CLI imports only what a command uses (checked in fresh interpreters)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import CORPUS, ROOT

# Run a command as `assistant ...` would, then report which top-level packages it imported.
DRIVER = """
import json, runpy, sys
args = json.loads(sys.argv[1])
sys.argv = ["assistant", *args]
code = 0
try:
    runpy.run_module("assistant.cli", run_name="__main__", alter_sys=True)
except SystemExit as e:
    code = e.code or 0
tops = sorted({m.split(".")[0] for m in sys.modules})
sys.stderr.write("\\nMODULES " + json.dumps({"code": code, "modules": tops}) + "\\n")
"""

NEVER_ON_COLD_PATHS = {"torch", "sentence_transformers", "transformers", "gradio", "fastapi",
                       "uvicorn", "langchain_core", "langchain_openai", "trafilatura", "sklearn",
                       "slack_bolt"}


def run_cli(data: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(data), "COLUMNS": "200"}
    proc = subprocess.run(
        [sys.executable, "-c", DRIVER, json.dumps(list(args))],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    report = json.loads(proc.stderr.rsplit("MODULES ", 1)[1])
    assert report["code"] == 0, proc.stderr[-3000:]
    return proc, set(report["modules"])


def test_importing_the_cli_loads_no_heavy_package() -> None:
    code = "import json, sys, assistant.cli; print(json.dumps(sorted(sys.modules)))"
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=True)
    tops = {m.split(".")[0] for m in json.loads(proc.stdout)}
    heavy = NEVER_ON_COLD_PATHS | {"chromadb", "onnxruntime", "numpy", "bm25s", "httpx",
                                   "markdown_it", "pydantic", "pydantic_settings"}
    assert tops & heavy == set()
    assert {"typer", "assistant"} <= tops


def test_help_loads_no_heavy_package(tmp_path: Path) -> None:
    proc, tops = run_cli(tmp_path, "--help")
    assert "ask" in proc.stdout and "ingest" in proc.stdout
    heavy = {"chromadb", "onnxruntime", "numpy", "pydantic", "pydantic_settings"}
    assert tops & (NEVER_ON_COLD_PATHS | heavy) == set()


def test_ingest_and_ask_on_onnx_never_import_torch(tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    assert embedder.model is not None  # the exported model is on disk (export: torch's job)
    data = tmp_path / "data"
    proc, tops = run_cli(data, "ingest", str(CORPUS), "--json")
    assert json.loads(proc.stdout)["added"] == 1
    assert tops & NEVER_ON_COLD_PATHS == set()
    assert {"chromadb", "onnxruntime", "tokenizers"} <= tops  # the real path ran

    proc, tops = run_cli(data, "ask", "--json", "What does Russia require before talks?")
    answer = json.loads(proc.stdout)
    assert answer["abstained"] is False
    assert answer["quotes"][0]["speaker"] == "Officials from the Russian side"
    assert tops & NEVER_ON_COLD_PATHS == set()
    assert {"chromadb", "onnxruntime", "bm25s"} <= tops
