"""A small thread-safe LRU cache (web and Slack handlers run in threads)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LRU(Generic[K, V]):
    """At most ``maxsize`` entries, the least recently used dropped first.

    Every read and write happens under one lock, so threads may share an instance; a value
    read is never taken away half-way by another thread's eviction or ``clear``.
    """

    def __init__(self, maxsize: int) -> None:
        if maxsize < 1:
            raise ValueError(f"maxsize must be at least 1, not {maxsize}")
        self.maxsize = maxsize
        self._data: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        """The value for ``key`` (now the most recently used), or None."""
        with self._lock:
            if key not in self._data:
                return None
            self._data.move_to_end(key)
            return self._data[key]

    def put(self, key: K, value: V) -> None:
        """Store ``value``, dropping the least recently used entries beyond ``maxsize``."""
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)

    def get_or_set(self, key: K, fn: Callable[[], V]) -> V:
        """The cached value, else ``fn()`` stored and returned.

        ``fn`` runs outside the lock (other keys stay available meanwhile); two threads
        missing the same key at once may both compute it, and the last one stored wins.
        """
        found = self.get(key)
        if found is not None:
            return found
        value = fn()
        self.put(key, value)
        return value

    def split(self, keys: Iterable[K]) -> tuple[dict[K, V], list[K]]:
        """The cached values of ``keys`` (each once) and the keys not cached, in order."""
        found: dict[K, V] = {}
        missing: list[K] = []
        for k in dict.fromkeys(keys):
            v = self.get(k)
            if v is None:
                missing.append(k)
            else:
                found[k] = v
        return found, missing

    def clear(self) -> None:
        """Drop every entry."""
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._data)

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._data
