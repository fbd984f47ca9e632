"""The hybrid retrieval as a LangChain retriever, for users who build their own chains.

Each :class:`~langchain_core.documents.Document` is one retrieved passage: its text, and in
``metadata`` its article (id, title, outlet, date, URL), its character offsets in the article
text, and its retrieval score and ranks. Only ``langchain_core`` is imported (no chat model)::

    from assistant.langchain_retriever import AssistantRetriever
    from assistant.service import Assistant

    retriever = AssistantRetriever(assistant=Assistant(), k=4, sources=("DEA News",))
    docs = retriever.invoke("What does Russia require before talks?")
    print(docs[0].metadata["title"], docs[0].metadata["start"], docs[0].page_content)
"""

from __future__ import annotations

from datetime import date
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from assistant.service import Assistant
from assistant.types import Passage


def passage_document(p: Passage, rank: int) -> Document:
    """A passage as a Document (text, article metadata, offsets, score)."""
    meta: dict[str, Any] = {
        "article_id": p.ref.article_id,
        "title": p.ref.title,
        "source": p.ref.source,
        "published": p.ref.published.isoformat() if p.ref.published else None,
        "url": p.ref.url,
        "chunk_id": p.chunk.id,
        "start": p.chunk.start,
        "end": p.chunk.end,
        "rank": rank,
        "score": p.score,
        "dense_rank": p.dense_rank,
        "lexical_rank": p.lexical_rank,
        "also_in": [r.article_id for r in p.duplicates],
    }
    return Document(page_content=p.chunk.text, metadata=meta, id=p.chunk.id)


class AssistantRetriever(BaseRetriever):
    """Dense + BM25 retrieval over the assistant's store, fused and de-duplicated.

    Date phrases in the query ("since Monday", "in June 2022") narrow it as they do for
    ``assistant ask``; ``sources``, ``since``, ``until`` and ``as_of`` are fixed filters.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    assistant: Assistant
    k: int = 5
    sources: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None
    as_of: date | None = None

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        passages = self.assistant.search(
            query, self.as_of, self.since, self.until, self.sources, self.k
        )
        return [passage_document(p, i) for i, p in enumerate(passages, 1)]
