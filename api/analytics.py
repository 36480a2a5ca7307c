"""Search analytics in Redis: searches per minute, top and zero-result queries, stage latencies.

Searches are written in batches after the fact (``api.deferred``, within FLUSH_S seconds,
and before the dashboard reads), not one pipeline per search. Writes go through
RedisGuard: with Redis down the search answers as usual and the numbers simply miss those
searches. Unlike the Prometheus counters (per process), these are shared by every API
process.

Keys (``vitrine:`` is the instance's prefix, ApiSettings.redis_prefix):
    vitrine:an:spm:{epoch minute}    searches that minute (expires after two days)
    vitrine:an:top:{yyyymmdd}        zset normalised query text -> searches that day
    vitrine:an:zero:{yyyymmdd}       zset query text -> searches with no result that day
    vitrine:an:lat:{stage}           list of the last LATENCY_SAMPLES times (ms), newest first
    vitrine:an:total                 hash: searches, zero (since the start)
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import redis
from flask import g

from api.deferred import DeferredWrites
from api.redis_guard import RedisGuard

PREFIX = "vitrine:an:"  # the default instance's; see Analytics(key_prefix=)
MINUTE_TTL_S = 2 * 24 * 3600
DAY_TTL_S = 35 * 24 * 3600
LATENCY_SAMPLES = 1000
# Distinct queries kept per day and list (top, zero results): the most searched; a flood of
# unique queries would otherwise grow a day's set without bound.
MAX_DAY_QUERIES = 10_000
MAX_QUERY = 100
FLUSH_S = 0.5
IMAGE_QUERY = "[image]"
"""How a search by photo alone shows in the top queries."""


def normalise_query(text: str | None, has_image: bool) -> str:
    """Lower-case, single-spaced, capped; photo searches are marked."""
    words = " ".join((text or "").casefold().split())[:MAX_QUERY]
    if has_image:
        return f"{words} {IMAGE_QUERY}".strip()
    return words


def _day(at: float) -> str:
    return time.strftime("%Y%m%d", time.gmtime(at))


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100) of ``values``; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class SearchEvent:
    """What analytics keeps of one search."""

    query: str
    results: int
    timings: Mapping[str, float]
    at: float


class Analytics:
    """Records searches and reads the dashboard's numbers back; one per app, thread-safe."""

    def __init__(self, guard: RedisGuard, flush_s: float = FLUSH_S, key_prefix: str = "vitrine:") -> None:
        """``key_prefix``: the instance's Redis prefix (ApiSettings.redis_prefix); its keys are
        ``{key_prefix}an:...``."""
        self.guard = guard
        self.prefix = f"{key_prefix}an:"
        prefix = self.prefix
        self._pending: DeferredWrites[SearchEvent] = DeferredWrites(
            guard, "analytics", lambda r, events: _write(r, events, prefix), flush_s)

    def record(self, event: SearchEvent) -> None:
        """Count one search (written within ``flush_s``); never raises on a Redis failure."""
        self._pending.add(event)

    def flush(self) -> None:
        """Write the searches recorded so far."""
        self._pending.flush()

    def per_minute(self, minutes: int = 60, now: float | None = None) -> list[dict[str, Any]]:
        """Searches in each of the last ``minutes`` minutes, oldest first (this minute last)."""
        self.flush()
        current = int((now or time.time()) // 60)
        span = list(range(current - minutes + 1, current + 1))
        counts = self.guard.call(
            "analytics", lambda r: r.mget([f"{self.prefix}spm:{m}" for m in span]), [None] * len(span))
        return [{"minute": m * 60, "searches": int(c or 0)} for m, c in zip(span, counts, strict=True)]

    def _ranked(self, kind: str, days: int, limit: int, now: float) -> list[dict[str, Any]]:
        self.flush()
        keys = [f"{self.prefix}{kind}:{_day(now - d * 86400)}" for d in range(days)]

        def read(r: redis.Redis) -> list[tuple[bytes, float]]:
            if days == 1:
                return r.zrevrange(keys[0], 0, limit - 1, withscores=True)  # type: ignore[no-any-return]
            tmp = f"{self.prefix}tmp:{kind}:{time.time_ns()}"
            pipe = r.pipeline()
            pipe.zunionstore(tmp, keys)
            pipe.zrevrange(tmp, 0, limit - 1, withscores=True)
            pipe.delete(tmp)
            return pipe.execute()[1]  # type: ignore[no-any-return]

        rows = self.guard.call("analytics", read, [])
        return [{"query": q.decode(), "searches": int(n)} for q, n in rows]

    def top_queries(self, limit: int = 10, days: int = 7, now: float | None = None) -> list[dict[str, Any]]:
        return self._ranked("top", days, limit, now or time.time())

    def zero_result_queries(
        self, limit: int = 10, days: int = 7, now: float | None = None
    ) -> list[dict[str, Any]]:
        return self._ranked("zero", days, limit, now or time.time())

    def latency(self, stages: Iterable[str]) -> dict[str, dict[str, float | int | None]]:
        """p50 and p95 (ms) over the last LATENCY_SAMPLES searches, per stage."""
        names = list(stages)
        self.flush()

        def read(r: redis.Redis) -> list[list[bytes]]:
            pipe = r.pipeline(transaction=False)
            for name in names:
                pipe.lrange(f"{self.prefix}lat:{name}", 0, LATENCY_SAMPLES - 1)
            return pipe.execute()  # type: ignore[no-any-return]

        rows = self.guard.call("analytics", read, [[] for _ in names])
        out: dict[str, dict[str, float | int | None]] = {}
        for name, raw in zip(names, rows, strict=True):
            values = [float(v) for v in raw]
            out[name] = {"p50": percentile(values, 50), "p95": percentile(values, 95), "samples": len(values)}
        return out

    def totals(self) -> dict[str, int]:
        self.flush()
        raw = self.guard.call("analytics", lambda r: r.hgetall(f"{self.prefix}total"), {})
        return {"searches": int(raw.get(b"searches", 0)), "zero_results": int(raw.get(b"zero", 0))}


def note_search(text: str | None, has_image: bool, offset: int, results: int,
                timings: Mapping[str, float]) -> None:
    """Called by a search view: the search to count once the response is sent (first pages
    only; later pages are the same search)."""
    if offset == 0:
        g.vitrine_search_event = SearchEvent(query=normalise_query(text, has_image), results=results,
                                             timings=dict(timings), at=time.time())


def _write(r: redis.Redis, events: Sequence[SearchEvent], prefix: str = PREFIX) -> None:
    """Many searches' counts as one pipeline: sums per key, latency samples pushed together."""
    per_minute = Counter(int(e.at // 60) for e in events)
    top: dict[str, Counter[str]] = {}
    zero: dict[str, Counter[str]] = {}
    latencies: dict[str, list[float]] = {}
    for e in events:
        day = _day(e.at)
        if e.query:
            top.setdefault(day, Counter())[e.query] += 1
            if e.results == 0:
                zero.setdefault(day, Counter())[e.query] += 1
        for name, ms in e.timings.items():
            if name.endswith("_ms"):
                latencies.setdefault(name[:-3], []).append(round(float(ms), 3))
    pipe = r.pipeline(transaction=False)
    for minute, n in per_minute.items():
        pipe.incrby(f"{prefix}spm:{minute}", n)
        pipe.expire(f"{prefix}spm:{minute}", MINUTE_TTL_S)
    pipe.hincrby(f"{prefix}total", "searches", len(events))
    zeros = sum(1 for e in events if e.results == 0)
    if zeros:
        pipe.hincrby(f"{prefix}total", "zero", zeros)
    for kind, per_day in (("top", top), ("zero", zero)):
        for day, counts in per_day.items():
            for query, n in counts.items():
                pipe.zincrby(f"{prefix}{kind}:{day}", n, query)
            pipe.zremrangebyrank(f"{prefix}{kind}:{day}", 0, -MAX_DAY_QUERIES - 1)
            pipe.expire(f"{prefix}{kind}:{day}", DAY_TTL_S)
    for stage, values in latencies.items():
        key = f"{prefix}lat:{stage}"
        pipe.lpush(key, *values)
        pipe.ltrim(key, 0, LATENCY_SAMPLES - 1)
    pipe.execute()


STAGES = ("fetch", "encode", "candidates", "rerank", "taste", "facets", "total")
