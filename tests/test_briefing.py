from __future__ import annotations

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


def test_briefing_on_unknown_topic(seeded) -> None:  # type: ignore[no-untyped-def]
    b = seeded.brief("football transfer market", sources=["CNN"])
    assert b.key_points == () and "don't cover" in briefing_markdown(b)
