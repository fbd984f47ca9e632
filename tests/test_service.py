from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from assistant.errors import EmptyStoreError, QuestionError
from assistant.render.markdown import answer_json, answer_markdown
from assistant.types import AnswerEvent, StatusEvent, TokenEvent, Turn


def check_verbatim(a, answer) -> None:  # type: ignore[no-untyped-def]
    assert answer.quotes
    for q in answer.quotes:
        text = a.article(q.ref.article_id).text
        assert text[q.start : q.end] == q.text


def test_design_question_leads_with_russian_conditions(seeded) -> None:  # type: ignore[no-untyped-def]
    ans = seeded.ask("What does Russia require before talks?")
    assert not ans.abstained
    first = ans.quotes[0]
    assert first.text.startswith(
        "Officials from the Russian side have framed negotiations as achievable only under "
        "conditions that ensure a credible path to peace"
    )
    assert first.speaker == "Officials from the Russian side"
    assert first.ref.source == "DEA News" and first.citation == 1
    # the Kremlin's own condition comes next; Washington's demands of Moscow do not lead
    assert ans.quotes[1].speaker == "the Kremlin leadership"
    assert "provided there is a demonstrated intent to bring the war to a close" in (
        ans.quotes[1].text
    )
    assert all("Kirby" not in (q.speaker or "") for q in ans.quotes[:2])
    check_verbatim(seeded, ans)
    assert "> — Officials from the Russian side, *DEA News* [1]" in answer_markdown(ans)


def test_kirby_question_is_attributed_to_kirby(seeded) -> None:  # type: ignore[no-untyped-def]
    ans = seeded.ask("What did John Kirby say about negotiations with Russia?")
    assert not ans.abstained
    assert ans.quotes[0].speaker == "White House Strategic Communications Coordinator John Kirby"
    check_verbatim(seeded, ans)


@pytest.mark.parametrize(
    "question",
    ["Who won the 2022 World Cup final?", "What is the recipe for a sourdough starter?"],
)
def test_unrelated_question_abstains(seeded, question: str) -> None:  # type: ignore[no-untyped-def]
    ans = seeded.ask(question)
    assert ans.abstained and not ans.quotes
    assert answer_markdown(ans).startswith("**The sources don't answer this.**")
    assert "Closest passages" in answer_markdown(ans)


def test_follow_up_is_resolved(seeded) -> None:  # type: ignore[no-untyped-def]
    first = seeded.ask("What does Russia require before talks?")
    ans = seeded.ask(
        "And what did Klimov say about that?", history=[Turn(first.question, answer_markdown(first))]
    )
    assert ans.standalone_question == (
        "What did Klimov say about that (about: What does Russia require before talks)?"
    )
    assert ans.quotes[0].speaker == "Andrey Klimov"
    follow = seeded.ask("What about Ukraine?", history=[Turn(first.question, "")])
    assert follow.standalone_question == "What does Ukraine require before talks?"


@pytest.mark.parametrize(
    ("history", "question", "standalone"),
    [
        (["What did Zelensky say about EU candidate status?"],
         "What did he say about the path to membership?",
         "What did Zelensky say about the path to membership?"),
        (["What did Zelensky say about EU candidate status?",
          "What did he say about the path to membership?"],
         "And what did Macron say?", "What did Macron say about the path to membership?"),
        (["What did Zelensky say about EU candidate status?"], "What did his spokesman say?",
         "What did Zelensky’s spokesman say?"),
        (["What does Russia require before talks?"], "And what did the EU say?",
         "What did the EU say (about: What does Russia require before talks)?"),
        (["What does Russia require before talks?"], "What did Klimov say about the war?",
         "What did Klimov say about the war?"),  # not a follow-up: kept as asked
        # a question naming its own person keeps its pronouns
        (["What did Zelensky say about EU candidate status?"],
         "What did Angela Merkel say about her legacy?",
         "What did Angela Merkel say about her legacy?"),
        (["What did Zelensky say about EU candidate status?"],
         "How did the EU respond to his proposal?", "How did the EU respond to his proposal?"),
        # "her" before a noun is possessive
        (["Why did Brittney Griner plead guilty?"], "What did her lawyer say about the sentence?",
         "What did Brittney Griner’s lawyer say about the sentence?"),
    ],
)  # fmt: skip
def test_follow_ups_name_who_they_mean(history: list[str], question: str, standalone: str) -> None:
    from assistant.conversation import condense

    assert condense(question, [Turn(h) for h in history]) == standalone


def test_a_pronoun_follow_up_answers_with_that_person(seeded) -> None:  # type: ignore[no-untyped-def]
    first = "What did Kirby say about negotiations?"
    ans = seeded.ask("What did he say about Putin?", history=[Turn(first, "")])
    assert ans.standalone_question == "What did Kirby say about Putin?"
    assert ans.quotes and all(q.speaker and q.speaker.endswith("John Kirby") for q in ans.quotes)
    assert any("Putin would need to demonstrate" in q.text for q in ans.quotes)


