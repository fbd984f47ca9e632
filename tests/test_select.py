"""Quote selection by what the question asks for (issue 11): answer-type and focus features on
real sentences, the asked party's own statements, no filler, and saying why nothing is shown."""

from __future__ import annotations

import re
from datetime import date

import numpy as np
import pytest

from assistant.answer.extractive import Weights, analyse
from assistant.answer.features import agreement, answer_items
from assistant.render.markdown import answer_markdown
from assistant.render.text import answer_text

SEED_ANALYSTS = (
    "Analysts point to the need for verifiable ceasefires, troop redeployments, humanitarian "
    "corridors, and guarantees that address security concerns on Ukrainian soil."
)


def _items(question: str, text: str):  # type: ignore[no-untyped-def]
    q = analyse(question)
    words = frozenset(w.lower() for w in re.findall(r"[\w’'\-]+", question))  # as score()
    return answer_items(q.wants, words, q.tokens, text)


def test_how_many_wants_a_number_beside_the_questions_words() -> None:
    q = "How many people were killed in the Buffalo supermarket shooting?"
    assert analyse(q).wants == "number"
    beside = _items(q, "Police said 10 people were killed at the supermarket on Saturday.")
    assert beside.found == ("10",) and beside.near == 1.0
    far = _items(
        q,
        "The supermarket, which opened in 2003 and employs 120 local residents across three "
        "shifts, reopened after the shooting that killed people.",
    )
    assert "2003" in far.found and "120" in far.found
    assert 0.0 < far.near < 1.0  # numbers here, but not next to "killed"/"people"
    assert _items(q, "The shooting shocked the city and its people.").found == ()


def test_when_wants_dates_and_who_wants_names_the_question_does_not_say() -> None:
    when = _items("When did Netflix announce the new season?", "Netflix announced it on Sunday.")
    assert when.found == ("Sunday",)
    who = _items("Who won the French Open?", "Rafael Nadal won the French Open for a 14th time.")
    assert who.found == ("Rafael", "Nadal")  # "French", "Open" are the question's own words
    where = _items("Where did the storm hit?", SEED_ANALYSTS)
    assert where.found == ("Ukrainian",)


def test_the_asked_party_is_the_subject_even_in_lower_case() -> None:
    assert analyse("What did the analysts say?").party == frozenset({"analyst"})
    assert analyse("What did Ann Lee say?").party_name == "Ann Lee"
    assert analyse("What does Washington demand of Moscow?").party == frozenset({"washington"})


@pytest.mark.parametrize(
    ("question", "speaker", "same"),
    [
        ("What did John Kirby say about negotiations?", "Former Trump lawyer John Eastman", False),
        ("What did John Kirby say about negotiations?",
         "White House Strategic Communications Coordinator John Kirby", True),
        ("What did John Kirby say about negotiations?", "Kirby", True),
        ("What did Kirby say?", "John Kirby, White House", True),
        ("What did Ann Lee say?", "Police Chief Lee White", False),
        ("What did Ann Lee say?", "Lee", True),
        ("What did President Biden say?", "Joe Biden", True),
        ("What did Biden’s aides say?", "President Joe Biden’s", True),
        ("What did Davis say?", "Sen. Rodney Davis", True),
        ("What did the analysts say?", "Analysts", True),
        ("What did the analysts say?", "John Kirby", False),
    ],
)  # fmt: skip
def test_a_speaker_is_the_asked_party_by_the_whole_name_or_its_last_word(
    question: str, speaker: str, same: bool
) -> None:
    from assistant.answer.extractive import Candidate, speaks_for
    from assistant.types import ArticleRef

    c = Candidate(ArticleRef("a", "t", "s", None, ""), 0, 1, "x", speaker, set(), 0)
    assert speaks_for(analyse(question), c) is same


