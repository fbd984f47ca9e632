"""Sentence vectors of stored articles, computed once and kept (bounded, thread-safe).

A question's candidate sentences mostly come from articles other questions touched before;
their vectors are kept by article id and character offsets, so a second question over the
same article encodes only itself. With ``stored`` (vectors computed at ingest and kept with
the store, see the ``sentence_vectors`` setting) even the first question over an article
encodes nothing but itself. Each entry also keeps a hash of the span's text: an article
replaced under the same id with other words at those offsets is encoded again, never served
stale.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from assistant.answer.base import EmbedFn
from assistant.cache import LRU
from assistant.text import text_hash

Span = tuple[str, int, int]  # article id, start, end
Hit = tuple[str, np.ndarray]  # hash of the span's text, its unit vector
__all__ = ["SpanVectors", "text_hash"]

StoredFn = Callable[[Sequence[str]], dict[Span, Hit]]


class SpanVectors:
    """Unit vectors of article spans by ``(article_id, start, end)``, at most ``maxsize``.

    Args:
        embed: Encodes texts not found (unit rows).
        maxsize: Entries kept in memory.
        stored: Looks up vectors kept with the store for these article ids (None: none kept).
    """

    def __init__(self, embed: EmbedFn, maxsize: int = 50_000, stored: StoredFn | None = None):
        self.embed = embed
        self.stored = stored
        self._lru: LRU[Span, Hit] = LRU(maxsize)

    def vectors(self, spans: Sequence[Span], texts: Sequence[str]) -> np.ndarray:
        """One row per span (``texts[i]`` is span ``i``'s text); only unseen spans are encoded."""
        rows: list[np.ndarray | None] = [None] * len(spans)
        hashes = [text_hash(t) for t in texts]
        missing = self._from(self._lru.get, spans, hashes, rows, range(len(spans)))
        if missing and self.stored is not None:
            kept = self.stored([spans[i][0] for i in missing])
            self.keep(kept)  # the articles' other sentences too: later questions
            missing = self._from(kept.get, spans, hashes, rows, missing)
        if missing:
            fresh = self.embed([texts[i] for i in missing])
            for i, vec in zip(missing, fresh, strict=True):
                self._lru.put(spans[i], (hashes[i], vec))
                rows[i] = vec
        if not rows:
            return np.zeros((0, 0), dtype=np.float32)
        return np.vstack([r for r in rows if r is not None]).astype(np.float32)

    def keep(self, hits: dict[Span, Hit]) -> None:
        """Hold vectors read from the store (checked against each span's text when used)."""
        for key, hit in hits.items():
            self._lru.put(key, hit)

    @staticmethod
    def _from(
        get: Callable[[Span], Hit | None],
        spans: Sequence[Span],
        hashes: list[str],
        rows: list[np.ndarray | None],
        todo: Sequence[int],
    ) -> list[int]:
        """Fill ``rows`` from ``get`` where the text matches; return the indexes still missing."""
        missing = []
        for i in todo:
            hit = get(spans[i])
            if hit is not None and hit[0] == hashes[i]:
                rows[i] = hit[1]
            else:
                missing.append(i)
        return missing

    def __len__(self) -> int:
        return len(self._lru)