def test_a_question_about_a_named_party_puts_the_passages_naming_it_first(
    fresh, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """A rare name matches weakly by meaning; the passages naming the asked-about party are
    moved ahead of the others retrieved, so its statements reach the answer."""
    from tests.test_ingest import write_articles

    write_articles(tmp_path / "news", 8)
    (tmp_path / "news" / "price.md").write_text(
        "---\ntitle: Briefing notes\nsource: Wire\npublished: 2024-01-05\n---\n"
        "The harbor authority met again on Monday. State Department spokesman Ned Price said "
        "the talks on the detained players would continue through quiet channels.\n"
    )
    assert fresh.ingest([str(tmp_path / "news")]).added == 9
    question = "What did Ned Price say about the harbor authority meeting?"
    plain = fresh.retrieve(question, k=3)
    assert all("Ned Price" not in p.chunk.text for p in plain)  # below the cut by rank alone
    ans = fresh.ask(question, top=3)
    assert "Ned Price" in ans.passages[0].chunk.text
    assert ans.quotes and ans.quotes[0].speaker == "State Department spokesman Ned Price"


def test_filters_exclude_undated_and_other_outlets(seeded) -> None:  # type: ignore[no-untyped-def]
    q = "What does Russia require before talks?"
    assert seeded.ask(q, sources=["CNN"]).abstained
    assert seeded.ask(q, since=date(2022, 1, 1)).abstained  # the seed is undated
    assert not seeded.ask(q, as_of=date(2022, 1, 1)).abstained  # undated is not "after"
    assert not seeded.ask(q, sources=["DEA News"]).abstained
    ans = seeded.ask("What did Russia require in June 2022?")
    assert ans.filters.since == date(2022, 6, 1) and ans.filters.until == date(2022, 6, 30)
    assert ans.abstained


@pytest.mark.parametrize(
    ("question", "message"),
    [
        ("   ", "the question is empty"),
        ("x" * 3000, "the limit is 2000"),
        ("Что требует Россия перед переговорами?", "not in English"),
    ],
)
def test_bad_questions(seeded, question: str, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(QuestionError, match=message):
        seeded.ask(question)


def test_empty_store(fresh) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(EmptyStoreError, match="ingest articles first"):
        fresh.ask("What does Russia require?")


def test_json_shape(seeded) -> None:  # type: ignore[no-untyped-def]
    data = answer_json(seeded.ask("What does Russia require before talks?"))
    assert {"question", "abstained", "answer", "quotes", "mode"} <= set(data)
    q = data["quotes"][0]
    assert {
        "text",
        "speaker",
        "article_id",
        "title",
        "source",
        "published",
        "url",
        "start",
        "end",
        "citation",
    } <= set(q)
    assert data["mode"] == "extractive" and data["abstained"] is False


# ------------------------------------------------------------------ streaming
def test_ask_stream_yields_tokens_before_the_verified_answer(seeded, fake) -> None:  # type: ignore[no-untyped-def]
    """The real Assistant against the local OpenAI-compatible server: the server holds the
    rest of its reply until the first token has reached the consumer, so the answer can only
    arrive if tokens are handed on as they come."""
    import threading

    from tests.fake_llm import KIRBY, QUESTION, RUSSIA, good_reply, with_llm

    released = threading.Event()
    replies = []

    def script(body):  # type: ignore[no-untyped-def]
        replies.append(replace(good_reply(body), hold=released))
        return replies[-1]

    fake.script = script
    events = []
    for event in with_llm(seeded, fake).ask_stream(QUESTION, top=5):
        events.append(event)
        if isinstance(event, TokenEvent):
            assert not any(isinstance(e, AnswerEvent) for e in events)
            released.set()
    kinds = [type(e).__name__ for e in events]
    assert kinds[0] == "StatusEvent" and kinds[-1] == "AnswerEvent"
    assert kinds.count("AnswerEvent") == 1
    first_token = kinds.index("TokenEvent")
    assert all(k == "TokenEvent" for k in kinds[first_token:-1])
    assert "".join(e.text for e in events if isinstance(e, TokenEvent)) == replies[0].text
    answer = events[-1].answer
    assert answer.mode == "llm" and not answer.fallback
    assert [q.text for q in answer.quotes] == [RUSSIA, KIRBY]
    assert fake.answers()[0]["body"]["stream"] is True


def test_ask_stream_without_llm_is_status_then_the_answer(seeded) -> None:  # type: ignore[no-untyped-def]
    events = list(seeded.ask_stream("What does Russia require before talks?"))
    assert [type(e) for e in events] == [StatusEvent, AnswerEvent]
    assert events[-1].answer == seeded.ask("What does Russia require before talks?")


def test_ask_stream_checks_the_question_before_streaming(seeded) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(QuestionError, match="the question is empty"):
        seeded.ask_stream("   ")