def test_someone_sharing_a_name_is_no_mention_of_the_asked_person() -> None:
    from assistant.answer.extractive import Candidate, on_topic
    from assistant.types import ArticleRef

    ref = ArticleRef("a", "t", "s", None, "")
    text = "Police Chief Lee White said the bridge would reopen on Monday."
    c = Candidate(ref, 0, len(text), text, "Police Chief Lee White", set(), 0)
    assert on_topic(analyse("What did Ann Lee say?"), [c]) == (
        [], "The sources don't quote Ann Lee."
    )
    from assistant.answer.extractive import mentions_party

    # a surname that is also a common word is a name only when capitalised
    price = analyse("What did Ned Price say?")
    assert not mentions_party(price, "The price of oil rose on Monday.")
    assert mentions_party(price, "The price of oil rose, Price told reporters.")
    assert not mentions_party(analyse("What did Theresa May say?"), "Talks may resume soon.")
    # a one-word name the stemmer changes ("Kirby" -> "kirbi") is still a name
    assert on_topic(analyse("What did Kirby say?"), [c]) == ([], "The sources don't quote Kirby.")
    # the person mentioned but not found speaking: the candidates stay (attribution may miss)
    text = "Ann Lee, the harbor chair, opened the bridge on Monday."
    named = Candidate(ref, 0, len(text), text, None, set(), 0)
    assert on_topic(analyse("What did Ann Lee say?"), [c, named]) == ([c, named], "")


def test_the_asked_partys_words_lead_only_when_the_question_asks_what_it_says() -> None:
    from assistant.answer.extractive import Candidate, asks_for_a_party, select
    from assistant.types import ArticleRef

    lines = [
        "Rebuilding Ukraine is estimated to cost $750 billion.",
        "“It is a common task of the entire democratic world,” Zelensky said.",
        "Farm exports may shrink to 35% of their 2021 level, the ministry said.",
        "Kyiv presented a recovery plan in Lugano, officials said.",
    ]

    def cand(n: int, score: float, side: float) -> Candidate:
        text = lines[n]
        c = Candidate(ArticleRef(f"a{n}", "t", "s", None, ""), 0, len(text), text, None, set(), 0)
        c.score, c.features = score, {"side": side}
        return c

    fact, *party = [cand(0, 2.63, 0.0), cand(1, 2.6, 1.0), cand(2, 2.12, 1.0), cand(3, 2.0, 1.0)]
    cost = analyse("How much will Ukraine's reconstruction cost?")
    demand = analyse("What does Washington demand of Moscow?")
    assert cost.sides and not asks_for_a_party(cost) and asks_for_a_party(demand)
    # the best sentence (the figure, in the reporter's words) is kept for a question of fact
    assert select([fact, *party], 3, party_first=False) == [fact, party[0], party[1]]
    assert select([fact, *party], 3, party_first=True) == party


def test_a_quote_never_joins_the_speakers_words_to_the_reporters_account_of_them() -> None:
    from assistant.answer.extractive import candidates, extend_one, score
    from assistant.speech_cache import SpeakerCache
    from assistant.text import chunk_article
    from assistant.types import ArticleRef, Passage

    text = (
        "Zelensky spoke in Kyiv on Friday. \"I am sure it is possible,\" Zelensky said of "
        "membership. \"It will take years to get there.\" Before the war started, Zelensky "
        "had said that "
        "Ukraine would also like to join NATO."
    )
    ref = ArticleRef("a", "Kyiv", "Wire", None, "")
    [chunk] = chunk_article("a", text, chunk_words=200, overlap=0)
    cache, q = SpeakerCache(), analyse("What did Zelensky say about membership?")
    cands = candidates([Passage(chunk, ref, 1.0)], {"a": text}, cache)
    score(q, cands, lambda ts: np.ones((len(ts), 4), np.float32) / 2, Weights())
    for c in cands:
        grown = extend_one(q, c, {"a": text}, cache)
        quoted = "It will take years" in grown.text or "I am sure" in grown.text
        assert not (quoted and "Before the war" in grown.text), grown.text
    # the speaker's own words still join up: the short second quote leans on the first
    assert any(
        c.text.startswith('"I am sure it is possible,"') and c.text.endswith("get there.\"")
        for c in cands
    )


