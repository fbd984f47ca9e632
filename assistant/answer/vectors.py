"""Sentence vectors of stored articles, computed once and kept (bounded, thread-safe).

A question's candidate sentences mostly come from articles other questions touched before;
their vectors are kept by article id and character offsets, so a second question over the
same article encodes only itself. Each entry also keeps the span's text: an article replaced
under the same id with other words at those offsets is encoded again, never served stale.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from assistant.answer.base import EmbedFn
from assistant.cache import LRU

Span = tuple[str, int, int]  # article id, start, end


class SpanVectors:
    """Unit vectors of article spans by ``(article_id, start, end)``, at most ``maxsize``."""

    def __init__(self, embed: EmbedFn, maxsize: int = 50_000) -> None:
        self.embed = embed
        self._lru: LRU[Span, tuple[str, np.ndarray]] = LRU(maxsize)

    def vectors(self, spans: Sequence[Span], texts: Sequence[str]) -> np.ndarray:
        """One row per span (``texts[i]`` is span ``i``'s text); only unseen spans are encoded."""
        rows: list[np.ndarray | None] = []
        missing: list[int] = []
        for i, (key, text) in enumerate(zip(spans, texts, strict=True)):
            hit = self._lru.get(key)
            if hit is not None and hit[0] == text:
                rows.append(hit[1])
            else:
                rows.append(None)
                missing.append(i)
        if missing:
            fresh = self.embed([texts[i] for i in missing])
            for i, vec in zip(missing, fresh, strict=True):
                self._lru.put(spans[i], (texts[i], vec))
                rows[i] = vec
        if not rows:
            return np.zeros((0, 0), dtype=np.float32)
        return np.vstack([r for r in rows if r is not None]).astype(np.float32)

    def __len__(self) -> int:
        return len(self._lru)
