"""The LangChain retriever: real Documents, and a real LCEL chain with the local fake LLM."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnablePassthrough

from assistant.errors import QuestionError
from assistant.langchain_retriever import AssistantRetriever
from tests.fake_llm import KEY, QUESTION, Reply, user_message


def test_documents_carry_the_article_and_offsets(seeded) -> None:  # type: ignore[no-untyped-def]
    docs = AssistantRetriever(assistant=seeded, k=3).invoke(QUESTION)
    passages = seeded.search(QUESTION, top=3)
    assert [d.page_content for d in docs] == [p.chunk.text for p in passages]
    text = seeded.article(docs[0].metadata["article_id"]).text
    for rank, d in enumerate(docs, 1):
        m = d.metadata
        assert text[m["start"] : m["end"]] == d.page_content
        assert (m["rank"], m["source"], m["url"], d.id) == (rank, "DEA News", "", m["chunk_id"])
        assert m["title"] == seeded.sources()[0].ref.title
    assert "credible path to peace" in docs[0].page_content


def test_filters_apply(seeded) -> None:  # type: ignore[no-untyped-def]
    assert AssistantRetriever(assistant=seeded, sources=("CNN",)).invoke(QUESTION) == []
    undated = AssistantRetriever(assistant=seeded, since=date(2022, 1, 1)).invoke(QUESTION)
    assert undated == []  # the seed article has no date
    with pytest.raises(QuestionError, match="the question is empty"):
        AssistantRetriever(assistant=seeded).invoke("  ")


def test_in_an_lcel_chain_with_a_chat_model(seeded, fake) -> None:  # type: ignore[no-untyped-def]
    from langchain_openai import ChatOpenAI

    fake.script = lambda body: Reply("Guarantees and verification, per source 1.")
    retriever = AssistantRetriever(assistant=seeded, k=2)

    def context(docs: list[Any]) -> str:
        return "\n\n".join(
            f"[{d.metadata['rank']}] {d.metadata['title']} "
            f"(chars {d.metadata['start']}-{d.metadata['end']}): {d.page_content}"
            for d in docs
        )

    prompt = ChatPromptTemplate.from_messages(
        [("system", "Answer from the context only."), ("user", "{context}\n\nQuestion: {question}")]
    )
    model = ChatOpenAI(model="fake-gpt", base_url=f"{fake.url}/v1", api_key=KEY, max_retries=0)
    chain = (
        {"context": retriever | context, "question": RunnablePassthrough()}
        | prompt
        | model
        | StrOutputParser()
    )
    assert chain.invoke(QUESTION) == "Guarantees and verification, per source 1."
    (req,) = fake.requests
    sent = user_message(req["body"])
    top = retriever.invoke(QUESTION)[0]
    assert sent.startswith(
        f"[1] {top.metadata['title']} (chars {top.metadata['start']}-{top.metadata['end']}): "
        f"{top.page_content}"
    )
    assert sent.endswith(f"Question: {QUESTION}")
