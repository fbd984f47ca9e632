"""The LLM answerer: prose from a chat model, with every quote checked against the sources.

The model sees numbered, dated, attributed passages inside ``<source>`` tags and is told they
are data, not instructions (``prompts/answer.md``). Its reply is checked by
:func:`assistant.answer.citations.check_reply`; an answer left without any valid citation falls
back to the extractive answer (``fallback=True``), as does an empty reply and an endpoint
that stays down, erroring, silent, too slow or unreadable after the retries. A rejected key, a missing model or a refused request
raise :class:`LLMError`. The chat model is a collaborator (:class:`ChatModel`); LangChain
lives in :mod:`assistant.answer.chat`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from assistant.answer.base import AnswerRequest, ChatModel, TextsFn
from assistant.answer.citations import Source, check_reply, defang
from assistant.answer.extractive_answerer import ExtractiveAnswerer
from assistant.conversation import condense
from assistant.errors import LLMUnavailable
from assistant.prompts import prompt
from assistant.speech_cache import SpeakerCache
from assistant.types import Answer, AnswerEvent, Passage, TokenEvent, Turn

MAX_SOURCES = 8  # passages shown to the model, most relevant first


# ------------------------------------------------------------------ sources and prompt
def build_sources(
    passages: Sequence[Passage], texts: dict[str, str], speakers: SpeakerCache
) -> list[Source]:
    """Number the top passages (those whose article text is at hand) with their speakers."""
    out: list[Source] = []
    for p in passages[:MAX_SOURCES]:
        text = texts.get(p.ref.article_id)
        if text is None:
            continue
        spans, who, _sides = speakers.get(p.ref.article_id, text)
        inside = [
            w for s, w in zip(spans, who, strict=True) if p.chunk.start <= s.start < p.chunk.end
        ]
        named = tuple(dict.fromkeys(w for w in inside if w))
        out.append(
            Source(
                number=len(out) + 1,
                passage=p,
                article_text=text,
                speakers=named,
                sentence_starts=tuple(s.start for s in spans),
                sentence_speakers=tuple(who),
            )
        )
    return out


def sources_block(sources: Sequence[Source]) -> str:
    """The sources as ``<source id="n" ...>text</source>`` blocks, metadata escaped."""
    blocks = []
    for s in sources:
        attrs = {
            "id": str(s.number),
            "title": s.ref.title,
            "outlet": s.ref.source or "unknown",
            "published": s.ref.published.isoformat() if s.ref.published else "unknown",
        }
        if s.speakers:
            attrs["speakers"] = "; ".join(s.speakers)
        head = " ".join(f'{k}="{html.escape(defang(v), quote=True)}"' for k, v in attrs.items())
        blocks.append(f"<source {head}>\n{defang(s.excerpt)}\n</source>")
    return "\n\n".join(blocks)


def answer_prompt(question: str, standalone: str, sources: Sequence[Source]) -> tuple[str, str]:
    """The system and user messages of ``prompts/answer.md`` for these sources."""
    asked = standalone or question
    if standalone and standalone != question:
        asked = f"{standalone}\n(The user's words, a follow-up: {question})"
    return prompt(
        "answer",
        today=date.today().isoformat(),
        count=str(len(sources)),
        sources=sources_block(sources),
        question=asked,
    )


# ------------------------------------------------------------------ answering
def _fallback(extractive: Answer, why: str, **fields: Any) -> Answer:
    return replace(
        extractive,
        fallback=True,
        notice=f"{why}; showing the answer chosen without the LLM.",
        **fields,
    )


@dataclass(frozen=True)
class LLMAnswerer:
    """The chat model's verified answer, or the extractive one with a notice saying why.

    Args:
        texts: Full article texts by id (the model sees excerpts; quotes are checked against
            the whole article).
        speakers: Per-article speakers, shown to the model with each source.
        chat: The chat model (see :class:`~assistant.answer.chat.LangChainChat`).
        extractive: The answerer to fall back to; its confidence is the answer's too.
    """

    texts: TextsFn
    speakers: SpeakerCache
    chat: ChatModel
    extractive: ExtractiveAnswerer

    def stream(
        self, request: AnswerRequest, tokens: bool = True
    ) -> Iterator[TokenEvent | AnswerEvent]:
        """Yield the model's tokens as they arrive (unverified drafts), then the final Answer.

        The history is not sent again: the standalone question already carries what the
        follow-up refers to. Without ``tokens`` the model is asked for the whole reply at once.

        Raises:
            LLMError: The endpoint rejected the key, lacks the model, or refused the request.
        """
        plain = self.extractive.answer(request)
        passages = request.passages
        sources = build_sources(
            passages, self.texts([p.ref.article_id for p in passages[:MAX_SOURCES]]), self.speakers
        )
        if not sources:
            yield AnswerEvent(_fallback(plain, "no passage matched, so the LLM was not asked"))
            return
        usage: dict[str, int] = {}
        parts: list[str] = []
        system, user = answer_prompt(request.question, request.standalone, sources)
        try:
            for token in self.chat.complete(system, user, tokens, usage):
                parts.append(token)
                if tokens:
                    yield TokenEvent(token)
        except LLMUnavailable as e:
            yield AnswerEvent(_fallback(plain, f"the LLM answer failed: {e}", usage=usage))
            return
        if not "".join(parts).strip():
            yield AnswerEvent(_fallback(plain, "the LLM returned an empty answer", usage=usage))
            return
        checked = check_reply("".join(parts), sources)
        if not checked.cited:
            yield AnswerEvent(
                _fallback(
                    plain,
                    "the LLM answer cited no source",
                    usage=usage,
                    unverified=tuple(checked.unverified),
                    verification=checked.counts(),
                )
            )
            return
        sent = [s.passage for s in sources]
        yield AnswerEvent(
            Answer(
                question=request.question,
                quotes=tuple(checked.quotes),
                passages=(*sent, *(p for p in passages if p not in sent)),
                abstained=False,
                confidence=plain.confidence,
                standalone_question=request.standalone,
                filters=request.filters,
                mode="llm",
                text=checked.text,
                unverified=tuple(checked.unverified),
                fallback=False,
                usage=usage,
                verification=checked.counts(),
            )
        )


def llm_condense(chat: ChatModel, question: str, history: Sequence[Turn], max_chars: int) -> str:
    """A follow-up rewritten as a standalone question by the LLM (``prompts/condense.md``).

    Falls back to the rule-based :func:`assistant.conversation.condense` when the endpoint is
    down or the reply is unusable (empty, or longer than ``max_chars``).
    """
    turns = []
    for i, t in enumerate(list(history)[-3:], 1):
        answer = " ".join(t.answer.split())[:600]
        turns.append(
            f'<turn n="{i}">\n<question>{defang(t.question)}</question>\n'
            f"<answer>{defang(answer)}</answer>\n</turn>"
        )
    system, user = prompt("condense", history="\n".join(turns), question=question)
    try:
        reply = "".join(chat.complete(system, user, False, {}))
    except LLMUnavailable:
        return condense(question, list(history))
    lines = [ln.strip() for ln in reply.strip().splitlines() if ln.strip()]
    out = lines[0] if lines else ""
    out = re.sub(r"^(?:standalone question\s*:\s*)", "", out, flags=re.I).strip().strip("\"“”'")
    if not out or len(out) > max_chars:
        return condense(question, list(history))
    return out
