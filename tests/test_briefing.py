from __future__ import annotations

import pytest

from assistant.render.markdown import briefing_markdown


def test_briefing_on_seed(seeded) -> None:  # type: ignore[no-untyped-def]
    b = seeded.brief("talks between Russia and the United States")
    assert 3 <= len(b.key_points) <= 5
    parties = {p.party: p for p in b.positions}
    assert {"United States", "Russia"} <= set(parties)
    assert all("Kirby" in (q.speaker or "") for q in parties["United States"].quotes)
    assert any(q.speaker == "Officials from the Russian side" for q in parties["Russia"].quotes)
    article = seeded.article(b.key_points[0].ref.article_id).text
    for q in [*b.key_points, *(q for p in b.positions for q in p.quotes)]:
        assert article[q.start : q.end] == q.text
    # the same quote keeps one citation number wherever it appears
    numbers = {(q.start, q.citation) for q in [*b.key_points,
                                               *(q for p in b.positions for q in p.quotes)]}
    assert len({s for s, _ in numbers}) == len(numbers)
    assert briefing_markdown(b).startswith("## Briefing: talks between Russia and the United States")
    assert "### Positions" in briefing_markdown(b) and "**Russia**" in briefing_markdown(b)


@pytest.mark.parametrize("topic", ["football transfer market", "weather forecast for the weekend"])
def test_briefing_on_a_topic_the_articles_do_not_cover(seeded, topic: str) -> None:  # type: ignore[no-untyped-def]
    """No filter: the seed article is retrieved, and the relevance cut-off turns it away."""
    b = seeded.brief(topic)
    assert b.passages and {p.ref.source for p in b.passages} == {"DEA News"}
    assert b.key_points == () and b.positions == ()
    assert briefing_markdown(b) == f"## Briefing: {topic}\n\nThe sources don't cover this topic."


def test_briefing_on_a_narrow_topic_keeps_only_close_points(seeded) -> None:  # type: ignore[no-untyped-def]
    b = seeded.brief("Kirby")
    assert 1 <= len(b.key_points) < 5
    assert any("Kirby" in (q.speaker or "") for q in b.key_points)
