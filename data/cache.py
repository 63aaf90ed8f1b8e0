"""Query results cached on disk, shared by every process on the machine, keyed by data version.

Keys always include the data version (the newest arrival id), so a cached answer is never
older than the newest order; the time limit only bounds how long unused entries linger.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import diskcache

from data.db import after_fork

T = TypeVar("T")
DEFAULT_TTL_SECONDS = 600


class ResultCache:
    """`get_or_compute(key, compute)`: a shared, size-bounded cache of query results."""

    def __init__(self, directory: Path, ttl: float = DEFAULT_TTL_SECONDS,
                 size_limit: int = 512 * 1024 * 1024):
        self.ttl = ttl
        self._directory, self._size_limit = str(directory), size_limit
        self._cache = self._open()
        # A forked background job gets its own connections: SQLite's locks do not survive a
        # fork, and an inherited handle can wait forever (seen: a job stuck in Cache.get).
        after_fork(self, ResultCache._reopen)

    def _open(self) -> diskcache.Cache:
        return diskcache.Cache(self._directory, size_limit=self._size_limit,
                               eviction_policy="least-recently-used")

    def _reopen(self) -> None:
        self._cache = self._open()

    def get_or_compute(self, key: str, compute: Callable[[], T], ttl: float | None = None) -> T:
        missing = object()
        value = self._cache.get(key, default=missing, retry=True)
        if value is not missing:
            return value
        value = compute()
        self._cache.set(key, value, expire=self.ttl if ttl is None else ttl, retry=True)
        return value

    def set_flag(self, key: str, ttl: float = 3600) -> None:
        """Raise a flag other processes can see (for example: "cancel this export")."""
        self._cache.set(f"flag:{key}", True, expire=ttl, retry=True)

    def has_flag(self, key: str) -> bool:
        return bool(self._cache.get(f"flag:{key}", default=False, retry=True))

    def clear(self) -> None:
        self._cache.clear(retry=True)

    def close(self) -> None:
        self._cache.close()
