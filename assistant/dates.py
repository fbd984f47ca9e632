"""Date phrases in questions ("this week", "since Monday", "in June 2022") as date filters."""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m}
_MONTHS.update({m.lower(): i for i, m in enumerate(calendar.month_abbr) if m})
_MONTHS["sept"] = 9
_DAYS = {d.lower(): i for i, d in enumerate(calendar.day_name)}
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DAY_RE = "|".join(_DAYS)

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\b(?:this|the past|the last|over the past) week\b", re.I), "week"),
    (re.compile(r"\blast week\b", re.I), "lastweek"),
    (re.compile(r"\b(?:this|the past|the last) month\b", re.I), "month"),
    (re.compile(r"\blast month\b", re.I), "lastmonth"),
    (re.compile(r"\b(?:this|the past) year\b", re.I), "year"),
    (re.compile(r"\btoday\b", re.I), "today"),
    (re.compile(r"\byesterday\b", re.I), "yesterday"),
    (re.compile(rf"\bsince (?:last )?({_DAY_RE})\b", re.I), "sinceday"),
    (re.compile(rf"\b(?:in|during) ({_MONTH_RE})\.? (\d{{4}})\b", re.I), "monthyear"),
    (re.compile(rf"\bsince ({_MONTH_RE})\.? (\d{{4}})\b", re.I), "sincemonthyear"),
    (re.compile(r"\b(?:in|during) (\d{4})\b", re.I), "inyear"),
    (re.compile(r"\bsince (\d{4})\b", re.I), "sinceyear"),
]


def date_filter(question: str, ref: date) -> tuple[date | None, date | None, str]:
    """``(since, until, question without the phrase)`` for date phrases relative to ``ref``.

    ``ref`` is the "as of" date (or today). Returns ``(None, None, question)`` when the
    question names no period.
    """
    for pattern, kind in _PATTERNS:
        m = pattern.search(question)
        if not m:
            continue
        since, until = _period(kind, m, ref)
        if since is None and until is None:
            continue
        rest = (question[: m.start()] + question[m.end() :]).strip()
        rest = re.sub(r"\s{2,}", " ", rest).replace(" ?", "?")
        return since, until, rest or question
    return None, None, question


def _period(kind: str, m: re.Match[str], ref: date) -> tuple[date | None, date | None]:
    if kind == "week":
        return ref - timedelta(days=7), ref
    if kind == "lastweek":
        return ref - timedelta(days=14), ref - timedelta(days=7)
    if kind == "month":
        return ref - timedelta(days=31), ref
    if kind == "lastmonth":
        first = ref.replace(day=1)
        prev_last = first - timedelta(days=1)
        return prev_last.replace(day=1), prev_last
    if kind == "year":
        return ref - timedelta(days=365), ref
    if kind == "today":
        return ref, ref
    if kind == "yesterday":
        return ref - timedelta(days=1), ref - timedelta(days=1)
    if kind == "sinceday":
        target = _DAYS[m.group(1).lower()]
        back = (ref.weekday() - target) % 7 or 7
        return ref - timedelta(days=back), ref
    if kind in ("monthyear", "sincemonthyear"):
        month, year = _MONTHS[m.group(1).lower().rstrip(".")], int(m.group(2))
        start = date(year, month, 1)
        if kind == "sincemonthyear":
            return start, None
        return start, date(year, month, calendar.monthrange(year, month)[1])
    if kind == "inyear":
        y = int(m.group(1))
        return (date(y, 1, 1), date(y, 12, 31)) if 1900 < y < 2200 else (None, None)
    if kind == "sinceyear":
        y = int(m.group(1))
        return (date(y, 1, 1), None) if 1900 < y < 2200 else (None, None)
    return None, None
