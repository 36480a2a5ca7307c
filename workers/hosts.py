"""Image hosts seen by the workers: a circuit breaker and a concurrency cap per host.

A feed behind a dead CDN names thousands of images on one host. Without a breaker every
product waits out the fetch timeout, every retry again, and the queue stalls behind them.
After ``threshold`` host-level failures in a row (no answer, refused, does not resolve, 5xx)
the host is marked down in Redis, for every worker, for ``cooldown_s``: its products then fail
at once with "image host H is down, will retry at T", and the feed's next sync (or the job's
retry) tries again. A 404 is the product's own problem and does not count against the host.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlsplit

import redis
from rq.timeouts import BaseTimeoutException

from errors import VitrineError

FAILS = "host-fails:"
DOWN = "host-down:"
THRESHOLD = 3  # host-level failures in a row before the host is skipped
COOLDOWN_S = 60  # how long a down host is skipped
MAX_PER_HOST = 4  # concurrent fetches from one host in one process


class HostDown(VitrineError):
    """The image's host failed repeatedly and is skipped until the time given."""


def host_level(error: Exception) -> bool:
    """Whether a fetch error says the host is unwell rather than this one image: anything but
    a 4xx answer (the image is missing or refused) or an unsafe URL."""
    text = str(error)
    if "answered HTTP 4" in text or "image_url must" in text or "not a valid URL" in text:
        return False
    return "non-public address" not in text and "larger than" not in text


class HostGuard:
    """Wraps a fetcher with the per-host breaker (shared through Redis) and cap (per process)."""

    def __init__(
        self, connection: redis.Redis, key_prefix: str, *, threshold: int = THRESHOLD,
        cooldown_s: float = COOLDOWN_S, max_per_host: int = MAX_PER_HOST,
    ) -> None:
        self.redis = connection
        self.ns = key_prefix
        self.threshold = threshold
        self.cooldown_s = cooldown_s
        self.max_per_host = max_per_host
        self._slots: dict[str, threading.BoundedSemaphore] = {}
        self._lock = threading.Lock()

    def down_until(self, host: str) -> float | None:
        value = self.redis.get(self.ns + DOWN + host)
        until = float(value) if value else None
        return until if until is not None and until > time.time() else None

    def _slot(self, host: str) -> threading.BoundedSemaphore:
        with self._lock:
            if host not in self._slots:
                self._slots[host] = threading.BoundedSemaphore(self.max_per_host)
            return self._slots[host]

    def fetch(self, url: str, fetch: Callable[[str], bytes]) -> bytes:
        """``fetch(url)`` unless its host is down.

        Raises:
            HostDown: the host is being skipped.
            Whatever ``fetch`` raises; a job timeout passes through untouched.
        """
        host = _host(url)
        until = self.down_until(host)
        if until is not None:
            raise HostDown(f"image host {host} is down, will retry at {_clock(until)}")
        with self._slot(host):
            try:
                data = fetch(url)
            except BaseTimeoutException:
                raise  # the job's own deadline, not this host's fault
            except Exception as e:
                if host_level(e):
                    self._failed(host)
                raise
        self.redis.delete(self.ns + FAILS + host)
        return data

    def _failed(self, host: str) -> None:
        key = self.ns + FAILS + host
        pipe = self.redis.pipeline()
        pipe.incr(key)
        pipe.expire(key, int(self.cooldown_s * 10))
        count = int(pipe.execute()[0])
        if count >= self.threshold:
            until = time.time() + self.cooldown_s
            self.redis.set(self.ns + DOWN + host, str(until), ex=max(1, int(self.cooldown_s) + 1))
            self.redis.delete(key)


def _host(url: str) -> str:
    """``host`` or ``host:port`` (a non-default port is another server)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    try:
        return f"{host}:{parts.port}" if parts.port else host
    except ValueError:  # a malformed port: the fetcher reports it
        return host


def _clock(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%H:%M:%S UTC")
