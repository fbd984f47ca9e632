"""Who says each sentence of an article, worked out once: in memory, and kept with the store.

Attribution is the costliest step of a question over articles not seen before (every
sentence split, every cue and pronoun resolved). :class:`SpeakerCache` keeps the result per
article in memory; with ``stored`` (the ``sentence_vectors="ingest"`` setting) it also reads
the analysis that ingest kept beside the article's sentence vectors, so a new process does
not redo it. A kept analysis carries a hash of the text it was made from: an article stored
again under the same id with other words is analysed again, never served stale.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from assistant.attribution import ArticleSpeech, Attribution, analyse_article
from assistant.cache import LRU
from assistant.text import text_hash
from assistant.types import Span

__all__ = ["SpeakerCache", "pack_speech", "unpack_speech"]

KeptFn = Callable[[Sequence[str]], dict[str, str]]  # article ids -> their packed analyses
# 2: the attribution rules of attr6 (named asides, document writers, mid-sentence cues, names
# with particles, quotes continuing their own paragraph) give other speakers: redo kept ones
# 3: roles keep whose they are ("Britain's prime minister"), adverb asides, documents and
# narrators as speakers, second predicates, the name after a title for pronouns, the
# subject of a sentence that quotes a person's words
FORMAT = 3


def pack_speech(speech: ArticleSpeech, text: str) -> str:
    """An article's analysis as compact JSON, tied to ``text`` by its hash."""

    def span(s: Span | None) -> list[int] | None:
        return None if s is None else [s.start, s.end]

    return json.dumps(
        {
            "v": FORMAT,
            "hash": text_hash(text),
            "spans": [[s.start, s.end] for s in speech.spans],
            "who": [
                None
                if not a.speaker
                else [a.speaker, span(a.mention), span(a.cue), span(a.antecedent), a.direct]
                for a in speech.attributions
            ],
            "sides": {k: sorted(v) for k, v in speech.sides.items()},
        },
        separators=(",", ":"),
        ensure_ascii=False,
    )


def unpack_speech(packed: str, text: str) -> ArticleSpeech | None:
    """The analysis in ``packed`` if it was made from ``text`` (None: stale or unreadable)."""
    try:
        d: dict[str, Any] = json.loads(packed)
        if d.get("v") != FORMAT or d.get("hash") != text_hash(text):
            return None

        def span(s: list[int] | None) -> Span | None:
            return None if s is None else Span(int(s[0]), int(s[1]))

        atts = [
            Attribution()
            if w is None
            else Attribution(str(w[0]), span(w[1]), span(w[2]), span(w[3]), bool(w[4]))
            for w in d["who"]
        ]
        spans = [Span(int(s), int(e)) for s, e in d["spans"]]
        if len(spans) != len(atts):
            return None
        sides = {str(k): set(v) for k, v in d["sides"].items()}
    except (ValueError, TypeError, KeyError, IndexError):
        return None
    return ArticleSpeech(spans, atts, sides)


class SpeakerCache:
    """Sentence spans and speakers of each article, worked out once; safe across threads.

    Args:
        maxsize: Articles kept in memory.
        stored: Reads the analyses kept with the store for these article ids (None: none).
        refresh: Keeps analyses again (article id -> packed) where ``stored`` held one that
            cannot be used (made by an older version of the rules, or of other text): the
            first question over such an article redoes it and the store has it from then on.
    """

    def __init__(
        self,
        maxsize: int = 5000,
        stored: KeptFn | None = None,
        refresh: Callable[[dict[str, str]], None] | None = None,
    ) -> None:
        self._lru: LRU[str, ArticleSpeech] = LRU(maxsize)
        self.stored = stored
        self.refresh = refresh

    def warm(self, texts: Mapping[str, str]) -> None:
        """Bring the kept analyses of these articles (id -> text) into memory: one read of
        the store for all of them rather than one per article."""
        if self.stored is None:
            return
        missing = [aid for aid in texts if aid not in self._lru]
        if not missing:
            return
        redo: dict[str, str] = {}
        for aid, packed in self.stored(missing).items():
            if aid not in texts:
                continue
            speech = unpack_speech(packed, texts[aid])
            if speech is None and self.refresh is not None:
                speech = analyse_article(texts[aid])  # as speech() would, then kept again
                redo[aid] = pack_speech(speech, texts[aid])
            if speech is not None:
                self._lru.put(aid, speech)
        if redo and self.refresh is not None:
            self.refresh(redo)

    def put(self, article_id: str, speech: ArticleSpeech) -> None:
        """Keep an analysis just worked out (ingest: no point asking the store for it)."""
        self._lru.put(article_id, speech)

    def speech(self, article_id: str, text: str) -> ArticleSpeech:
        """The analysed article: from memory, else as kept with the store, else worked out."""
        found = self._lru.get(article_id)
        if found is None:
            self.warm({article_id: text})
        return self._lru.get_or_set(article_id, lambda: analyse_article(text))

    def get(
        self, article_id: str, text: str
    ) -> tuple[list[Span], list[str | None], dict[str, set[str]]]:
        """Sentence spans, their speakers and the speakers' sides."""
        s = self.speech(article_id, text)
        return s.spans, s.speakers, s.sides

    def clear(self) -> None:
        self._lru.clear()
