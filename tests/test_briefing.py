"""Briefings on the real seed article and on small dated collections: structure, attribution,
no duplicates, deltas, formats, the API over real HTTP."""

from __future__ import annotations

import itertools
import json
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.answer.verify import verify_quote
from assistant.errors import QuestionError
from assistant.render.html import briefing_page
from assistant.render.markdown import briefing_json, briefing_markdown
from assistant.render.text import briefing_text
from assistant.types import Briefing, Quote

TOPIC = "talks between Russia and the United States"
CONDITION = "provided there is a demonstrated intent to bring the war to a close"


def items(b: Briefing) -> list[Quote]:
    """Every distinct item once (disagreements and timeline may point back by number)."""
    return b.quotes()


@pytest.fixture(scope="module")
def seed_brief(seeded: Any) -> Briefing:
    return seeded.brief(TOPIC)


def test_seed_positions_are_separate_and_correctly_attributed(
    seeded: Any, seed_brief: Briefing
) -> None:
    b = seed_brief
    parties = {p.party: p for p in b.positions}
    assert {"United States", "Russia"} <= set(parties)
    us, ru = parties["United States"].quotes, parties["Russia"].quotes
    assert us and all(
        q.speaker == "White House Strategic Communications Coordinator John Kirby" for q in us
    )
    # the Kremlin, Russian officials (and Klimov, a Federation Council member) merge into Russia
    assert {q.speaker for q in ru} >= {"the Kremlin leadership", "Officials from the Russian side"}
    assert not {q.speaker for q in us} & {q.speaker for q in ru}
    kremlin = [q for q in ru if CONDITION in q.text]
    assert len(kremlin) == 1 and kremlin[0].speaker == "the Kremlin leadership"
    assert kremlin[0].text.startswith("In a separate public message")
    # positions are what actors say, never the reporter's narration
    assert all(q.speaker for p in b.positions for q in p.quotes)


def test_seed_items_are_verbatim_and_never_repeat(seeded: Any, seed_brief: Briefing) -> None:
    b = seed_brief
    listed = items(b)
    assert 3 <= len(b.key_points) <= 5
    text = seeded.article(listed[0].ref.article_id).text
    for q in listed:
        assert text[q.start : q.end] == q.text
        assert verify_quote(q, text)
    # no span overlaps another, no sentence is contained in another, one number per quote
    spans = sorted((q.start, q.end) for q in listed)
    assert all(a[1] <= b_[0] for a, b_ in itertools.pairwise(spans))
    norm = [" ".join(q.text.split()) for q in listed]
    assert not any(x in y for i, x in enumerate(norm) for j, y in enumerate(norm) if i != j)
    assert sorted(q.citation for q in listed) == list(range(1, len(listed) + 1))
    # each disagreement pairs two different actors' listed positions
    actor = {q.citation: p.party for p in b.positions for q in p.quotes}
    for x, y in b.disagreements:
        assert actor[x.citation] != actor[y.citation]
    # only parties on different sides: the analysts take no side, so nobody "disagrees" with
    # them (each pair used to be listed, analysts included)
    pairs = {frozenset((actor[x.citation], actor[y.citation])) for x, y in b.disagreements}
    assert pairs == {frozenset({"United States", "Russia"})}


def test_seed_narration_is_marked_as_the_articles_words(seed_brief: Briefing) -> None:
    md = briefing_markdown(seed_brief)
    assert md.startswith(f"## Briefing: {TOPIC}\n\n### Bottom line\n\n")
    for q in seed_brief.key_points:
        line = next(x for x in md.splitlines() if x.startswith(f"- “{' '.join(q.text.split())}”"))
        who = q.speaker if q.speaker else "*DEA News (the article's words)*"
        assert line.endswith(f" — {who} [{q.citation}]")
    assert any(q.speaker is None for q in seed_brief.key_points)
    assert "\n**Russia**\n" in md and "\n**United States**\n" in md
    assert "### Sources" in md


