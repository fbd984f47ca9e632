"""The ``Assistant`` facade: the one place that wires the parts together."""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import date
from functools import partial
from typing import Any

from assistant import saved_briefings
from assistant.answer import extractive
from assistant.answer.base import Answerer, AnswerRequest, ChatModel
from assistant.answer.extractive_answerer import ExtractiveAnswerer
from assistant.answer.llm import LLMAnswerer, llm_condense
from assistant.answer.vectors import SpanVectors
from assistant.answer.verify import verify_quote
from assistant.attribution import analyse_article
from assistant.briefing import Briefing, Limits, build_briefing
from assistant.briefing_llm import with_llm_summary
from assistant.cache import LRU
from assistant.conversation import condense
from assistant.dates import date_filter
from assistant.embed import SentenceEmbedder
from assistant.errors import EmptyStoreError, QuestionError, StoreError
from assistant.ingest import Ingestor, IngestReport, ProgressFn
from assistant.lexical import LexicalIndex, cached_index
from assistant.retrieve import FusionConfig, apply_filters, collapse_duplicates, fuse
from assistant.settings import Settings
from assistant.sources import Item, Reader
from assistant.speech_cache import SpeakerCache, pack_speech
from assistant.store import ChromaStore, Store, StoredArticle
from assistant.text import clean_question
from assistant.types import (
    Answer,
    AnswerEvent,
    Article,
    ArticleRef,
    AskEvent,
    Chunk,
    Filters,
    Passage,
    StatusEvent,
    TokenEvent,
    Turn,
)

log = logging.getLogger(__name__)
AMONG_MAX = 20_000  # most chunk ids a dense search is restricted to (see Assistant.dense)
COUNTS_EVERY_S = 2.0  # how stale the store's counts may be (see Assistant.lexical)


