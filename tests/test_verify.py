from __future__ import annotations

from assistant.answer.verify import locate

TEXT = (
    "He said: “We will not\nretreat,” and left — quickly.\nHe said: “We will not retreat,” again."
)


def test_locate_exact_and_typography_folded() -> None:
    start, end = locate("We will not retreat", TEXT)  # type: ignore[misc]
    assert TEXT[start:end] == "We will not\nretreat"
    s2, e2 = locate('"We will not retreat," again', TEXT)  # type: ignore[misc]
    assert TEXT[s2:e2] == "“We will not retreat,” again"
    assert TEXT[slice(*locate("left - quickly", TEXT))] == "left — quickly"  # type: ignore[misc]


def test_locate_prefers_the_occurrence_near_the_hint() -> None:
    late = locate("We will not retreat", TEXT, near=len(TEXT))
    assert late is not None and late[0] > 40


def test_paraphrase_is_not_found() -> None:
    assert locate("We shall not retreat", TEXT) is None
    assert locate("   ", TEXT) is None
