"""LLM prompt templates: one Markdown file each in the ``prompts/`` folder (packaged too).

A prompt file has an optional leading ``<!-- comment -->`` and two sections, ``# system`` and
``# user``. Placeholders are ``{name}``; :func:`fill` replaces them in one pass, so braces in the
inserted values (article text, questions) are never read as placeholders.
"""

from __future__ import annotations

import re
from pathlib import Path

from assistant.errors import ConfigError
from assistant.resources import data_dir

_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_SECTION = re.compile(r"^#[ \t]+(\w+)[ \t]*$", re.MULTILINE)
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def prompts_dir() -> Path:
    """The ``prompts/`` folder: the checkout's, else the installed package's."""
    return data_dir("prompts")


def load_prompt(name: str) -> str:
    """The text of ``prompts/<name>.md``.

    Args:
        name: The prompt's file name without ``.md`` (lower case letters, digits, ``_``, ``-``).

    Raises:
        ValueError: The name is not a plain file name.
        ConfigError: The file does not exist.
    """
    if not _NAME.fullmatch(name):
        raise ValueError(f"prompt name {name!r} must be a plain name like 'answer' or 'condense'")
    path = prompts_dir() / f"{name}.md"
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"the prompt file {path} is missing: reinstall, or run from the repository root"
        ) from None


def sections(text: str) -> dict[str, str]:
    """The ``# name`` sections of a prompt, comments removed, each stripped."""
    text = _COMMENT.sub("", text)
    parts = _SECTION.split(text)
    return {parts[i].lower(): parts[i + 1].strip() for i in range(1, len(parts) - 1, 2)}


def fill(template: str, values: dict[str, str]) -> str:
    """Replace each ``{name}`` with its value; unknown placeholders are left as written."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def prompt(name: str, **values: str) -> tuple[str, str]:
    """The filled ``(system, user)`` messages of ``prompts/<name>.md``."""
    parts = sections(load_prompt(name))
    if "system" not in parts or "user" not in parts:
        raise ConfigError(f"the prompt file prompts/{name}.md needs '# system' and '# user'")
    return fill(parts["system"], values), fill(parts["user"], values)
