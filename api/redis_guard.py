"""Redis calls that degrade instead of failing the request.

Redis holds the nice-to-haves of a search (cache, analytics) and the state of auth.
When it is down, a search must still answer; paying a connection timeout on every
request would make it answer slowly, so after a failure Redis is skipped for a
short while before being tried again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

import redis

log = logging.getLogger(__name__)
T = TypeVar("T")

RETRY_AFTER_S = 5.0
CONNECT_TIMEOUT_S = 0.25
SOCKET_TIMEOUT_S = 0.5


def connect(url: str) -> redis.Redis:
    """A client with short timeouts: Redis is local or near, and a slow Redis must not stall search."""
    return redis.Redis.from_url(
        url, socket_connect_timeout=CONNECT_TIMEOUT_S, socket_timeout=SOCKET_TIMEOUT_S
    )


class RedisGuard:
    """Wraps a client; ``call`` returns ``default`` (and remembers the outage) on failure."""

    def __init__(self, client: redis.Redis, on_error: Callable[[str], None] | None = None) -> None:
        self.client = client
        self._on_error = on_error
        self._down_until = 0.0
        self._lock = threading.Lock()

    @property
    def down(self) -> bool:
        """Whether Redis failed recently (and is being skipped)."""
        return time.monotonic() < self._down_until

    def ping(self) -> bool:
        """Check now, ignoring the back-off; clears it on success."""
        try:
            self.client.ping()
        except redis.RedisError:
            self._mark_down("ping")
            return False
        with self._lock:
            self._down_until = 0.0
        return True

    def call(self, operation: str, fn: Callable[[redis.Redis], T], default: T) -> T:
        """Run ``fn(client)``; on a Redis failure (or during back-off) return ``default``."""
        if self.down:
            return default
        try:
            return fn(self.client)
        except redis.RedisError as e:
            log.warning("redis %s failed, degrading: %s", operation, e)
            self._mark_down(operation)
            return default

    def _mark_down(self, operation: str) -> None:
        with self._lock:
            self._down_until = time.monotonic() + RETRY_AFTER_S
        if self._on_error:
            self._on_error(operation)