def test_json_has_the_issue_shape(seed_brief: Briefing) -> None:
    data = briefing_json(seed_brief)
    assert list(data)[:4] == ["topic", "whats_new", "sections", "sources"]
    assert data["topic"] == TOPIC and data["whats_new"] is None
    titles = [s["title"] for s in data["sections"]]
    assert titles[0] == "Bottom line" and "Russia" in titles and "United States" in titles
    russia = next(s for s in data["sections"] if s.get("actor") == "Russia")
    assert any(
        CONDITION in i["text"] and i["speaker"] == "the Kremlin leadership" for i in russia["items"]
    )
    keys = {
        "text",
        "speaker",
        "article_id",
        "source",
        "published",
        "url",
        "start",
        "end",
        "citation",
    }
    assert all(keys <= set(i) for s in data["sections"] for i in s["items"])
    [src] = data["sources"]
    assert src["source"] == "DEA News"
    assert src["citations"] == list(range(1, len(items(seed_brief)) + 1))


@pytest.mark.parametrize("topic", ["football transfer market", "weather forecast for the weekend"])
def test_a_topic_the_articles_do_not_cover(seeded: Any, topic: str) -> None:
    """No filter: the seed article is retrieved, and the relevance cut-off turns it away."""
    b = seeded.brief(topic)
    assert b.passages and {p.ref.source for p in b.passages} == {"DEA News"}
    assert b.key_points == () and b.positions == () and b.disagreements == ()
    assert briefing_markdown(b) == f"## Briefing: {topic}\n\nThe sources don't cover this topic."
    assert briefing_text(b).endswith("The sources don't cover this topic.")


def test_a_topic_only_faintly_like_the_articles_is_not_covered(fresh: Any, tmp_path: Path) -> None:
    """Retrieval always returns passages; a sentence that is faintly like the topic (cosine
    .23: "Squid Game is coming back" for quantum computing) is no briefing on it."""
    squid = {
        "title": "Squid Game renewed",
        "source": "Screen Daily",
        "published": "2022-06-12",
        "text": "“Squid Game” is officially coming back. Netflix announced on Sunday that the "
        "wildly popular South Korean show has been renewed for a second season. Creator "
        "Hwang Dong-hyuk said the new season would bring back Gi-hun.",
    }
    fresh.ingest([_jsonl(tmp_path / "squid.jsonl", squid)])
    b = fresh.brief("quantum computing breakthroughs")
    assert b.passages and b.key_points == () and b.positions == ()
    assert briefing_text(b).endswith("The sources don't cover this topic.")
    assert fresh.brief("the Squid Game renewal").key_points  # the topic it does cover


@pytest.mark.parametrize("topic", ["", "   "])
def test_an_empty_topic_is_refused(seeded: Any, topic: str) -> None:
    with pytest.raises(QuestionError, match="the question is empty"):
        seeded.brief(topic)


# ------------------------------------------------------------------ dated collections
DAY1 = {
    "title": "Moscow sets terms for arms talks",
    "source": "Harbor Wire",
    "published": "2024-05-01",
    "text": "Russian Foreign Minister Sergei Lavrov said Moscow is ready to resume arms control "
    "talks with Washington if Western sanctions are eased first. Lavrov added that any new "
    "treaty must cover American missiles stationed in Europe.",
}
DAY3 = {
    "title": "Washington rejects sanctions relief before arms talks",
    "source": "Capital Post",
    "published": "2024-05-03",
    "text": "US Secretary of State Antony Blinken said the United States will not ease sanctions "
    "on Russia before arms control talks begin. Blinken warned that Moscow must first return "
    "to the inspections required by the New START treaty.",
}
ARMS = "arms control talks between Russia and the United States"


def _jsonl(path: Path, *rows: dict[str, str]) -> str:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return str(path)