def test_agreement_counts_other_articles_reporting_the_same_item() -> None:
    got = agreement([("a", ("10", "Buffalo")), ("b", ("10",)), ("c", ("10",)), ("d", ("Erie",))])
    assert got[0] == (1.0, ("10",), frozenset({"b", "c"}))
    assert got[1] == (1.0, ("10",), frozenset({"a", "c"}))
    assert got[3] == (0.0, (), frozenset())


def test_what_did_the_analysts_say_answers_with_the_analysts(seeded) -> None:  # type: ignore[no-untyped-def]
    ans = seeded.ask("What did the analysts say?")
    assert not ans.abstained
    assert [q.speaker for q in ans.quotes] == ["Analysts"]  # nobody else's words as filler
    assert ans.quotes[0].text.startswith(SEED_ANALYSTS)
    text = seeded.article(ans.quotes[0].ref.article_id).text
    assert text[ans.quotes[0].start : ans.quotes[0].end] == ans.quotes[0].text


def test_what_washington_demands_includes_kirbys_condition(seeded) -> None:  # type: ignore[no-untyped-def]
    ans = seeded.ask("What does Washington demand of Moscow?")
    assert not ans.abstained
    kirby = [q for q in ans.quotes if "Putin would need to demonstrate" in q.text]
    assert kirby and kirby[0].speaker.endswith("John Kirby")
    assert all(q.speaker and q.speaker.endswith("John Kirby") for q in ans.quotes)


def test_a_person_the_sources_never_quote_gets_no_filler(seeded) -> None:  # type: ignore[no-untyped-def]
    ans = seeded.ask("What did Ann Lee say?")
    assert ans.abstained and ans.quotes == ()
    assert ans.notice == "The sources don't quote Ann Lee."
    assert answer_text(ans) == "The sources don't quote Ann Lee."
    assert answer_markdown(ans).startswith("**The sources don't quote Ann Lee.**")


def test_filters_that_exclude_everything_say_so(seeded) -> None:  # type: ignore[no-untyped-def]
    ans = seeded.ask("What did Kirby say?", sources=["CNN"])
    assert ans.abstained and ans.passages == ()
    assert ans.notice == (
        "No articles match the filters: source CNN. No stored article is from CNN; outlets: "
        "DEA News."
    )
    typo = seeded.ask("What did Kirby say?", sources=["DEA Newz"])
    assert typo.notice == "No articles match the filters: source DEA Newz. Did you mean DEA News?"
    lower = seeded.ask("What did Kirby say?", sources=["dea  news"])  # the outlet, any case
    assert lower.filters.sources == ("DEA News",) and lower.quotes and not lower.notice
    late = seeded.ask("What did Kirby say?", since=date(2100, 1, 1), sources=["DEA News"])
    assert late.notice == (
        "No articles match the filters: source DEA News; published on or after 2100-01-01."
    )
    assert answer_text(late) == late.notice
    assert seeded.ask("What did Kirby say?", sources=["DEA News"]).notice == ""


def test_llm_mode_without_an_llm_says_so(seeded) -> None:  # type: ignore[no-untyped-def]
    assert seeded.settings.llm_provider == "none"
    ans = seeded.ask("What did Klimov say about the American stance?", mode="llm")
    assert ans.fallback and ans.quotes
    assert ans.notice.startswith("No LLM is configured")
    assert answer_markdown(ans).startswith("_No LLM is configured")
    plain = seeded.ask("What did Klimov say about the American stance?")
    assert not plain.fallback and plain.notice == ""


def test_each_quote_says_why_it_was_chosen(seeded) -> None:  # type: ignore[no-untyped-def]
    body = seeded.ask("What did Klimov say about the American stance?").to_json()
    first = body["quotes"][0]
    assert first["speaker"] == "Andrey Klimov"
    why = first["why"]
    assert why["answer_type"] == "position"
    assert set(why["matched_words"]) == {"klimov", "american"}
    assert why["outlets_agreeing"] == []  # one article in the seed corpus


