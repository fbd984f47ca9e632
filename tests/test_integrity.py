"""Supply chain: the bundled weights are the official ones; exported ONNX files are unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant import integrity
from assistant.embed import SentenceEmbedder, bundled_model_path
from assistant.errors import EmbeddingError


def test_bundled_weights_have_the_official_sha256(tmp_path: Path) -> None:
    digest = integrity.verify_bundled(bundled_model_path(), tmp_path)
    assert digest == "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
    memo = json.loads((tmp_path / "verified.json").read_text())
    [entry] = memo.values()
    assert entry["sha256"] == digest and entry["stamp"][0] == 90868376


def fake_model(tmp_path: Path, content: bytes) -> Path:
    d = tmp_path / "model"
    d.mkdir(exist_ok=True)
    (d / "model.safetensors").write_bytes(content)
    return d


def test_changed_weights_are_refused_even_after_a_verified_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    d = fake_model(tmp_path, b"weights v1")
    monkeypatch.setattr(integrity, "MINILM_SAFETENSORS_SHA256", integrity.sha256_file(
        d / "model.safetensors"))  # fmt: skip
    integrity.verify_bundled(d, tmp_path)  # verified and remembered
    (d / "model.safetensors").write_bytes(b"weights v2")  # same size, new content
    with pytest.raises(EmbeddingError, match=r"model\.safetensors: SHA-256 [0-9a-f]{64} is not the "
                       r"official all-MiniLM-L6-v2 .*refusing to load it"):  # fmt: skip
        integrity.verify_bundled(d, tmp_path)


def test_missing_weights_are_reported(tmp_path: Path) -> None:
    with pytest.raises(EmbeddingError, match="weights are missing; reinstall"):
        integrity.verify_bundled(tmp_path, tmp_path)


def test_embedder_refuses_tampered_bundled_weights(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    d = fake_model(tmp_path, b"not the real weights")
    monkeypatch.setattr("assistant.embed.bundled_model_path", lambda: d)
    embedder = SentenceEmbedder(backend="onnx", cache_dir=tmp_path / "cache")
    with pytest.raises(EmbeddingError, match="is not the official all-MiniLM-L6-v2"):
        embedder.embed(["hello"])
    assert not (tmp_path / "cache" / "models").exists()  # nothing was exported from it


def test_onnx_file_must_match_the_hash_recorded_at_export(tmp_path: Path) -> None:
    f = tmp_path / "model_int8.onnx"
    f.write_bytes(b"onnx graph bytes")
    digest = integrity.verify_recorded(f)  # first load after export records it
    assert (tmp_path / "model_int8.onnx.sha256").read_text().strip() == digest
    assert integrity.verify_recorded(f) == digest
    f.write_bytes(b"onnx graph bytez")
    with pytest.raises(EmbeddingError, match=r"differs from [0-9a-f]{64} recorded when it was "
                       r"exported.*Delete .* to export it again"):  # fmt: skip
        integrity.verify_recorded(f)


def test_the_real_exported_onnx_loads_with_its_record(embedder: SentenceEmbedder) -> None:
    vec = embedder.embed(["The ferry terminal opens in May."])
    assert vec.shape == (1, 384)
    if embedder.backend.startswith("onnx"):
        onnx = embedder.model.session._model_path  # type: ignore[attr-defined]
        assert Path(f"{onnx}.sha256").read_text().strip() == integrity.sha256_file(Path(onnx))
