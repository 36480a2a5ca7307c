"""Search analytics in Redis: searches per minute, top and zero-result queries, stage latencies.

Every write goes through RedisGuard, in one pipeline per search: with Redis down the
search answers as usual and the numbers simply miss those searches. Unlike the
Prometheus counters (per process), these are shared by every API process.

Keys:
    vitrine:an:spm:{epoch minute}    searches that minute (expires after two days)
    vitrine:an:top:{yyyymmdd}        zset normalised query text -> searches that day
    vitrine:an:zero:{yyyymmdd}       zset query text -> searches with no result that day
    vitrine:an:lat:{stage}           list of the last LATENCY_SAMPLES times (ms), newest first
    vitrine:an:total                 hash: searches, zero (since the start)
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import redis

from api.redis_guard import RedisGuard

PREFIX = "vitrine:an:"
MINUTE_TTL_S = 2 * 24 * 3600
DAY_TTL_S = 35 * 24 * 3600
LATENCY_SAMPLES = 1000
MAX_QUERY = 100
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
    """Records searches and reads the dashboard's numbers back."""

    def __init__(self, guard: RedisGuard) -> None:
        self.guard = guard

    def record(self, event: SearchEvent) -> None:
        """Count one search; never raises on a Redis failure."""

        def write(r: redis.Redis) -> None:
            minute = int(event.at // 60)
            day = _day(event.at)
            pipe = r.pipeline(transaction=False)
            pipe.incr(f"{PREFIX}spm:{minute}")
            pipe.expire(f"{PREFIX}spm:{minute}", MINUTE_TTL_S)
            pipe.hincrby(f"{PREFIX}total", "searches", 1)
            if event.query:
                pipe.zincrby(f"{PREFIX}top:{day}", 1, event.query)
                pipe.expire(f"{PREFIX}top:{day}", DAY_TTL_S)
            if event.results == 0:
                pipe.hincrby(f"{PREFIX}total", "zero", 1)
                if event.query:
                    pipe.zincrby(f"{PREFIX}zero:{day}", 1, event.query)
                    pipe.expire(f"{PREFIX}zero:{day}", DAY_TTL_S)
            for name, ms in event.timings.items():
                if name.endswith("_ms"):
                    key = f"{PREFIX}lat:{name[:-3]}"
                    pipe.lpush(key, round(float(ms), 3))
                    pipe.ltrim(key, 0, LATENCY_SAMPLES - 1)
            pipe.execute()

        self.guard.call("analytics", write, None)

    def per_minute(self, minutes: int = 60, now: float | None = None) -> list[dict[str, Any]]:
        """Searches in each of the last ``minutes`` minutes, oldest first (this minute last)."""
        current = int((now or time.time()) // 60)
        span = list(range(current - minutes + 1, current + 1))
        counts = self.guard.call(
            "analytics", lambda r: r.mget([f"{PREFIX}spm:{m}" for m in span]), [None] * len(span))
        return [{"minute": m * 60, "searches": int(c or 0)} for m, c in zip(span, counts, strict=True)]

    def _ranked(self, kind: str, days: int, limit: int, now: float) -> list[dict[str, Any]]:
        keys = [f"{PREFIX}{kind}:{_day(now - d * 86400)}" for d in range(days)]

        def read(r: redis.Redis) -> list[tuple[bytes, float]]:
            if days == 1:
                return r.zrevrange(keys[0], 0, limit - 1, withscores=True)  # type: ignore[no-any-return]
            tmp = f"{PREFIX}tmp:{kind}:{time.time_ns()}"
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

        def read(r: redis.Redis) -> list[list[bytes]]:
            pipe = r.pipeline(transaction=False)
            for name in names:
                pipe.lrange(f"{PREFIX}lat:{name}", 0, LATENCY_SAMPLES - 1)
            return pipe.execute()  # type: ignore[no-any-return]

        rows = self.guard.call("analytics", read, [[] for _ in names])
        out: dict[str, dict[str, float | int | None]] = {}
        for name, raw in zip(names, rows, strict=True):
            values = [float(v) for v in raw]
            out[name] = {"p50": percentile(values, 50), "p95": percentile(values, 95), "samples": len(values)}
        return out

    def totals(self) -> dict[str, int]:
        raw = self.guard.call("analytics", lambda r: r.hgetall(f"{PREFIX}total"), {})
        return {"searches": int(raw.get(b"searches", 0)), "zero_results": int(raw.get(b"zero", 0))}


STAGES = ("fetch", "encode", "candidates", "rerank", "taste", "facets", "total")
