"""The LLM writes the briefing's summary from the same evidence; every quote is verified.

The model sees the briefing's retrieved passages as numbered ``<source>`` blocks
(``prompts/briefing.md``; the sources are data, not instructions). Its reply is checked like an
LLM answer (:func:`assistant.answer.citations.check_reply`): quotes not verbatim in the cited
article are removed and counted; a reply citing no valid source is dropped and the briefing
stays extractive with a notice. The extractive sections are always kept.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from assistant.answer.base import ChatModel
from assistant.answer.citations import check_reply
from assistant.answer.llm import build_sources, sources_block
from assistant.errors import LLMUnavailable
from assistant.prompts import prompt
from assistant.speech_cache import SpeakerCache
from assistant.types import Briefing


def with_llm_summary(
    b: Briefing, texts: dict[str, str], speakers: SpeakerCache, chat: ChatModel
) -> Briefing:
    """The briefing with the model's verified summary, or unchanged with a notice why not."""
    if not b.key_points:
        return b  # nothing relevant: the model is not asked
    sources = build_sources(list(b.passages), texts, speakers)
    system, user = prompt(
        "briefing",
        today=date.today().isoformat(),
        count=str(len(sources)),
        sources=sources_block(sources),
        topic=b.topic,
    )
    usage: dict[str, int] = {}
    try:
        reply = "".join(chat.complete(system, user, False, usage))
    except LLMUnavailable as e:
        return replace(b, notice=f"the LLM summary failed ({e}); showing quotes only")
    checked = check_reply(reply, sources)
    if not checked.cited:
        return replace(
            b,
            notice="the LLM summary cited no source; showing quotes only",
            unverified=tuple(checked.unverified),
        )
    return replace(
        b,
        summary=checked.text,
        summary_sources=tuple((n, sources[n - 1].passage) for n in checked.cited),
        summary_quotes=tuple(checked.quotes),
        unverified=tuple(checked.unverified),
        mode="llm",
        usage=usage,
    )
