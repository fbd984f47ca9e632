from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.embed import SentenceEmbedder, bundled_model_path
from assistant.errors import StoreError

TEXTS = [
    "Short one.",
    "The harbor authority met on Tuesday to discuss weeks of shipping delays, new cranes and a "
    "strike by dockworkers that the mayor said had cost the city millions.",
    "Medium length text about elections in June.",
]


def test_bundled_model_is_local() -> None:
    path = bundled_model_path()
    assert (path / "model.safetensors").exists() and (path / "tokenizer.json").exists()


@pytest.fixture(scope="module")
def torch_vectors() -> np.ndarray:
    return SentenceEmbedder(backend="torch").embed(TEXTS)


def test_torch_vectors_are_unit_length_and_meaningful(torch_vectors: np.ndarray) -> None:
    assert torch_vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(torch_vectors, axis=1), 1.0, atol=1e-5)
    e = SentenceEmbedder(backend="torch")
    q = e.embed(["port strike and shipping delays"])[0]
    assert int(np.argmax(torch_vectors @ q)) == 1


@pytest.mark.parametrize(("backend", "floor"), [("onnx", 0.9999), ("onnx-int8", 0.97)])
def test_onnx_backends_match_torch(backend: str, floor: float, torch_vectors: np.ndarray) -> None:
    vecs = SentenceEmbedder(backend=backend).embed(TEXTS)
    cos = (vecs * torch_vectors).sum(axis=1)
    assert cos.min() >= floor, cos


def test_bad_backend_is_refused_at_construction() -> None:
    with pytest.raises(ValueError, match="backend must be one of torch, onnx, onnx-int8"):
        SentenceEmbedder(backend="cuda")


def test_store_refuses_another_embedding(tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    from assistant.service import Assistant
    from tests.conftest import CORPUS, make_settings

    a = Assistant(make_settings(tmp_path), embedder=embedder)
    a.ingest([str(CORPUS)])
    other = Assistant(make_settings(tmp_path, embedding_backend="torch"))
    with pytest.raises(StoreError, match=r"was embedded with all-MiniLM-L6-v2 \(onnx-int8\)"):
        other.store.counts()