def test_since_keeps_only_later_articles(fresh: Any, tmp_path: Path) -> None:
    fresh.ingest([_jsonl(tmp_path / "both.jsonl", DAY1, DAY3)])
    both = fresh.brief(ARMS)
    assert {q.ref.source for q in items(both)} == {"Harbor Wire", "Capital Post"}
    later = fresh.brief(ARMS, since=date(2024, 5, 2))
    assert items(later) and {q.ref.source for q in items(later)} == {"Capital Post"}
    assert later.delta == "since 2024-05-02"
    assert briefing_markdown(later).startswith(
        f"## Briefing: {ARMS}\n\n_What's new since 2024-05-02._"
    )
    assert all(q.ref.published == date(2024, 5, 3) for q in items(later))


def test_since_last_shows_only_what_came_after_the_saved_briefing(
    fresh: Any, tmp_path: Path
) -> None:
    fresh.ingest([_jsonl(tmp_path / "day1.jsonl", DAY1)])
    first = fresh.brief(ARMS, save="morning")
    assert {q.ref.source for q in items(first)} == {"Harbor Wire"}
    saved = json.loads((fresh.settings.data_dir / "briefings" / "morning.json").read_text())
    assert saved["topic"] == ARMS and len(saved["articles"]) == 1
    # nothing ingested since: nothing new, said plainly
    none = fresh.brief(ARMS, since_last="morning")
    assert items(none) == []
    assert briefing_markdown(none).endswith(
        "_What's new since the briefing 'morning' of "
        f"{saved['saved_at'][:16].replace('T', ' ')} UTC._"
        "\n\nNothing new on this topic."
    )
    fresh.ingest([_jsonl(tmp_path / "day3.jsonl", DAY3)])
    delta = fresh.brief(ARMS, since_last="morning")
    assert items(delta) and {q.ref.source for q in items(delta)} == {"Capital Post"}
    assert any("Blinken" in (q.speaker or "") for q in items(delta))
    # and the full briefing now spans two days: a dated timeline, oldest first
    full = fresh.brief(ARMS)
    days = [q.ref.published for q in full.timeline]
    assert days and days == sorted(days) and set(days) <= {date(2024, 5, 1), date(2024, 5, 3)}


@pytest.mark.parametrize(
    ("name", "match"),
    [("nope", "no saved briefing named 'nope'"), ("../etc", "bad briefing name '../etc'")],
)
def test_since_last_errors_are_clear(seeded: Any, name: str, match: str) -> None:
    with pytest.raises(QuestionError, match=match):
        seeded.brief(TOPIC, since_last=name)


XSS = {
    "title": "Talks <b>stall</b>",
    "source": "Harbor <i>Wire</i>",
    "published": "2024-05-02",
    "text": "Russian Foreign Minister Sergei Lavrov said arms control talks with Washington "
    "<script>alert(1)</script> cannot resume until sanctions are eased. Lavrov added that "
    "Moscow is ready to negotiate a new arms treaty with the United States.",
}


def test_html_escapes_article_text(fresh: Any, tmp_path: Path) -> None:
    fresh.ingest([_jsonl(tmp_path / "xss.jsonl", XSS)])
    b = fresh.brief(ARMS)
    assert any("<script>" in q.text for q in items(b))
    page = briefing_page(b)
    assert page.startswith("<!doctype html>") and "@media print" in page
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>stall</b>" not in page and "<i>Wire</i>" not in page
    assert "<title>Briefing: arms control talks" in page


def test_api_brief_over_real_http(seeded: Any) -> None:
    from assistant.web import build_app
    from tests.test_api import serve_in_thread

    with serve_in_thread(build_app(seeded)) as url, httpx.Client(base_url=url, timeout=60) as c:
        r = c.post("/api/brief", json={"topic": TOPIC})
        assert r.status_code == 200, r.text
        assert r.json()["sections"] == briefing_json(seeded.brief(TOPIC))["sections"]
        page = c.post("/api/brief", json={"topic": TOPIC, "format": "html"})
        assert page.headers["content-type"].startswith("text/html")
        assert "<h3>Positions</h3>" in page.text and CONDITION in page.text
        md = c.post("/api/brief", json={"topic": TOPIC, "format": "md"})
        assert md.text == briefing_markdown(seeded.brief(TOPIC))
        bad = c.post("/api/brief", json={"topic": " "})
        assert bad.status_code == 400 and "the question is empty" in bad.json()["error"]
        extra = c.post("/api/brief", json={"topic": TOPIC, "format": "pdf"})
        assert extra.status_code == 422


