"""Noticing a reverse proxy the settings do not know about.

Behind a proxy with VITRINE_TRUSTED_PROXIES=0, every request seems to come from the proxy's
address, so all anonymous callers share one rate-limit bucket. The API cannot tell a proxy
from a client that sends X-Forwarded-For itself, so it only notes, at most once a minute,
that requests carrying the header arrived from an address; ``vitrine doctor`` then says so.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import redis
from flask import Flask, request

from api.redis_guard import RedisGuard

KEY = "vitrine:proxy-seen"
TTL_S = 24 * 3600
EVERY_S = 60.0


def register_proxy_hint(app: Flask, guard: RedisGuard, trusted_proxies: int) -> None:
    """With no trusted proxies, note requests that carry X-Forwarded-For (and from where)."""
    if trusted_proxies:
        return
    last = [0.0]
    lock = threading.Lock()

    @app.before_request
    def _note_proxy() -> Any:
        if "X-Forwarded-For" not in request.headers:
            return None
        now = time.monotonic()
        with lock:
            if now - last[0] < EVERY_S:
                return None
            last[0] = now
        address = request.remote_addr or "unknown"
        guard.call("proxy_hint", lambda r: r.set(KEY, address, ex=TTL_S), None)
        return None


def proxy_seen(client: redis.Redis) -> str | None:
    """The address that requests with X-Forwarded-For came from in the last day, if any."""
    value = client.get(KEY)
    return value.decode() if isinstance(value, bytes) else None
