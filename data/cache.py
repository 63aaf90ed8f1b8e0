"""Query results cached for reuse, keyed by data version: on disk (diskcache, shared by every
process on the machine) or, when scaled out, in Redis (shared by every web node and worker).

Keys always include the data version (the newest arrival id), so a cached answer is never
older than the newest order; the time limit only bounds how long unused entries linger.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import pickle
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import diskcache
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from data.db import after_fork

T = TypeVar("T")
DEFAULT_TTL_SECONDS = 600
FLAG_TTL_SECONDS = 3600
_MISSING = object()
log = logging.getLogger(__name__)


class CacheUnavailable(RuntimeError):
    """The shared cache cannot be reached, so what needs it (a cancel flag) cannot be done."""


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
        value = self._load(key)
        if value is not _MISSING:
            return value
        value = compute()
        self._store(key, value, self.ttl if ttl is None else ttl)
        return value

    def _load(self, key: str) -> Any:
        return self._cache.get(key, default=_MISSING, retry=True)

    def _store(self, key: str, value: Any, ttl: float) -> None:
        self._cache.set(key, value, expire=ttl, retry=True)

    def set_flag(self, key: str, ttl: float = FLAG_TTL_SECONDS) -> None:
        """Raise a flag other processes can see (for example: "cancel this export")."""
        self._cache.set(f"flag:{key}", True, expire=ttl, retry=True)

    def has_flag(self, key: str) -> bool:
        return bool(self._cache.get(f"flag:{key}", default=False, retry=True))

    def clear(self) -> None:
        self._cache.clear(retry=True)

    def close(self) -> None:
        self._cache.close()


class RedisResultCache(ResultCache):
    """The same cache in Redis, shared by every web node and Celery worker of one deployment.

    Keys live under `pulseboard:<namespace>:`, so deployments sharing one Redis never see each
    other's entries, and every key expires, so Redis bounded by `maxmemory` with the
    `volatile-lru` policy evicts the least used (not `allkeys-lru`: this Redis is also Celery's
    broker, whose queued jobs do not expire and must not be evicted). Values are pickled and
    signed with the secret key; one that fails the check counts as a miss, so whoever can write
    to Redis cannot make this process unpickle their bytes.

    Redis being down never fails a page: lookups compute without the cache (one warning per
    `warn_every` seconds), and Redis is tried again after `retry_after` seconds, so caching
    resumes by itself. Only `set_flag` raises `CacheUnavailable`: a flag it cannot raise
    (cancelling an export) must not look raised.
    """

    def __init__(self, url: str, namespace: str, secret: str, ttl: float = DEFAULT_TTL_SECONDS,
                 timeout: float = 0.5, retry_after: float = 5.0, warn_every: float = 60.0):
        self.ttl = ttl
        self._prefix = f"pulseboard:{namespace}:"
        self._signing_key = hashlib.sha256(f"result-cache:{secret}".encode()).digest()
        self._retry_after, self._warn_every = retry_after, warn_every
        self._down_until, self._warned_at = 0.0, float("-inf")  # _down_until: 0 while reachable
        # Short timeouts and no retries: a page waits at most `timeout` for a Redis that is
        # gone or frozen (redis-py's default retries with backoff for seconds).
        self._client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout,
                                            retry=Retry(NoBackoff(), 0))
        # A forked job must not share its parent's sockets (redis-py also checks the pid).
        after_fork(self, RedisResultCache._forget_connections)

    def _forget_connections(self) -> None:
        self._client.connection_pool.reset()

    def _load(self, key: str) -> Any:
        if time.monotonic() < self._down_until:
            return _MISSING
        try:
            stored = self._client.get(self._prefix + key)
        except redis.RedisError as error:
            self._went_down(error)
            return _MISSING
        self._came_back()
        return _MISSING if stored is None else self._unpack(stored)

    def _store(self, key: str, value: Any, ttl: float) -> None:
        if time.monotonic() < self._down_until:
            return
        try:
            self._client.set(self._prefix + key, self._pack(value), px=max(1, int(ttl * 1000)))
        except redis.RedisError as error:
            self._went_down(error)

    def set_flag(self, key: str, ttl: float = FLAG_TTL_SECONDS) -> None:
        """Raise a flag other processes can see; raises `CacheUnavailable` if Redis is down."""
        try:
            self._client.set(f"{self._prefix}flag:{key}", b"1", px=max(1, int(ttl * 1000)))
        except redis.RedisError as error:
            self._went_down(error)
            raise CacheUnavailable(
                "Pulseboard's shared store (Redis) cannot be reached, so this cannot be cancelled "
                "now. Try again in a moment."
            ) from error
        self._came_back()

    def has_flag(self, key: str) -> bool:
        """Whether the flag is up; False while Redis is down (the job carries on)."""
        try:
            return bool(self._client.exists(f"{self._prefix}flag:{key}"))
        except redis.RedisError as error:
            self._went_down(error)
            return False

    def clear(self) -> None:
        """Delete this deployment's entries and flags, and nobody else's."""
        try:
            names = list(self._client.scan_iter(match=f"{self._prefix}*", count=500))
            for start in range(0, len(names), 500):
                self._client.unlink(*names[start:start + 500])
        except redis.RedisError as error:
            raise CacheUnavailable("The result cache (Redis) cannot be reached.") from error

    def close(self) -> None:
        self._client.close()

    def _pack(self, value: Any) -> bytes:
        payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        return hmac.digest(self._signing_key, payload, "sha256") + payload

    def _unpack(self, stored: bytes) -> Any:
        signature, payload = stored[:32], stored[32:]
        if not hmac.compare_digest(signature, hmac.digest(self._signing_key, payload, "sha256")):
            return _MISSING  # written under another secret key, or not by Pulseboard
        return pickle.loads(payload)  # noqa: S301 (signed above with this deployment's key)

    def _went_down(self, error: redis.RedisError) -> None:
        now = time.monotonic()
        self._down_until = now + self._retry_after
        if now - self._warned_at >= self._warn_every:
            self._warned_at = now
            log.warning("Redis result cache unreachable (%s): computing without it, retrying every %g s",
                        error, self._retry_after)

    def _came_back(self) -> None:
        if self._down_until:
            self._down_until = 0.0
            log.warning("Redis result cache reachable again: caching resumed")
