"""What a failing store means for its user: a stopped Chroma server, a full or read-only
disk, a file size limit, each as a :class:`StoreError` naming the store, the cause and the fix.

Chroma's own messages do not say why a write failed ("Error in compaction: Failed to apply
logs to the metadata segment" is what a full disk looks like), so the data directory's file
system is asked instead.
"""

from __future__ import annotations

import os
import resource
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

from assistant.errors import StoreError

LOW_SPACE = 64 * 1024 * 1024  # a store failing with less free space than this ran out of it


class Failing(Protocol):
    """What :class:`Guarded` needs of its store."""

    def failure(self, e: Exception, doing: str = ...) -> StoreError:
        """The error to raise for ``e``."""
        ...


class Guarded:
    """A Chroma collection whose failures are StoreErrors that say what happened and what to
    do, never a traceback; reconnecting is Chroma's (its next request opens a new connection)."""

    def __init__(self, col: Any, store: Failing) -> None:
        self._col, self._store = col, store

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._col, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return attr(*args, **kwargs)
            except (TypeError, ValueError, StoreError):
                raise  # a bug or a bad argument, not the store failing
            except Exception as e:
                raise self._store.failure(e) from e

        return call


def store_failure(
    e: Exception, where: str, url: str | None, data_dir: Path, doing: str = "cannot use"
) -> StoreError:
    """``e`` (raised by Chroma) as a StoreError naming the store, the cause and the fix."""
    cause = f"{type(e).__name__}: {e}".strip().rstrip(":")
    if url:
        port = urlparse(url).port or 8000
        return StoreError(
            f"{doing} the Chroma store at {where} ({cause}): is the server running? start it "
            f"again with `chroma run --path DIR --port {port}`; the assistant reconnects by "
            "itself, and an interrupted ingest completes when run again"
        )
    problem = disk_problem(data_dir)
    if problem:
        return StoreError(
            f"{doing} the Chroma store at {where}: {problem} ({cause}). The stored articles "
            "are kept, and an interrupted ingest completes when run again"
        )
    return StoreError(
        f"{doing} the Chroma store at {where} ({cause}): check that the data directory is "
        "writable, has room and is not used by another version"
    )


def disk_problem(data_dir: Path) -> str | None:
    """Why writes under ``data_dir`` fail, if the file system says: read-only, not writable,
    full, or a file size limit (``ulimit -f``) on this process."""
    folder = Path(data_dir).absolute()
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        st = os.statvfs(folder)
    except OSError:
        return None
    if st.f_flag & os.ST_RDONLY:
        return (
            f"the data directory {data_dir} is on a read-only file system: make it writable "
            "(e.g. `mount -o remount,rw`) or set ASSISTANT_DATA_DIR to a writable directory"
        )
    if not os.access(folder, os.W_OK):
        return (
            f"the data directory {data_dir} is not writable by this user: fix its permissions "
            "or set ASSISTANT_DATA_DIR to a writable directory"
        )
    free = st.f_bavail * st.f_frsize
    if free < LOW_SPACE:
        return (
            f"no space left on the disk holding the data directory {data_dir} ({free // 1024} "
            "KB free): free some space, or set ASSISTANT_DATA_DIR to a disk with room, and "
            "run the command again"
        )
    limit = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
    if limit != resource.RLIM_INFINITY:
        return (
            f"files in the data directory {data_dir} may not grow beyond {limit // 1024} KB "
            "(this process's file size limit, `ulimit -f`): raise the limit and run the "
            "command again"
        )
    return None