def test_web_source_rows_of_one_article_show_what_differs(seeded) -> None:  # type: ignore[no-untyped-def]
    import re

    from assistant.render.html import answer_html
    from assistant.webview import passages_html

    ans = seeded.ask("What does Washington demand of Moscow?")
    assert len(ans.quotes) == 3 and len({q.ref.article_id for q in ans.quotes}) == 1
    page = answer_html(ans, 0)
    rows = re.findall(r'<ol class="answer-sources">(.*?)</ol>', page)[0].split("</li>")[:-1]
    assert len(rows) == 3 and len(set(rows)) == 3
    for row, q in zip(rows, ans.quotes, strict=True):
        opening = " ".join(q.text.split()[:4])
        assert f'<span class="source-opening">“{opening}' in row
    # the passage list is not numbered like the citations [1]-[3]
    assert '<ul class="passage-list">' in passages_html(ans, 0)


def test_answer_types_read_the_last_sentence_and_the_noun_after_which() -> None:
    cases = {
        "Microsoft retired its Internet Explorer browser this week. What year did it debut?": (
            "date"
        ),
        "Broadway's biggest stars were recognized this week at which prestigious awards show?": (
            "entity"
        ),
        "To help reduce waste, which continent will soon require a common charger?": "place",
        "What NFL star announced his retirement on Tuesday?": "person",
        "Afghanistan was rocked by an earthquake. What was the magnitude of the quake?": "number",
        "Global superband BTS have split after how many years together?": "number",
        "What is the name of the category 4 hurricane that hit Florida?": "entity",
        "The most transmissible variant yet has arrived. What is it called?": "entity",
        "What is the new heat dome named?": "entity",
        "The IRS announced it will do what this week?": "any",
        "Why did the state ban the drug?": "any",  # only which/what take a noun's type
        "What does Russia require before talks?": "condition",
        "What did the analysts say?": "position",
    }
    assert {q: analyse(q).wants for q in cases} == cases


def test_articles_of_the_week_asked_about_count_as_recent() -> None:
    from assistant.answer.extractive import Candidate, Weights, reference_day, score
    from assistant.types import ArticleRef, Chunk, Passage

    def ref(day: date) -> ArticleRef:
        return ArticleRef(f"a{day.day}", "t", "Outlet", day, "")

    text = "Netflix said the show returns for a second season next year."
    fresh, stale = ref(date(2022, 6, 14)), ref(date(2022, 5, 1))
    cands = [Candidate(r, 0, len(text), text, None, set(), 0) for r in (stale, fresh)]
    q = analyse("Which show returns for a new season?")
    vec = np.ones((1, 4), dtype=np.float32) / 2

    def embed(texts: list[str]) -> np.ndarray:
        return np.repeat(vec, len(texts), axis=0)

    score(q, cands, embed, Weights(), ref_date=date(2022, 6, 16))
    assert [c.features["recent"] for c in cands] == [0.0, 1.0]
    assert cands[1].score - cands[0].score == pytest.approx(Weights().recent)
    assert cands[1].why["published_this_week"] is True
    passages = [Passage(Chunk("c", r.article_id, 0, 0, 1, text), r, 1.0) for r in (stale, fresh)]
    assert reference_day(passages, None) == date(2022, 6, 14)  # the newest article's day
    assert reference_day(passages, date(2022, 6, 16)) == date(2022, 6, 16)


