"""Saved briefings: what a briefing saw, so a later one can show only what is new since.

``assistant brief TOPIC --save NAME`` records the articles the store held and the briefing's
items under ``<data dir>/briefings/NAME.json``; ``--since-last NAME`` then leaves out every
article that was already there.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.errors import QuestionError
from assistant.types import Briefing

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True)
class Saved:
    """A saved briefing's record."""

    name: str
    topic: str
    saved_at: str
    articles: frozenset[str]

    def describe(self) -> str:
        """How a delta against this record is worded: "since the briefing 'x' of ..."."""
        return f"since the briefing '{self.name}' of {self.saved_at[:16].replace('T', ' ')} UTC"


def path_of(data_dir: Path, name: str) -> Path:
    """Where a saved briefing lives; the name is checked (letters, digits, ``_.-``)."""
    if not _NAME.match(name) or ".." in name:
        raise QuestionError(
            f"bad briefing name {name!r}: use up to 64 letters, digits, '_', '.' or '-'"
        )
    return data_dir / "briefings" / f"{name}.json"


def save(data_dir: Path, name: str, b: Briefing, articles: list[str]) -> Path:
    """Record a briefing and the articles the store held when it was made."""
    path = path_of(data_dir, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    record: dict[str, Any] = {
        "name": name,
        "topic": b.topic,
        "saved_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "articles": sorted(articles),
        "briefing": b.to_json(),
    }
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(path)
    return path


def load(data_dir: Path, name: str) -> Saved:
    """A saved briefing's record, or a clear error naming what to do."""
    path = path_of(data_dir, name)
    if not path.exists():
        raise QuestionError(
            f"no saved briefing named {name!r} (looked in {path.parent}): make one first with "
            f"`assistant brief TOPIC --save {name}`"
        )
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return Saved(raw["name"], raw["topic"], raw["saved_at"], frozenset(raw["articles"]))
    except (ValueError, KeyError, TypeError) as e:
        raise QuestionError(
            f"the saved briefing {path} is damaged ({e}); make it again with --save {name}"
        ) from e