def test_a_syndicated_copy_is_shown_once_and_credited(fresh: Any, tmp_path: Path) -> None:
    copy = {**DAY1, "source": "Wire Reprints", "title": "Lavrov: sanctions first"}
    copy["text"] = "Reprinted. " + DAY1["text"]
    fresh.ingest([_jsonl(tmp_path / "copies.jsonl", DAY1, copy)])
    b = fresh.brief(ARMS)
    listed = items(b)
    norm = [" ".join(q.text.split()) for q in listed]
    assert len(norm) == len(set(norm))
    lavrov = [q for q in listed if "ready to resume arms control talks" in q.text]
    assert len(lavrov) == 1
    assert {r.source for r in lavrov[0].also_in} | {lavrov[0].ref.source} == {
        "Harbor Wire", "Wire Reprints"
    }  # fmt: skip
    assert "(also reported in 1 other article(s))" in briefing_markdown(b)


def test_cli_brief_formats_save_and_since_last(tmp_path: Path) -> None:
    from tests.conftest import CORPUS
    from tests.test_cli import run

    data = tmp_path / "data"
    run(data, "ingest", str(CORPUS))
    out = json.loads(run(data, "brief", TOPIC, "--format", "json", "--save", "am").stdout)
    assert out["topic"] == TOPIC and out["sections"][0]["title"] == "Bottom line"
    russia = next(s for s in out["sections"] if s.get("actor") == "Russia")
    assert any(CONDITION in i["text"] for i in russia["items"])
    assert (data / "briefings" / "am.json").exists()
    page = run(data, "brief", TOPIC, "--format", "html").stdout
    assert page.startswith("<!doctype html>") and "<h4>Russia</h4>" in page
    delta = run(data, "brief", TOPIC, "--since-last", "am").stdout
    assert "What's new since the briefing 'am'" in delta and "Nothing new on this topic." in delta
    bad = run(data, "brief", TOPIC, "--format", "pdf", check=False)
    assert bad.returncode != 0 and "use md, html or json" in bad.stderr
    missing = run(data, "brief", TOPIC, "--since-last", "never", check=False)
    assert missing.returncode != 0 and "no saved briefing named 'never'" in missing.stderr


def test_llm_summary_from_the_same_evidence_with_every_quote_checked(
    seeded: Any, fake: Any
) -> None:
    from assistant.prompts import prompt
    from tests.fake_llm import Reply, sources_on_wire, system_message, user_message, with_llm

    kremlin = "the Kremlin leadership suggested readiness to negotiate with Kyiv"

    def reply(body: dict[str, Any]) -> Reply:
        wire = sources_on_wire(body)
        n = next(k for k, text in wire.items() if kremlin in text)
        return Reply(
            f'Moscow signals openness: "{kremlin}" [{n}]. Washington "will never talk" [{n}].'
        )

    fake.script = reply
    b = with_llm(seeded, fake).brief(TOPIC)
    assert b.mode == "llm" and b.notice == ""
    assert [q.text for q in b.summary_quotes] == [kremlin]
    assert b.unverified == ("will never talk",)
    (req,) = fake.requests
    count = len(sources_on_wire(req["body"]))
    assert count == min(8, len(b.passages))  # the briefing's own retrieved passages
    assert system_message(req["body"]) == prompt("briefing", count=str(count))[0]
    assert f"Topic: {TOPIC}" in user_message(req["body"])
    n = b.summary_sources[0][0]
    md = briefing_markdown(b)
    assert f"“{kremlin}” [S{n}]" in md and "will never talk" not in md
    assert "### Bottom line" in md  # the extractive sections stay
    data = briefing_json(b)
    assert data["mode"] == "llm" and data["unverified"] == ["will never talk"]
    assert data["summary_quotes"][0]["text"] == kremlin

    fake.reset()
    fake.script = lambda body: Reply("Talks are stalled, everyone says so.")
    plain = with_llm(seeded, fake).brief(TOPIC)
    assert plain.mode == "extractive" and plain.summary == ""
    assert plain.notice == "the LLM summary cited no source; showing quotes only"
    assert "_the LLM summary cited no source; showing quotes only._" in briefing_markdown(plain)


