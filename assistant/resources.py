"""The project's data folders (``ui/``, ``prompts/``), from a checkout or an installed wheel.

In the repository (and an editable install) the folders sit next to the package and are read
in place, so edits show at once. A wheel carries them inside the package as
``assistant/_ui`` and ``assistant/_prompts`` (``[tool.setuptools.package-dir]`` in
pyproject.toml maps the top-level folders there at build time, so nothing is copied or
linked in the repository). pip installs wheels unpacked, so both are plain directories.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from assistant.errors import ConfigError

Folder = Literal["ui", "prompts"]
_PACKAGE = Path(__file__).resolve().parent


def data_dir(folder: Folder) -> Path:
    """The ``ui`` or ``prompts`` folder: the checkout's own, else the installed package's."""
    checkout, packaged = _PACKAGE.parent / folder, _PACKAGE / f"_{folder}"
    for path in (checkout, packaged):
        if path.is_dir():
            return path
    raise ConfigError(
        f"the {folder}/ folder is missing (looked in {checkout} and {packaged}): "
        "reinstall briefing-assistant, or run from the repository"
    )


def data_file(folder: Folder, name: str) -> Path:
    """A file of ``ui/`` or ``prompts/``.

    Raises:
        ConfigError: The file is missing.
    """
    path = data_dir(folder) / name
    if not path.is_file():
        raise ConfigError(f"{path} is missing: reinstall, or run from the repository root")
    return path