class Assistant:
    """Ingest, retrieve and answer over one store. Cheap to build; models load on first use."""

    def __init__(
        self,
        settings: Settings | None = None,
        embedder: SentenceEmbedder | None = None,
        store: Store | None = None,
    ) -> None:
        """Wire the parts the settings describe; pass ``embedder`` or ``store`` to share one
        (e.g. a loaded model across assistants, or one store with other LLM settings)."""
        self.settings = s = settings or Settings()
        self.embedder = embedder or SentenceEmbedder(
            s.embedding_model,
            s.embedding_backend,
            s.embedding_batch_size,
            cache_dir=s.model_cache_dir,
            device=s.device,
            threads=encoder_threads(s.ingest_workers),
        )
        self.store: Store = store or ChromaStore(
            s.data_dir, s.collection, s.chroma_url, s.chroma_token, embedding=self.embedder.name
        )
        self.reader = Reader.from_settings(s)
        self.fusion = FusionConfig(
            s.rrf_k, s.dense_weight, s.lexical_weight, s.recency_weight, s.recency_half_life_days
        )
        self.weights = extractive.Weights()
        self._lex: LexicalIndex | None = None
        self._lex_key = ""
        self._lex_generation = ""
        self._counts = (0, 0)
        self._counts_at = float("-inf")
        self._lex_lock = threading.Lock()
        self._texts: LRU[str, str] = LRU(2000)
        ingested = s.sentence_vectors == "ingest"  # derived data kept with the store
        kept = self.store.span_vectors if ingested else None
        self.vectors = SpanVectors(self.embedder.embed_cached, stored=kept)
        self.speakers = SpeakerCache(
            stored=self._read_kept if ingested else None,
            refresh=self._keep_speech if ingested else None,
        )

    def _read_kept(self, article_ids: Sequence[str]) -> dict[str, str]:
        """One read of the articles' kept sentence records: the analyses for the speaker cache,
        the vectors into the span cache (the same question asks for them next)."""
        speech, vectors = self.store.kept_sentences(article_ids)
        self.vectors.keep(vectors)
        return speech

    def _keep_speech(self, packed: dict[str, str]) -> None:
        """Keep analyses redone on first use (the kept ones were made by older rules); a store
        that refuses the write costs the next process the same work, not this answer."""
        try:
            self.store.put_kept_speech(packed)
        except StoreError as e:
            log.warning("could not keep %d redone analyses: %s", len(packed), e)

    # ---------------------------------------------------------------- ingest
    def ingest(
        self,
        targets: Sequence[str],
        prune: bool = False,
        progress: ProgressFn | None = None,
        force: bool = False,
        items: Iterable[Item] | None = None,
    ) -> IngestReport:
        """Add or update the articles under ``targets`` (files, folders, feeds, URLs), or
        ``items`` already read from them."""
        s = self.settings
        ing = Ingestor(
            self.store,
            self.embedder,
            self.reader,
            s.chunk_words,
            s.chunk_overlap_sentences,
            workers=s.ingest_workers,
            spans=self.kept_analysis if s.sentence_vectors == "ingest" else None,
        )
        report = ing.run(list(targets), prune=prune, progress=progress, force=force, items=items)
        if report.added or report.updated or report.pruned:
            self._texts.clear()  # the lexical index notices the store's new generation itself
        return report

    def sentence_spans(self, article: Article, chunks: list[Chunk]) -> list[tuple[int, int, str]]:
        """The spans the extractive answerer would consider in these chunks (start, end, text):
        the ones whose vectors ``sentence_vectors="ingest"`` computes with the chunks."""
        ref = ArticleRef(article.id, article.title, article.source, article.published, article.url)
        passages = [Passage(c, ref, 0.0) for c in chunks]
        texts = {article.id: article.text}
        cands = extractive.candidates(passages, texts, self.speakers, max_passages=len(chunks))
        return [(c.start, c.end, c.text) for c in cands]

    def kept_analysis(
        self, article: Article, chunks: list[Chunk]
    ) -> tuple[list[tuple[int, int, str]], str]:
        """What ``sentence_vectors="ingest"`` keeps of an article: its quotable spans (their
        vectors are computed with the chunks) and its sentence splits and speakers, packed."""
        speech = analyse_article(article.text)  # new text: worked out, never read back
        self.speakers.put(article.id, speech)
        return self.sentence_spans(article, chunks), pack_speech(speech, article.text)

    # ---------------------------------------------------------------- reads
    def sources(self) -> list[StoredArticle]:
        """Stored articles, newest first."""
        arts = self.store.list_articles()
        return sorted(arts, key=lambda a: (a.ref.published or date.min, a.ref.title), reverse=True)

    def article(self, article_id: str) -> Article | None:
        """One stored article with its text."""
        return self.store.get_article(article_id)

    def stats(self) -> dict[str, Any]:
        """Totals for ``assistant stats``."""
        arts = self.store.list_articles()
        dates = [a.ref.published for a in arts if a.ref.published]
        outlets: dict[str, int] = {}
        for a in arts:
            outlets[a.ref.source or "(unknown)"] = outlets.get(a.ref.source or "(unknown)", 0) + 1
        return {
            "articles": len(arts),
            "chunks": self.store.chunk_count(),
            "outlets": dict(sorted(outlets.items(), key=lambda kv: -kv[1])),
            "earliest": min(dates).isoformat() if dates else None,
            "latest": max(dates).isoformat() if dates else None,
            "store": self.store.where,
            "store_bytes": self.store.size_bytes(),
            "embedding_model": self.embedder.name,
        }

    # ---------------------------------------------------------------- retrieval
    def lexical(self) -> LexicalIndex:
        """The BM25 index for the store as it is now.

        Rebuilt (or loaded from its disk cache) when the store's generation or counts change,
        whichever process wrote to it; the article-text cache is dropped at the same moment.
        The generation (one lookup by id) is read on every call; the counts (database scans
        that grow with the store, there for writers that do not bump the generation) when it
        changed, and otherwise at most every two seconds.
        """
        with self._lex_lock:
            generation, now = self.store.generation(), time.monotonic()
            if generation != self._lex_generation or now - self._counts_at >= COUNTS_EVERY_S:
                self._counts = self.store.counts()
                self._counts_at, self._lex_generation = now, generation
            articles, chunks = self._counts
            key = f"{generation}|{articles}|{chunks}"
            if self._lex is None or self._lex_key != key:
                self._texts.clear()
                self._lex = cached_index(
                    self.settings.data_dir / "lexical" / self.settings.collection,
                    hashlib.sha1(key.encode()).hexdigest(),
                    self.store.iter_chunks,
                )
                self._lex_key = key
            return self._lex

    def retrieve(
        self,
        query: str,
        filters: Filters | None = None,
        k: int | None = None,
        ref_date: date | None = None,
        prefer: Callable[[str], bool] | None = None,
    ) -> list[Passage]:
        """Top passages for a query: dense + BM25, fused, near-duplicates folded; with
        ``prefer``, the passages among the first ``3 k`` it accepts come first (a question
        about what Ned Price said: the passages naming him, which a rare name's weak dense
        match would otherwise leave below the cut)."""
        s = self.settings
        k = k or s.top_k
        lex = self.lexical()
        vec = self.embedder.embed_cached([query])[0]
        dense = self.dense(vec, lex, filters)
        lexical = lex.search(query, s.candidates, filters)
        fused = fuse(dense, lexical, self.fusion, ref_date)[: k * 3]
        if prefer is not None:
            fused.sort(key=lambda p: not prefer(p.chunk.text))  # stable: fused order within
        return collapse_duplicates(fused)[:k]

    def search(
        self,
        query: str,
        as_of: date | None = None,
        since: date | None = None,
        until: date | None = None,
        sources: Sequence[str] = (),
        top: int | None = None,
    ) -> list[Passage]:
        """Passages for a query with the filters and date phrases ``ask`` applies.

        Raises:
            QuestionError: The query is empty, too long or not in a Latin script.
            EmptyStoreError: Nothing is ingested yet.
        """
        query = self._check_question(query)
        self._check_store()
        text, filters = self._scope(query, as_of, since, until, sources)
        return self.retrieve(text, filters, top, ref_date=as_of)

    def dense(
        self, vec: Any, lex: LexicalIndex, filters: Filters | None
    ) -> list[tuple[Any, Any, float]]:
        """Nearest chunks within the filters.

        Chroma's HNSW search without a ``where`` clause takes milliseconds, a filtered one a
        few hundred (about a second on a 100k-chunk store); so search wide without it and
        filter here (the chunk records are in memory with the BM25 index). When too few
        remain (a narrow window, e.g. "this week"), search again among the ids the filters
        allow, known from those records; a ``where`` clause only when the index is behind
        the store or the filters allow too many ids to send.
        """
        want = self.settings.candidates
        if not filters or filters.empty:
            return self.store.dense(vec, want)
        wide = self.store.dense_ids(vec, max(20 * want, 1000))
        hits: list[tuple[Any, Any, float]] = []
        for cid, sim in wide:
            i = lex.by_id.get(cid)
            if i is None:  # the store changed since the index was built
                hits = []
                break
            chunk, ref = lex.records[i]
            hits.append((chunk, ref, sim))
        if hits:
            hits = apply_filters(hits, filters)
            if len(hits) >= want:
                return hits[:want]
            allowed = lex.ids_within(filters)
            if len(allowed) <= AMONG_MAX:  # search among the allowed ids: no where clause
                hits = []
                for cid, sim in self.store.dense_ids(vec, want, among=allowed):
                    chunk, ref = lex.records[lex.by_id[cid]]
                    hits.append((chunk, ref, sim))
                return apply_filters(hits, filters)
        return apply_filters(self.store.dense(vec, want, filters), filters)

    def texts(self, article_ids: Sequence[str]) -> dict[str, str]:
        """Full article texts, cached (thread-safe)."""
        out, missing = self._texts.split(article_ids)
        if missing:
            for a, text in self.store.get_texts(missing).items():
                self._texts.put(a, text)
                out[a] = text
        return {a: out[a] for a in article_ids if a in out}

    # ---------------------------------------------------------------- answering
    def ask_stream(
        self,
        question: str,
        history: Sequence[Turn] = (),
        as_of: date | None = None,
        since: date | None = None,
        until: date | None = None,
        sources: Sequence[str] = (),
        top: int | None = None,
        mode: str | None = None,
    ) -> Iterator[AskEvent]:
        """Answer as a stream: status events, the LLM's draft tokens, then the final Answer.

        The question and the store are checked before the stream starts (a bad question
        raises here, not on the first ``next``). The last event is always an
        :class:`AnswerEvent` carrying the verified answer (or the abstention).
        """
        question = self._check_question(question)
        self._check_store()
        return self._events(question, history, as_of, since, until, sources, top, mode, True)

    def ask(
        self,
        question: str,
        history: Sequence[Turn] = (),
        as_of: date | None = None,
        since: date | None = None,
        until: date | None = None,
        sources: Sequence[str] = (),
        top: int | None = None,
        mode: str | None = None,
        on_token: Callable[[str], None] | None = None,
    ) -> Answer:
        """Answer with verified, attributed quotes (or abstain).

        In LLM mode ``on_token`` receives the model's (not yet verified) tokens as they
        arrive; without it the model is asked for the whole reply at once.
        """
        question = self._check_question(question)
        self._check_store()
        stream = on_token is not None
        events = self._events(question, history, as_of, since, until, sources, top, mode, stream)
        final: Answer | None = None
        for event in events:
            if isinstance(event, AnswerEvent):
                final = event.answer
            elif isinstance(event, TokenEvent) and on_token is not None:
                on_token(event.text)
        if final is None:  # pragma: no cover - _events always ends with an AnswerEvent
            raise AssertionError("the answer stream ended without an answer")
        return final

    def answerer(self, mode: str | None = None) -> Answerer:
        """The answerer for ``mode`` ("extractive" or "llm"; LLM only with a provider set)."""
        s = self.settings
        plain = ExtractiveAnswerer(
            texts=self.texts,
            speakers=self.speakers,
            embed=self.embedder.embed_cached,
            max_quotes=s.max_quotes,
            abstain_threshold=s.abstain_threshold,
            weights=self.weights,
            vectors=self.vectors,
        )
        if not self._use_llm(mode):
            return plain
        return LLMAnswerer(self.texts, self.speakers, self._chat(), plain)

    def _use_llm(self, mode: str | None) -> bool:
        return (mode or "llm") == "llm" and self.settings.llm_provider != "none"

    def _chat(self) -> ChatModel:
        from assistant.answer.chat import LangChainChat  # LangChain loads only for LLM mode

        return LangChainChat(self.settings)

    def _events(
        self,
        question: str,
        history: Sequence[Turn],
        as_of: date | None,
        since: date | None,
        until: date | None,
        sources: Sequence[str],
        top: int | None,
        mode: str | None,
        stream: bool,
    ) -> Iterator[AskEvent]:
        if history and self._use_llm(mode):
            yield StatusEvent("Understanding the follow-up…")
            limit = self.settings.max_question_chars
            standalone = llm_condense(self._chat(), question, history, limit)
        else:
            standalone = condense(question, list(history))
        yield StatusEvent("Searching the articles…")
        query, filters = self._scope(standalone, as_of, since, until, sources)
        q = extractive.analyse(standalone)
        named = extractive.asks_for_a_party(q) and q.party_name[:1].isupper()
        prefer = partial(extractive.mentions_party, q) if named else None
        passages = self.retrieve(query, filters, top, ref_date=as_of, prefer=prefer)
        request = AnswerRequest(question, tuple(passages), standalone, filters, tuple(history))
        if not passages and not filters.empty:
            note = f"No articles match the filters: {describe_filters(filters)}."
            stored = self.lexical().outlets  # one look at the store's generation, not three
            unknown = [o for o in filters.sources if o.casefold() not in stored]
            if unknown:
                note += " " + outlets_hint(unknown, [o for sp in stored.values() for o in sp])
            yield AnswerEvent(Answer(question, (), (), True, 0.0, standalone, filters, notice=note))
            return
        if self._use_llm(mode):
            yield StatusEvent("Asking the LLM…")
        elif mode == "llm":  # asked for by name, but there is no model to ask
            yield from _no_llm(self.answerer("extractive").stream(request, tokens=stream))
            return
        yield from self.answerer(mode).stream(request, tokens=stream)

    def brief(
        self,
        topic: str,
        as_of: date | None = None,
        since: date | None = None,
        until: date | None = None,
        sources: Sequence[str] = (),
        top: int = 20,
        since_last: str | None = None,
        save: str | None = None,
        mode: str | None = None,
    ) -> Briefing:
        """Bottom line, each actor's positions, disagreements and timeline on a topic, every
        line a verified quote. ``since_last`` leaves out the articles a saved briefing saw;
        ``save`` records this one under the data directory for a later ``since_last``."""
        topic = self._check_question(topic)
        self._check_store()
        query, filters = self._scope(topic, as_of, since, until, sources)
        delta = f"since {since.isoformat()}" if since else ""
        seen: frozenset[str] = frozenset()
        if since_last:
            record = saved_briefings.load(self.settings.data_dir, since_last)
            seen, delta = record.articles, record.describe()
        passages = self.retrieve(query, filters, top * 3 if seen else top, ref_date=as_of)
        passages = [p for p in passages if p.ref.article_id not in seen][:top]
        texts = self.texts([p.ref.article_id for p in passages])
        b = build_briefing(
            topic, passages, texts, self.embedder.embed_cached, self.speakers, filters,
            Limits(min_topic=self.settings.abstain_threshold), delta=delta,
        )
        for q in b.quotes():
            if not verify_quote(q, texts[q.ref.article_id]):  # pragma: no cover - by construction
                raise AssertionError(f"unverifiable quote in briefing: {q.text!r}")
        if self._use_llm(mode):
            b = with_llm_summary(b, texts, self.speakers, self._chat())
        if save:
            ids = [a.ref.article_id for a in self.store.list_articles()]
            saved_briefings.save(self.settings.data_dir, save, b, ids)
        return b

    def _check_store(self) -> None:
        # the BM25 index knows the chunk count (refreshed as lexical() says); asking Chroma to
        # count on every question scans its database
        if len(self.lexical()) == 0:
            raise EmptyStoreError(
                "the store is empty: ingest articles first, e.g. `assistant ingest corpus/`"
            )

    def _scope(
        self,
        text: str,
        as_of: date | None,
        since: date | None,
        until: date | None,
        sources: Sequence[str],
    ) -> tuple[str, Filters]:
        """The retrieval query and filters: explicit options tightened by date phrases;
        outlets as stored, whatever their case ("cnn" finds "CNN")."""
        if sources:
            lex = self.lexical()
            sources = tuple(dict.fromkeys(o for s in sources for o in lex.outlet(s)))
        p_since, p_until, query = date_filter(text, as_of or date.today())
        until = min((d for d in (until, as_of) if d), default=None)
        filters = Filters(tuple(sources), since, until)
        if p_since or p_until:
            filters = filters.merged(Filters(since=p_since, until=p_until))
        return query, filters

    def _check_question(self, question: str) -> str:
        q = clean_question(question)
        if not q:
            raise QuestionError("the question is empty: type a question about the articles")
        if len(q) > self.settings.max_question_chars:
            raise QuestionError(
                f"the question is {len(q)} characters; the limit is "
                f"{self.settings.max_question_chars}: ask something shorter"
            )
        letters = [ch for ch in q if ch.isalpha()]
        latin = sum(1 for ch in letters if "LATIN" in unicodedata.name(ch, ""))
        if letters and latin / len(letters) < 0.5:
            raise QuestionError(
                "the question is not in English (or another Latin-script language); the "
                "articles and the matching are English: please ask in English"
            )
        return q


