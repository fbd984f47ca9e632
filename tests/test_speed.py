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
        got = store._chunk_col.get(include=["embeddings", "documents", "metadatas"])
        stored[workers] = {
            cid: (doc, meta["article_id"], np.asarray(vec))
            for cid, doc, meta, vec in zip(
                got["ids"], got["documents"], got["metadatas"], got["embeddings"], strict=True
            )
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
