"""Redis writes a request does not need to wait for, gathered and sent in one pipeline.

Analytics counts and embedding-cache fills are written after the fact: each was a Redis
round trip inside a search (a tenth of a cached search's time, and one more wait for
Python's lock on the way back). Items are kept in the process and written by a timer
thread within ``flush_s``, or at once when ``max_items`` are waiting. A process that dies
loses at most the last ``flush_s`` of them; with Redis down they are dropped, as the
writes they replace would have been.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

import redis

from api.redis_guard import RedisGuard

T = TypeVar("T")
log = logging.getLogger(__name__)


class DeferredWrites(Generic[T]):
    """``add(item)`` now; ``write(client, items)`` runs later, in one call per batch."""

    def __init__(
        self, guard: RedisGuard, operation: str, write: Callable[[redis.Redis, Sequence[T]], None],
        flush_s: float = 0.5, max_items: int = 500,
    ) -> None:
        self.guard = guard
        self.operation = operation
        self.flush_s = flush_s
        self.max_items = max_items
        self._write = write
        self._items: list[T] = []
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None

    def add(self, item: T) -> None:
        with self._lock:
            self._items.append(item)
            full = len(self._items) >= self.max_items
            if not full and self._timer is None:
                self._timer = threading.Timer(self.flush_s, self._flush_later)
                self._timer.daemon = True
                self._timer.start()
        if full:
            self.flush()

    def _flush_later(self) -> None:
        # On the timer's thread nobody can catch what escapes: a client closed under it (at
        # shutdown, or by a test tearing down) raises from inside redis-py, not a RedisError.
        try:
            self.flush()
        except Exception as e:
            log.warning("deferred %s writes dropped: %s", self.operation, e)

    def flush(self) -> None:
        """Write what is waiting (readers call this first, to see their own writes)."""
        with self._lock:
            items, self._items = self._items, []
            timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()
        if items:
            self.guard.call(self.operation, lambda r: self._write(r, items), None)
