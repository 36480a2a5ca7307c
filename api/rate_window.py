"""A fixed-window rate limit that costs one Redis round trip per request instead of three.

flask-limiter's fixed window counts a hit with an INCR script, then reads the window back
with GET and TTL to write the X-RateLimit-Remaining / -Reset headers after the response.
Here the script returns the count and the TTL together and the header step reuses them, so
a request makes one rate-limit call to Redis instead of three (tests/api/test_limits.py
counts them); every call saved is also one fewer wait for Python's lock when a serving
thread returns from a socket.

With Redis unreachable flask-limiter falls back to in-memory storage; this class then
behaves exactly as the stock fixed window.
"""

from __future__ import annotations

import threading
import time

from limits import RateLimitItem
from limits.storage import RedisStorage, Storage
from limits.strategies import STRATEGIES, FixedWindowRateLimiter
from limits.util import WindowStats

NAME = "vitrine-fixed-window"

# KEYS[1] the window's key; ARGV[1] its length in seconds, ARGV[2] the cost of this hit.
INCR_AND_TTL = """
local current = redis.call("incrby", KEYS[1], ARGV[2])
if tonumber(current) == tonumber(ARGV[2]) then
    redis.call("expire", KEYS[1], ARGV[1])
end
return {current, redis.call("ttl", KEYS[1])}
"""

# The header step follows its hit within the same request and thread; a remembered window
# older than this belongs to some earlier request and is read from the storage instead.
MEMO_S = 1.0


class OneTripFixedWindow(FixedWindowRateLimiter):
    """``limits``' fixed window whose ``hit`` also remembers the window (per thread) for the
    ``get_window_stats`` call that flask-limiter makes for the response headers."""

    def __init__(self, storage: Storage) -> None:
        super().__init__(storage)
        self._script = (storage.get_connection().register_script(INCR_AND_TTL.encode())
                        if isinstance(storage, RedisStorage) else None)
        self._memo = threading.local()

    def hit(self, item: RateLimitItem, *identifiers: str, cost: int = 1) -> bool:
        if self._script is None:
            return super().hit(item, *identifiers, cost=cost)
        key = item.key_for(*identifiers)
        storage: RedisStorage = self.storage  # type: ignore[assignment]
        count, ttl = self._script([storage.prefixed_key(key)], [item.get_expiry(), cost])
        now = time.time()
        self._memo.window = (key, now, WindowStats(now + max(int(ttl), 0), max(0, item.amount - int(count))))
        return int(count) <= item.amount

    def get_window_stats(self, item: RateLimitItem, *identifiers: str) -> WindowStats:
        memo = getattr(self._memo, "window", None)
        self._memo.window = None  # one use: the next request counts again
        if memo is not None and memo[0] == item.key_for(*identifiers) and time.time() - memo[1] < MEMO_S:
            return memo[2]
        return super().get_window_stats(item, *identifiers)


# flask-limiter looks strategies up by name in this table (its `strategy` setting).
STRATEGIES[NAME] = OneTripFixedWindow