def test_after_context_the_sentence_that_asks_is_matched_too(embedder) -> None:  # type: ignore[no-untyped-def]
    from assistant.answer.extractive import Candidate, Weights, score
    from assistant.types import ArticleRef

    question = (
        "Afghanistan was rocked by a deadly earthquake this week. What was the magnitude of "
        "the quake?"
    )
    q = analyse(question)
    assert q.asked == "What was the magnitude of the quake?"
    assert analyse("What was the magnitude?").asked == "What was the magnitude?"
    ref = ArticleRef("a1", "Quake", "Wire", date(2022, 6, 22), "")
    texts = [
        "A deadly earthquake rocked eastern Afghanistan this week, officials said.",
        "The quake had a magnitude of 5.9, according to the US Geological Survey.",
    ]
    cands = [Candidate(ref, 0, len(t), t, None, set(), 0) for t in texts]
    asked: list[list[str]] = []

    def embed(batch: list[str]) -> np.ndarray:
        asked.append(batch)
        return embedder.embed_cached(batch)

    score(q, cands, embed, Weights())
    assert [question, *texts] in asked and [q.asked] in asked  # the sentence that asks, alone
    context, answer = (c.features for c in cands)
    assert context["semantic"] > answer["semantic"]  # the whole question leans to the context
    assert answer["asked"] > context["asked"]  # the sentence that asks leans to the answer
    assert answer["asked_words"] > context["asked_words"] == 0.0  # "magnitude", "quake"
    single = analyse("What was the magnitude of the quake?")
    score(single, cands, embed, Weights())
    assert all(c.features["asked"] == c.features["semantic"] for c in cands)


def test_a_possessive_a_title_or_a_capitalised_stopword_is_no_answer_item() -> None:
    whose = (
        "Justice Ketanji Brown Jackson made history this week, becoming the first Black woman to "
        "sit on the Supreme Court. Whose seat is she filling?"
    )
    assert analyse(whose).wants == "person"
    # "Court's" is the question's "Court", "Judge" a title: nothing here says whose seat
    assert (
        _items(
            whose, "Judge Ketanji Brown Jackson becomes Supreme Court's first Black woman justice"
        ).found
        == ()
    )
    got = _items(
        whose,
        "Jackson, a Harvard-trained lawyer who was confirmed by the Senate nearly three months "
        "ago, will take the seat occupied by Associate Justice Stephen Breyer.",
    )
    assert got.found == ("Harvard-trained", "Senate", "Stephen", "Breyer")
    siblings = "Which influential siblings shared posts criticising recent Instagram updates?"
    assert _items(
        siblings,
        "By Tuesday morning, it had more than 1.7 million likes, thanks in part to shares by two "
        "of the most influential figures on the platform: Kim Kardashian and Kylie Jenner.",
    ).found == ("Kim", "Kardashian", "Kylie", "Jenner")  # not "By"


def test_words_shared_with_the_question_count_less_without_an_answer_item() -> None:
    from assistant.answer.extractive import Candidate, Weights, score
    from assistant.types import ArticleRef

    question = (
        "Liz Cheney lost her seat in Congress this week after voters in Wyoming elected which "
        "Trump-backed Republican in the primary elections?"
    )
    restates = (
        "Republican Liz Cheney has lost her seat in Congress after voters in Wyoming elected a "
        "Trump-backed candidate in the primary elections."
    )
    answers = (
        "Cheney, who has been the representative for Wyoming since 2017, lost to Harriet "
        "Hageman, a candidate backed by former President Donald Trump, in the election."
    )
    ref = ArticleRef("a1", "Cheney loses", "Wire", date(2022, 8, 17), "")
    vec = np.ones((1, 4), dtype=np.float32) / 2

    def embed(texts: list[str]) -> np.ndarray:
        return np.repeat(vec, len(texts), axis=0)

    def scored(w: Weights) -> list[Candidate]:
        cands = [Candidate(ref, 0, len(t), t, None, set(), 0) for t in (restates, answers)]
        score(analyse(question), cands, embed, w)
        return cands

    was, now = scored(Weights(bare=0.0)), scored(Weights())
    assert now[0].features["bare"] == now[0].features["lexical"] > 0  # no name it lacks
    assert now[1].features["bare"] == 0.0  # "Harriet Hageman"
    gap = (was[0].score - was[1].score) - (now[0].score - now[1].score)
    assert gap == pytest.approx(-Weights().bare * now[0].features["lexical"])
    # "which show": the answer is often a common noun, so no item is no restatement there
    show = [Candidate(ref, 0, len(restates), restates, None, set(), 0)]
    score(analyse("Which show was renewed this week?"), show, embed, Weights())
    assert show[0].features["bare"] == 0.0
