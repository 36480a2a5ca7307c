"""Each client's own rate limit (``vitrine clients create/update --rate-limit``), read from
Redis at most every ``TTL_S`` seconds per process so that a limited request costs no extra
round trip, and the server's default when the client has none or Redis cannot say."""

from __future__ import annotations

import threading
import time

import redis
from flask import current_app

from api.clients import client_rate_limit

# A changed limit reaches every server process within this many seconds.
TTL_S = 30.0
EXTENSION = "vitrine_client_limits"


class ClientLimits:
    """Per-process cache of client id -> own limit ("" = none)."""

    def __init__(self, ttl_s: float = TTL_S) -> None:
        self.ttl_s = ttl_s
        self._lock = threading.Lock()
        self._known: dict[str, tuple[float, str]] = {}

    def limit(self, r: redis.Redis, client_id: str, default: str) -> str:
        now = time.monotonic()
        with self._lock:
            cached = self._known.get(client_id)
        if cached is None or now - cached[0] > self.ttl_s:
            try:
                own = client_rate_limit(r, client_id)
            except redis.RedisError:
                # Redis down: keep what was known, else the default (limits are in memory then too).
                return cached[1] or default if cached else default
            cached = (now, own)
            with self._lock:
                self._known[client_id] = cached
        return cached[1] or default


def client_limits() -> ClientLimits:
    """This app's cache (one per app, so apps in one process never share clients)."""
    found: ClientLimits = current_app.extensions.setdefault(EXTENSION, ClientLimits())
    return found
