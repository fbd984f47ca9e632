"""What plugs into answering: the ``Answerer`` and ``ChatModel`` protocols and the request.

An answerer receives what it uses explicitly (article texts, the speaker cache, settings, a
chat model) at construction; :class:`~assistant.service.Assistant` only wires them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from assistant.types import Answer, AnswerEvent, Filters, Passage, TokenEvent, Turn

TextsFn = Callable[[Sequence[str]], dict[str, str]]  # article ids -> their full texts
EmbedFn = Callable[[list[str]], np.ndarray]  # texts -> unit vectors, one row each


@dataclass(frozen=True)
class AnswerRequest:
    """A question to answer from retrieved passages (most relevant first)."""

    question: str  # the user's words
    passages: tuple[Passage, ...]
    standalone: str = ""  # the question with follow-up references resolved
    filters: Filters = field(default_factory=Filters)
    history: tuple[Turn, ...] = ()

    @property
    def asked(self) -> str:
        """The question to match against the passages."""
        return self.standalone or self.question


class Answerer(Protocol):
    """Turns a request into an answer, streaming draft tokens when it has any."""

    def stream(
        self, request: AnswerRequest, tokens: bool = True
    ) -> Iterator[TokenEvent | AnswerEvent]:
        """Yield draft tokens (only when ``tokens``), then exactly one final AnswerEvent."""
        ...


class ChatModel(Protocol):
    """A chat model behind one call (the LangChain adapter is :mod:`assistant.answer.chat`)."""

    def complete(
        self, system: str, user: str, stream: bool, usage: dict[str, int]
    ) -> Iterator[str]:
        """The reply's text, token by token when ``stream``; token counts added to ``usage``.

        Raises:
            LLMUnavailable: The endpoint stayed down, erroring or silent (worth a fallback).
            LLMError: Anything not worth retrying (a bad key, a missing model).
        """
        ...


def final_answer(events: Iterable[TokenEvent | AnswerEvent]) -> Answer:
    """The Answer at the end of an answerer's stream (tokens dropped)."""
    answer: Answer | None = None
    for event in events:
        if isinstance(event, AnswerEvent):
            answer = event.answer
    if answer is None:
        raise RuntimeError("the answerer's stream ended without an answer")
    return answer
