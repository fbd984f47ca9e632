"""Uploads from the web chat and the API: checked names, types and sizes, then one ingest.

Files are saved under ``<data_dir>/uploads/<random>/<safe name>`` and never outside it; both
front ends (:mod:`assistant.api`, :mod:`assistant.web`) use the same :class:`Uploads` desk.
"""

from __future__ import annotations

import re
import shutil
import threading
import unicodedata
import uuid
from collections.abc import Sequence
from pathlib import Path

from assistant.errors import IngestError
from assistant.ingest import IngestReport, ProgressFn
from assistant.service import Assistant
from assistant.sources import SUFFIXES

#: File names an upload may have: the reader's own list.
ALLOWED_SUFFIXES = SUFFIXES
MAX_FILES = 20


class UploadRejected(IngestError):
    """An upload was refused before ingest (too large, wrong type, no usable name)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def safe_filename(name: str) -> str:
    """The last path component of ``name``, reduced to ``[A-Za-z0-9._-]`` (no traversal)."""
    base = unicodedata.normalize("NFKC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", base).strip("._-")
    base = re.sub(r"\.{2,}", ".", base)
    if not base or base.lower() in ALLOWED_SUFFIXES:
        raise UploadRejected(f"{name!r} is not a usable file name", 400)
    return base[-120:]


def check_upload(name: str, size: int, limit_bytes: int) -> str:
    """Validate one uploaded file; return the name to save it under."""
    safe = safe_filename(name)
    if not safe.lower().endswith(ALLOWED_SUFFIXES):
        raise UploadRejected(
            f"{safe}: this file type is not accepted; upload one of " + " ".join(ALLOWED_SUFFIXES),
            415,
        )
    if size > limit_bytes:
        raise UploadRejected(
            f"{safe}: {size / 1e6:.1f} MB is over the {limit_bytes / 1e6:.1f} MB upload limit "
            "(ASSISTANT_UPLOAD_MAX_MB)",
            413,
        )
    return safe  # an empty file is the reader's to report, beside the files that read


def check_urls(urls: Sequence[str]) -> list[str]:
    """Keep http(s) URLs; refuse anything else with a message."""
    out = []
    for u in urls:
        u = (u or "").strip()
        if not u:
            continue
        if not re.match(r"^https?://[^\s/]+", u):
            raise UploadRejected(f"{u[:200]!r} is not an http(s) URL", 400)
        out.append(u)
    return out


class Uploads:
    """Stages uploaded files under ``<data_dir>/uploads`` and ingests them, one ingest at a time.

    Uploaded files are kept (each upload in its own folder) because the store records where an
    article came from: ``assistant ingest --prune`` drops articles whose file is gone.
    """

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.root = Path(assistant.settings.data_dir) / "uploads"
        self.limit_bytes = int(assistant.settings.upload_max_mb * 1024 * 1024)
        self._lock = threading.Lock()

    def new_folder(self) -> Path:
        """A fresh folder for one upload."""
        folder = (self.root / uuid.uuid4().hex[:12]).resolve()
        folder.mkdir(parents=True, exist_ok=False)
        return folder

    def target(self, folder: Path, safe: str) -> Path:
        """Where a checked file name lands in ``folder`` (never outside it)."""
        path = (folder / safe).resolve()
        if path.parent != folder:
            raise UploadRejected(f"{safe!r} is not a usable file name", 400)
        return path

    def stage_paths(self, files: Sequence[tuple[str, Path]]) -> list[Path]:
        """Copy already-received files (name as the client sent it, local path) into a folder."""
        if len(files) > MAX_FILES:
            raise UploadRejected(f"at most {MAX_FILES} files per upload", 400)
        checked = [(check_upload(n, p.stat().st_size, self.limit_bytes), p) for n, p in files]
        self.check_total(sum(p.stat().st_size for _, p in files))
        folder = self.new_folder() if checked else None
        out = []
        for safe, src in checked:
            assert folder is not None
            dest = self.target(folder, safe)
            shutil.copyfile(src, dest)
            out.append(dest)
        return out

    def check_total(self, total: int) -> None:
        """Refuse an upload whose files add up to more than the limit."""
        if total > self.limit_bytes:
            raise UploadRejected(
                f"the upload is {total / 1e6:.1f} MB in all; the limit is "
                f"{self.limit_bytes / 1e6:.1f} MB (ASSISTANT_UPLOAD_MAX_MB)",
                413,
            )

    def scrub(self, text: str) -> str:
        """``text`` with the server-side upload folders removed (only file names remain)."""
        return re.sub(re.escape(str(self.root.resolve())) + r"/[0-9a-f]{12}/", "", text)

    def public(self, report: IngestReport) -> dict[str, object]:
        """``report.to_json()`` without server paths, for clients."""
        data = report.to_json()
        data["failures"] = [
            {"origin": self.scrub(f.origin), "reason": self.scrub(f.reason)}
            for f in report.failures
        ]
        return data

    def ingest(
        self, paths: Sequence[Path], urls: Sequence[str] = (), progress: ProgressFn | None = None
    ) -> IngestReport:
        """Ingest staged files and URLs; the new articles are searchable on return."""
        targets = [str(p) for p in paths] + check_urls(urls)
        if not targets:
            raise UploadRejected("nothing to add: choose a file or give a URL", 400)
        with self._lock:
            return self.assistant.ingest(targets, progress=progress)