def encoder_threads(workers: int) -> int:
    """Intra-op threads per encode: the cores shared by ``workers`` parallel batches (0 for
    one worker: the runtime's default, every physical core)."""
    return 0 if workers <= 1 else max(1, (os.cpu_count() or 1) // workers)


NO_LLM = "No LLM is configured (set ASSISTANT_LLM_PROVIDER); showing quotes only"


def _no_llm(events: Iterator[Any]) -> Iterator[Any]:
    """An extractive answer to an LLM-mode request, flagged as the fallback it is."""
    for event in events:
        if isinstance(event, AnswerEvent):
            event = AnswerEvent(replace(event.answer, fallback=True, notice=NO_LLM))
        yield event


def outlets_hint(unknown: Sequence[str], known: Sequence[str]) -> str:
    """What to say of outlets no article has: the closest stored names, or a few of them."""
    import difflib

    close = {m for u in unknown for m in difflib.get_close_matches(u, known, n=3, cutoff=0.6)}
    if close:
        return "Did you mean " + " or ".join(sorted(close)) + "?"
    if not known:
        return "No stored article names its outlet."
    few = sorted(known)[:5]
    more = f" and {len(known) - 5} more" if len(known) > 5 else ""
    return "No stored article is from " + ", ".join(unknown) + "; outlets: " + ", ".join(few) + more + "."


def describe_filters(f: Filters) -> str:
    """The filters in words ("source CNN; published on or before 2001-01-01")."""
    parts = []
    if f.sources:
        parts.append(("source " if len(f.sources) == 1 else "sources ") + ", ".join(f.sources))
    if f.since:
        parts.append(f"published on or after {f.since.isoformat()}")
    if f.until:
        parts.append(f"published on or before {f.until.isoformat()}")
    return "; ".join(parts)
