"""BM25 over the stored chunks (bm25s), derived from the store and never a source of truth.

The index is rebuilt when the store's generation (a token every write changes, see
:meth:`assistant.store.Store.generation`) changes, and cached on disk under
``data_dir/lexical/<key>`` so a restart does not re-tokenise the corpus.
"""

from __future__ import annotations

import json
import pickle
import re
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from assistant.store import date_ord
from assistant.types import ArticleRef, Chunk, Filters

_STEMMER: Any = None
_STOPWORDS: frozenset[str] = frozenset()
# bm25s's own tokenizer: scikit-learn's token pattern on lower-cased text
_TOKEN = re.compile(r"(?u)\b\w\w+\b")


def _stemmer() -> Any:
    global _STEMMER, _STOPWORDS
    if _STEMMER is None:
        import Stemmer
        from bm25s.stopwords import STOPWORDS_EN

        _STOPWORDS = frozenset(STOPWORDS_EN)
        _STEMMER = Stemmer.Stemmer("english")
    return _STEMMER


def tokenize(texts: list[str]) -> list[list[str]]:
    """Lower-cased, stop-worded, stemmed tokens (the same for documents and queries).

    Exactly the tokens of ``bm25s.tokenize(texts, stopwords="en", stemmer=...)`` (the tests
    compare them) without its per-call set-up (progress bars, a stopword set per text), which
    cost more than the work when answering tokenises dozens of single sentences per question.
    """
    stemmer = _stemmer()
    split = [[w for w in _TOKEN.findall(t.lower()) if w not in _STOPWORDS] for t in texts]
    unique = list(dict.fromkeys(w for words in split for w in words))
    stem = dict(zip(unique, stemmer.stemWords(unique), strict=True))
    return [[stem[w] for w in words] for words in split]


class LexicalIndex:
    """BM25 over chunks, with per-chunk metadata for filtering."""

    def __init__(self, records: list[tuple[Chunk, ArticleRef]], bm25: Any) -> None:
        self.records = records
        self.bm25 = bm25
        self.pub = np.array([date_ord(r.published) for _, r in records], dtype=np.int64)
        self.source = np.array([r.source for _, r in records], dtype=object)
        self.by_id = {c.id: i for i, (c, _) in enumerate(records)}
        self.outlets: dict[str, list[str]] = {}  # casefolded -> every stored spelling
        for o in sorted({str(o) for o in self.source.tolist() if o}):
            self.outlets.setdefault(o.casefold(), []).append(o)

    def outlet(self, name: str) -> list[str]:
        """The stored outlets ``name`` means, ignoring case and spacing ("cnn" -> ["CNN"];
        "the guardian" -> ["The Guardian", "the guardian"] when both are stored); the name
        itself when no stored outlet matches."""
        return self.outlets.get(" ".join(name.split()).casefold(), [name])

    def __len__(self) -> int:
        return len(self.records)

    @classmethod
    def build(cls, records: Iterable[tuple[Chunk, ArticleRef]]) -> LexicalIndex:
        """Index the chunks (title + text, as the encoder sees them)."""
        import bm25s

        recs = list(records)
        bm25 = bm25s.BM25()
        if recs:
            bm25.index(tokenize([f"{r.title}\n{c.text}" for c, r in recs]), show_progress=False)
        return cls(recs, bm25)

    def mask(self, filters: Filters | None) -> np.ndarray | None:
        """1.0 for chunks the filters allow, else 0.0 (None when nothing is filtered)."""
        if not filters or filters.empty:
            return None
        ok = np.ones(len(self.records), dtype=bool)
        if filters.since:
            ok &= self.pub >= date_ord(filters.since)
        if filters.until:
            ok &= self.pub <= date_ord(filters.until)
        if filters.sources:
            ok &= np.isin(self.source, list(filters.sources))
        return ok.astype(np.float32)

    def ids_within(self, filters: Filters | None) -> list[str]:
        """Ids of the chunks the filters allow."""
        m = self.mask(filters)
        pick = range(len(self.records)) if m is None else np.flatnonzero(m)
        return [self.records[int(i)][0].id for i in pick]

    def search(
        self, query: str, k: int, filters: Filters | None = None
    ) -> list[tuple[Chunk, ArticleRef, float]]:
        """Top chunks by BM25 within the filters."""
        if not self.records:
            return []
        q = tokenize([query])
        if not q[0]:
            return []
        known = [t for t in q[0] if t in self.bm25.vocab_dict]
        if not known:
            return []
        k = min(k, len(self.records))
        docs, scores = self.bm25.retrieve(
            [known], k=k, show_progress=False, weight_mask=self.mask(filters), n_threads=0
        )
        out = []
        for i, s in zip(docs[0], scores[0], strict=True):
            if s <= 0:
                continue
            c, r = self.records[int(i)]
            out.append((c, r, float(s)))
        return out

    # ---------------------------------------------------------------- disk cache
    def save(self, folder: Path) -> None:
        tmp = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        self.bm25.save(str(tmp / "bm25"), show_progress=False)
        with open(tmp / "records.pkl", "wb") as fh:
            pickle.dump(self.records, fh, protocol=pickle.HIGHEST_PROTOCOL)
        (tmp / "meta.json").write_text(json.dumps({"chunks": len(self.records)}))
        shutil.rmtree(folder, ignore_errors=True)
        tmp.rename(folder)

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        import bm25s

        bm25 = bm25s.BM25.load(str(folder / "bm25"), show_progress=False)
        with open(folder / "records.pkl", "rb") as fh:
            records = pickle.load(fh)
        return cls(records, bm25)


def cached_index(root: Path, key: str, build: Any) -> LexicalIndex:
    """The index for ``key`` (the store's state) from disk, else built by ``build()`` and saved."""
    folder = root / key[:16]
    if (folder / "meta.json").exists():
        try:
            return LexicalIndex.load(folder)
        except (OSError, ValueError, pickle.UnpicklingError, EOFError):
            shutil.rmtree(folder, ignore_errors=True)
    index = LexicalIndex.build(build())
    if root.exists():
        for old in root.iterdir():
            shutil.rmtree(old, ignore_errors=True)
    root.mkdir(parents=True, exist_ok=True)
    if len(index):
        index.save(folder)
    return index
