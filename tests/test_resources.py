"""ui/ and prompts/ load from a checkout and from an installed (non-editable) wheel."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from assistant.errors import ConfigError
from assistant.resources import data_dir, data_file
from tests.conftest import ROOT


def test_a_checkout_reads_its_own_folders() -> None:
    assert data_dir("ui") == ROOT / "ui" and data_dir("prompts") == ROOT / "prompts"
    assert data_file("ui", "quote.html").read_text(encoding="utf-8").startswith("<blockquote")
    with pytest.raises(ConfigError, match=r"nope\.md is missing: reinstall"):
        data_file("prompts", "nope.md")


@pytest.mark.slow
def test_an_installed_wheel_carries_ui_and_prompts(tmp_path: Path) -> None:
    src = tmp_path / "src"
    for name in ("assistant", "ui", "prompts"):
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--no-build-isolation",
         "-w", str(tmp_path / "dist"), "-q"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = (tmp_path / "dist").glob("briefing_assistant-*.whl")
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)  # what pip does with a wheel
    assert (site / "assistant" / "_ui" / "style.css").is_file()
    assert not (site / "ui").exists()  # inside the package, not a stray top-level folder
    probe = (
        "import assistant, pathlib\n"
        "from assistant.resources import data_dir\n"
        "from assistant.prompts import prompt\n"
        "from assistant.render.html import ui_file\n"
        "print(pathlib.Path(assistant.__file__).parent)\n"
        "print(data_dir('ui'))\n"
        "print(prompt('condense', history='', question='Q?')[1].count('Q?'))\n"
        "print(ui_file('quote.html').splitlines()[0])\n"
    )
    env = {**os.environ, "PYTHONPATH": str(site)}
    run = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert run.returncode == 0, run.stderr[-2000:]
    package, ui, asked, quote = run.stdout.splitlines()
    assert package == str(site / "assistant") and ui == str(site / "assistant" / "_ui")
    assert asked == "1" and quote == '<blockquote class="quote" title="$why">'


def test_every_subpackage_is_listed_for_the_wheel() -> None:
    """pyproject lists packages by name (to map ui/ and prompts/ in): none may be missed."""
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {
        ".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "assistant").rglob("__init__.py")
    }
    assert found <= listed, f"add {sorted(found - listed)} to [tool.setuptools] packages"
    assert {"assistant._ui", "assistant._prompts"} <= listed
