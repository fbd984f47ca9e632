"""Ingest speed settings: the encoder's device and parallel encoder workers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from assistant.embed import SentenceEmbedder, onnx_providers
from assistant.errors import EmbeddingError
from assistant.ingest import Ingestor
from assistant.service import Assistant, encoder_threads
from assistant.settings import Settings
from assistant.sources import Reader
from assistant.store import ChromaStore
from tests.test_ingest import write_articles


def _has_cuda_provider() -> bool:
    import onnxruntime as ort

    return "CUDAExecutionProvider" in ort.get_available_providers()


def test_unknown_device_and_negative_threads_are_refused_at_construction() -> None:
    with pytest.raises(ValueError, match=r"device must be one of auto, cpu, cuda, mps; got 'gpu'"):
        SentenceEmbedder(device="gpu")
    with pytest.raises(ValueError, match="threads must be 0"):
        SentenceEmbedder(threads=-1)
    with pytest.raises(ValidationError, match="device"):
        Settings(device="tpu")  # type: ignore[arg-type]


def test_device_and_workers_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_DEVICE", "cpu")
    monkeypatch.setenv("ASSISTANT_INGEST_WORKERS", "2")
    s = Settings()
    assert (s.device, s.ingest_workers) == ("cpu", 2)
    a = Assistant(s)
    assert a.embedder.device == "cpu" and a.embedder.threads == encoder_threads(2)
    monkeypatch.setenv("ASSISTANT_INGEST_WORKERS", "0")
    with pytest.raises(ValidationError, match="ingest_workers"):
        Settings()


@pytest.mark.parametrize(
    ("workers", "cores", "threads"), [(1, 2, 0), (2, 2, 1), (2, 8, 4), (3, 2, 1)]
)
def test_encoder_threads_share_the_cores(
    monkeypatch: pytest.MonkeyPatch, workers: int, cores: int, threads: int
) -> None:
    monkeypatch.setattr("os.cpu_count", lambda: cores)
    assert encoder_threads(workers) == threads


def test_mps_on_the_onnx_backend_names_the_fix() -> None:
    with pytest.raises(EmbeddingError, match="ASSISTANT_EMBEDDING_BACKEND=torch"):
        onnx_providers("mps")


@pytest.mark.skipif(_has_cuda_provider(), reason="this machine has a CUDA provider")
def test_without_a_gpu_auto_runs_on_the_cpu_and_cuda_is_an_error(tmp_path: Path) -> None:
    assert onnx_providers("auto") == ["CPUExecutionProvider"]
    assert onnx_providers("cpu") == ["CPUExecutionProvider"]
    with pytest.raises(EmbeddingError, match="install onnxruntime-gpu"):
        onnx_providers("cuda")
    e = SentenceEmbedder(device="cuda", cache_dir=tmp_path / "cache")
    with pytest.raises(EmbeddingError, match="device 'cuda' asked for"):
        e.embed(["a sentence"])
    auto = SentenceEmbedder(threads=1)
    assert auto.embed(["a sentence"]).shape == (1, 384)
    assert auto.resolved_device == "cpu"


def test_parallel_encoder_workers_store_what_one_worker_stores(tmp_path: Path) -> None:
    files = write_articles(tmp_path / "news", 9)
    stored = {}
    for workers in (1, 3):
        embedder = SentenceEmbedder(threads=encoder_threads(workers))
        store = ChromaStore(tmp_path / f"data{workers}", embedding=embedder.name)
        # batches of two articles: five batches spread over the workers
        ing = Ingestor(store, embedder, Reader(), 30, 0, batch_articles=2, workers=workers)
        report = ing.run([str(tmp_path / "news")])
        assert (report.added, report.failed) == (9, 0)
        ids = [a.ref.article_id for a in store.list_articles()]
        stored[workers] = {
            r.id: (r.document, r.metadata["article_id"], np.asarray(r.embedding))
            for r in store.chunk_records(ids)
        }
        assert len({a.ref.article_id for a in store.list_articles()}) == len(files)
    one, three = stored[1], stored[3]
    assert sorted(one) == sorted(three) and len(one) >= 9 * 2
    for cid, (doc, aid, vec) in one.items():
        assert three[cid][:2] == (doc, aid)
        assert float(vec @ three[cid][2]) > 0.9999  # the same vector (thread count aside)


def test_a_failing_encoder_worker_stops_the_ingest_with_its_error(tmp_path: Path) -> None:
    write_articles(tmp_path / "news", 6)

    class Broken:
        name = "broken"
        dimension = 384

        def __init__(self) -> None:
            self.calls = 0

        def embed(self, texts: list[str]) -> np.ndarray:
            self.calls += 1
            if self.calls == 2:
                raise EmbeddingError("the encoder ran out of memory")
            return np.ones((len(texts), 384), np.float32) / np.sqrt(384)

    store = ChromaStore(tmp_path / "data")
    ing = Ingestor(store, Broken(), Reader(), 30, 0, batch_articles=1, workers=2)
    with pytest.raises(EmbeddingError, match="ran out of memory"):
        ing.run([str(tmp_path / "news")])


QUESTION = "What does Russia require before talks?"


def test_sentence_vectors_kept_at_ingest_answer_without_encoding_candidates(
    tmp_path: Path, embedder: SentenceEmbedder
) -> None:
    from tests.conftest import CORPUS

    answers = {}
    encoded: dict[str, list[str]] = {}
    for mode in ("query", "ingest"):
        a = Assistant(Settings(data_dir=tmp_path / mode, sentence_vectors=mode), embedder=embedder)
        assert a.ingest([str(CORPUS)]).added == 1
        calls: list[str] = []
        embed = a.vectors.embed
        a.vectors.embed = lambda texts, embed=embed, calls=calls: (
            calls.extend(texts) or embed(texts)
        )
        answers[mode] = a.ask(QUESTION)
        encoded[mode] = calls
        [article] = a.store.list_articles()
        kept = a.store.span_vectors([article.ref.article_id])
        if mode == "query":
            assert kept == {}
            continue
        text = a.article(article.ref.article_id).text  # type: ignore[union-attr]
        spans = a.sentence_spans(
            a.article(article.ref.article_id),  # type: ignore[arg-type]
            [c for c, _ in a.store.iter_chunks()],
        )
        assert len(kept) == len(spans) > 10
        for start, end, span_text in spans:
            _, vec = kept[(article.ref.article_id, start, end)]
            assert text[start:end] == span_text
            fresh = embedder.embed_cached([span_text])[0]
            assert float(vec @ fresh) > 0.99  # float16, batched with the chunks
    assert encoded["ingest"] == []  # every candidate's vector came from the store
    assert len(encoded["query"]) > 5
    q, i = answers["query"], answers["ingest"]
    assert [(x.text, x.speaker, x.start) for x in q.quotes] == [
        (x.text, x.speaker, x.start) for x in i.quotes
    ]
    assert i.quotes[0].speaker == "Officials from the Russian side"


def test_a_kept_vector_is_never_used_for_other_text(embedder: SentenceEmbedder) -> None:
    from assistant.answer.vectors import SpanVectors, text_hash

    old = embedder.embed(["The harbor reopened on Monday."])[0]
    kept = {("a1", 0, 29): (text_hash("The harbor reopened on Monday."), old)}
    encoded: list[str] = []

    def embed(texts: list[str]) -> np.ndarray:
        encoded.extend(texts)
        return embedder.embed(texts)

    vectors = SpanVectors(embed, stored=lambda ids: {k: v for k, v in kept.items() if k[0] in ids})
    got = vectors.vectors([("a1", 0, 29)], ["The harbor reopened on Monday."])
    assert encoded == [] and np.allclose(got[0], old)
    new = "The harbor stayed closed today."  # the article was replaced under the same id
    fresh = SpanVectors(embed, stored=lambda ids: {k: v for k, v in kept.items() if k[0] in ids})
    got = fresh.vectors([("a1", 0, 29)], [new])
    assert encoded == [new]
    assert float(got[0] @ embedder.embed([new])[0]) > 0.999
