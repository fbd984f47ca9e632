"""The answerers, built from explicit collaborators (no Assistant inside)."""

from __future__ import annotations

from assistant.answer.base import AnswerRequest, final_answer
from assistant.answer.chat import LangChainChat
from assistant.answer.extractive_answerer import ExtractiveAnswerer
from assistant.answer.llm import LLMAnswerer
from assistant.speech_cache import SpeakerCache
from assistant.types import AnswerEvent, TokenEvent
from tests.fake_llm import KEY, KIRBY, QUESTION, RUSSIA, good_reply


def _extractive(seeded) -> ExtractiveAnswerer:  # type: ignore[no-untyped-def]
    s = seeded.settings
    return ExtractiveAnswerer(
        texts=seeded.texts,
        speakers=SpeakerCache(),
        embed=seeded.embedder.embed_cached,
        max_quotes=s.max_quotes,
        abstain_threshold=s.abstain_threshold,
    )


def test_extractive_answerer_matches_the_service(seeded) -> None:  # type: ignore[no-untyped-def]
    passages = tuple(seeded.retrieve(QUESTION))
    events = list(_extractive(seeded).stream(AnswerRequest(QUESTION, passages, QUESTION)))
    assert [type(e) for e in events] == [AnswerEvent]
    got = final_answer(events)
    want = seeded.ask(QUESTION)
    assert [(q.text, q.start, q.speaker) for q in got.quotes] == [
        (q.text, q.start, q.speaker) for q in want.quotes
    ]
    assert got.quotes[0].speaker == "Officials from the Russian side"


def test_extractive_answerer_abstains_below_its_threshold(seeded) -> None:  # type: ignore[no-untyped-def]
    passages = tuple(seeded.retrieve(QUESTION))
    strict = ExtractiveAnswerer(seeded.texts, SpeakerCache(), seeded.embedder.embed_cached, 3, 0.99)
    answer = strict.answer(AnswerRequest(QUESTION, passages))
    assert answer.abstained and answer.quotes == () and 0 < answer.confidence < 0.99


def test_llm_answerer_with_a_langchain_chat_model(seeded, fake) -> None:  # type: ignore[no-untyped-def]
    fake.script = good_reply
    settings = seeded.settings.model_copy(
        update={
            "llm_provider": "openai",
            "llm_model": "fake-gpt",
            "llm_base_url": f"{fake.url}/v1",
            "llm_api_key": KEY,
        }
    )
    plain = _extractive(seeded)
    answerer = LLMAnswerer(seeded.texts, SpeakerCache(), LangChainChat(settings), plain)
    request = AnswerRequest(QUESTION, tuple(seeded.retrieve(QUESTION, k=5)), QUESTION)
    events = list(answerer.stream(request, tokens=False))
    assert not any(isinstance(e, TokenEvent) for e in events)
    answer = final_answer(events)
    assert answer.mode == "llm" and [q.text for q in answer.quotes] == [RUSSIA, KIRBY]
    assert answer.confidence == plain.answer(request).confidence
    (req,) = fake.requests
    assert not req["body"].get("stream")
