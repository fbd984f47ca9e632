from __future__ import annotations

from datetime import date

import pytest

from assistant.dates import date_filter

REF = date(2022, 6, 16)  # a Thursday


@pytest.mark.parametrize(
    ("question", "since", "until", "rest"),
    [
        ("What did Biden say this week?", date(2022, 6, 9), REF, "What did Biden say?"),
        ("What happened since Monday?", date(2022, 6, 13), REF, "What happened?"),
        (
            "What did the Fed do in June 2022?",
            date(2022, 6, 1),
            date(2022, 6, 30),
            "What did the Fed do?",
        ),
        ("Who won in 2021?", date(2021, 1, 1), date(2021, 12, 31), "Who won?"),
        ("What happened yesterday?", date(2022, 6, 15), date(2022, 6, 15), "What happened?"),
        ("What changed last month?", date(2022, 5, 1), date(2022, 5, 31), "What changed?"),
        ("What does Russia require?", None, None, "What does Russia require?"),
    ],
)
def test_date_phrases(question: str, since: date | None, until: date | None, rest: str) -> None:
    assert date_filter(question, REF) == (since, until, rest)
