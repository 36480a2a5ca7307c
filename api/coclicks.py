"""Co-click counts from the shoppers' click histories in Redis (``vitrine:shopper:{sid}:clicks``,
api/shopper.py), rebuilt at most every ``refresh_s`` and shared by the requests of a process.

The histories are read with SCAN, which is fine for a demo's thousands of shoppers; a shop with
millions would feed ``CoClicks.add_session`` from click events as they come (the merchandising
events stream) instead of re-reading every history.
"""

from __future__ import annotations

import threading
import time

import redis

from api.redis_guard import RedisGuard
from api.shopper import PREFIX
from indexer.search.coclick import CoClicks

SCAN_BATCH = 500


def read_sessions(r: redis.Redis) -> list[list[tuple[str, float]]]:
    """Every shopper's clicks as (product id, clicked at)."""
    keys = list(r.scan_iter(match=f"{PREFIX}*:clicks", count=SCAN_BATCH))
    pipe = r.pipeline(transaction=False)
    for key in keys:
        pipe.zrange(key, 0, -1, withscores=True)
    return [[(p.decode(), float(at)) for p, at in rows] for rows in pipe.execute()]


class CoClickCache:
    def __init__(self, guard: RedisGuard, refresh_s: float = 60.0) -> None:
        self.guard = guard
        self.refresh_s = refresh_s
        self._built: CoClicks | None = None
        self._at = 0.0
        self._lock = threading.Lock()

    def get(self) -> CoClicks:
        """The counts (empty without Redis: the page falls back to similar items)."""
        with self._lock:
            if self._built is not None and time.monotonic() - self._at < self.refresh_s:
                return self._built
            none: list[list[tuple[str, float]]] = []
            sessions = self.guard.call("coclicks", read_sessions, none)
            self._built, self._at = CoClicks().add_sessions(sessions), time.monotonic()
            return self._built