def test_cli_posts_the_briefing_to_slack(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from tests.conftest import CORPUS, ROOT, free_port
    from tests.slack_fake import BOT_TOKEN, start_fake
    from tests.test_cli import run

    fake, server = start_fake(free_port())
    try:
        data = tmp_path / "data"
        run(data, "ingest", str(CORPUS))
        env = {**os.environ, "ASSISTANT_DATA_DIR": str(data), "SLACK_BOT_TOKEN": BOT_TOKEN,
               "SLACK_API_URL": fake.api_url}  # fmt: skip
        proc = subprocess.run(
            [sys.executable, "-m", "assistant.cli", "brief", TOPIC, "--post-slack", "C0NEWS"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr[-2000:]
        posts = fake.of("chat.postMessage")
        assert posts and {c.args["channel"] for c in posts} == {"C0NEWS"}
        assert all(c.token == BOT_TOKEN for c in posts)
        wire = json.dumps([c.args for c in posts], ensure_ascii=False)
        assert "Briefing: talks between Russia and the United States" in wire
        assert "provided there is a demonstrated intent to bring the war to a close" in wire
        assert "posted the briefing to C0NEWS" in proc.stderr
        env["SLACK_BOT_TOKEN"] = "xoxb-wrong"
        bad = subprocess.run(
            [sys.executable, "-m", "assistant.cli", "brief", TOPIC, "--post-slack", "C0NEWS"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert (
            bad.returncode != 0 and "Slack refused the post to C0NEWS: invalid_auth" in bad.stderr
        )
    finally:
        server.shutdown()


def test_seed_html_lists_the_one_article_once_with_every_citation(seed_brief: Briefing) -> None:
    from assistant.render.html import briefing_html

    html = briefing_html(seed_brief)
    sources = html.split("<h3>Sources</h3>", 1)[1]
    n = len(items(seed_brief))
    assert sources.count("<li>") == 1  # one article, not one line per citation
    assert f"[1–{n}] White House says conditions for talks with Russia" in sources
    for k in range(1, n + 1):  # every [k] in the text still has its anchor
        assert f'id="brief-src-{k}"' in sources and f'href="#brief-src-{k}"' in html
    # "Where they disagree" cites by link too (it was plain text, not clickable in the web tab)
    x, y = seed_brief.disagreements[0]
    disagree = html.split("<h3>Where they disagree</h3>", 1)[1].split("</ul>", 1)[0]
    for q in (x, y):
        assert f'<a class="cite" href="#brief-src-{q.citation}">[{q.citation}]</a>' in disagree


def test_seed_bottom_line_leads_with_what_someone_said(seed_brief: Briefing) -> None:
    said = [q for q in seed_brief.key_points if q.speaker]
    narration = [q for q in seed_brief.key_points if not q.speaker]
    assert said  # e.g. Kirby's and Klimov's statements not already under their actors
    assert len(narration) <= max(0, 3 - len(said))  # the reporter's words only to make up three
    # and in that order: the first lines are what someone said (narration came first by score)
    assert [bool(q.speaker) for q in seed_brief.key_points] == [True] * len(said) + [False] * len(
        narration
    )


@pytest.mark.parametrize(
    ("speaker", "sides", "actor"),
    [
        # his own title says whose side he is on, though his introduction names several
        ("Ukrainian President Volodymyr Zelensky", {"ukraine", "european union"}, "Ukraine"),
        (
            "President of the European Commission Ursula von der Leyen",
            {"ukraine", "european union"},
            "European Union",
        ),
        # no side in the name: the article's introduction decides, else the name itself
        ("Kirby", {"united states"}, "United States"),
        ("Macron", set(), "Macron"),
        ("the European Commission's President Ursula von der Leyen", set(), "European Union"),
    ],
)
def test_actor_of_a_speaker(speaker: str, sides: set[str], actor: str) -> None:
    from assistant.answer.extractive import Candidate
    from assistant.briefing import actor_of
    from assistant.types import ArticleRef

    ref = ArticleRef("a1", "Title", "Wire", None, "")
    c = Candidate(ref, 0, 10, "x" * 10, speaker, sides, 0)
    assert actor_of(c, {"a1": ""}) == actor


def test_a_question_set_as_a_section_heading_is_no_point() -> None:
    """CNN's "How likely is Ukraine's bid to succeed?" between paragraphs was a line of the
    briefing's "More detail", credited as the article's words."""
    from assistant.answer.extractive import Candidate
    from assistant.briefing import _subheading
    from assistant.types import ArticleRef

    text = (
        "The bloc recommended candidate status on Friday.\n\n"
        "How likely is Ukraine's bid to succeed?\n\n"
        "Few expect a quick path. Why would it take so long? Reforms come first."
    )
    ref = ArticleRef("a1", "Title", "CNN", None, "")

    def cand(sentence: str, speaker: str | None = None) -> Candidate:
        start = text.index(sentence)
        return Candidate(ref, start, start + len(sentence), sentence, speaker, set(), 0)

    assert _subheading(cand("How likely is Ukraine's bid to succeed?"), text)
    assert not _subheading(cand("How likely is Ukraine's bid to succeed?", "Kuleba"), text)
    assert not _subheading(cand("Why would it take so long?"), text)  # inside a paragraph
    assert not _subheading(cand("The bloc recommended candidate status on Friday."), text)


def test_narration_the_bottom_line_leaves_out_moves_to_more_detail(seeded: Any) -> None:
    """The bottom line takes the reporter's narration only to make up three points: the rest
    of it went nowhere (SummHay coverage fell 2.3 points); it now fills "More detail"."""
    from assistant.briefing import Limits, build_briefing
    from assistant.types import Filters

    passages = seeded.retrieve(TOPIC, Filters(), 20)
    texts = seeded.texts([p.ref.article_id for p in passages])

    def brief(details: int) -> Briefing:
        lim = Limits(bottom_line=5, details=details)
        emb = seeded.embedder.embed_cached
        return build_briefing(TOPIC, passages, texts, emb, seeded.speakers, Filters(), lim)

    b = brief(details=1)
    assert len(b.key_points) < 5  # the bottom line left room ...
    assert len(b.details) == 1 + 5 - len(b.key_points)  # ... which "More detail" takes
    assert all(not q.speaker for q in b.details[1:])  # the narration it no longer leads with
    assert len(brief(details=20).details) > len(b.details)  # more was there to take


def test_a_speaker_whose_title_names_his_side_can_disagree_with_the_other_side() -> None:
    """Zelensky, introduced in a sentence naming Russia too, stands under Ukraine; his
    position was still given both sides when pairing, so Ukraine and Russia never disagreed."""
    import numpy as np

    from assistant.answer.extractive import Candidate
    from assistant.briefing import _disagreements
    from assistant.types import ArticleRef

    ref = ArticleRef("a1", "Title", "Wire", None, "")
    zelensky = Candidate(
        ref, 0, 10, "x" * 10, "Ukrainian President Volodymyr Zelensky", {"ukraine", "russia"}, 0
    )
    kremlin = Candidate(ref, 20, 30, "y" * 10, "the Kremlin", {"russia"}, 0)
    vecs = np.array([[1.0, 0.0], [0.8, 0.6]])
    chosen = [("Ukraine", [0]), ("Russia", [1])]
    actors = {0: "Ukraine", 1: "Russia"}
    assert _disagreements(chosen, [zelensky, kremlin], vecs, actors, 0.45) == [(0, 1)]
