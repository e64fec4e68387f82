"""Key-value cache: Redis in production, an in-process TTL map by default.

Values are JSON documents, so what the page reads is what the CLI or a worker
wrote, whichever process computed it.
"""

from __future__ import annotations

import json
import threading
import time
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import redis

SWEEP_SECONDS = 60.0


class Cache(Protocol):
    backend: str

    def get(self, key: str) -> Any | None: ...

    def set(self, key: str, value: Any, ttl_seconds: int) -> None: ...

    def add(self, key: str, value: Any, ttl_seconds: int) -> bool:
        """Set `key` only if it holds nothing; True when this call set it (a lease taken)."""
        ...

    def delete(self, key: str) -> None: ...

    def incr(self, key: str) -> int: ...

    def ping(self) -> None: ...

    def info(self) -> dict[str, Any]: ...


class MemoryCache:
    """Per-process cache; fine for one Streamlit server with in-process jobs."""

    backend = "memory"

    def __init__(self) -> None:
        self._items: dict[str, tuple[float | None, str]] = {}
        self._lock = threading.Lock()
        self._next_sweep = time.monotonic() + SWEEP_SECONDS

    def _sweep(self, now: float) -> None:
        """Drop expired keys nobody reads again (called with the lock held, at most once a minute)."""
        if now < self._next_sweep:
            return
        self._next_sweep = now + SWEEP_SECONDS
        for key in [
            key
            for key, (expires_at, _) in self._items.items()
            if expires_at is not None and expires_at <= now
        ]:
            del self._items[key]

    def get(self, key: str) -> Any | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            expires_at, payload = item
            if expires_at is not None and expires_at <= time.monotonic():
                del self._items[key]
                return None
        return json.loads(payload)

    def set(self, key: str, value: Any, ttl_seconds: int) -> None:
        expires_at = time.monotonic() + ttl_seconds if ttl_seconds > 0 else None
        payload = json.dumps(value)
        with self._lock:
            self._sweep(time.monotonic())
            self._items[key] = (expires_at, payload)

    def add(self, key: str, value: Any, ttl_seconds: int) -> bool:
        now = time.monotonic()
        with self._lock:
            held = self._items.get(key)
            if held is not None and (held[0] is None or held[0] > now):
                return False
            self._items[key] = (now + ttl_seconds if ttl_seconds > 0 else None, json.dumps(value))
            return True

    def delete(self, key: str) -> None:
        with self._lock:
            self._items.pop(key, None)

    def incr(self, key: str) -> int:
        with self._lock:
            expires_at, payload = self._items.get(key, (None, "0"))
            value = int(json.loads(payload)) + 1
            self._items[key] = (expires_at, json.dumps(value))
        return value

    def ping(self) -> None:
        return None

    def info(self) -> dict[str, Any]:
        """What the health page shows of it: how many keys it holds."""
        with self._lock:
            return {"keys": len(self._items)}


class RedisCache:
    backend = "redis"

    def __init__(self, client: redis.Redis, prefix: str = "superinsight:") -> None:
        self._client = client
        self._prefix = prefix

    def get(self, key: str) -> Any | None:
        payload = self._client.get(self._prefix + key)
        return None if payload is None else json.loads(payload)

    def set(self, key: str, value: Any, ttl_seconds: int) -> None:
        self._client.set(self._prefix + key, json.dumps(value), ex=ttl_seconds if ttl_seconds > 0 else None)

    def add(self, key: str, value: Any, ttl_seconds: int) -> bool:
        ex = ttl_seconds if ttl_seconds > 0 else None
        return bool(self._client.set(self._prefix + key, json.dumps(value), ex=ex, nx=True))

    def delete(self, key: str) -> None:
        self._client.delete(self._prefix + key)

    def incr(self, key: str) -> int:
        return int(self._client.incr(self._prefix + key))

    def ping(self) -> None:
        self._client.ping()

    def info(self) -> dict[str, Any]:
        """Redis's own INFO (version, memory, evictions...), for the health page."""
        return dict(self._client.info())
