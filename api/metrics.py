"""Prometheus metrics, one registry per app (so test apps never share counters).

Under gunicorn each worker keeps its own counts; scrape every worker or run one.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

__all__ = ["CONTENT_TYPE_LATEST", "Metrics"]


class Metrics:
    """The API's counters and histograms."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "vitrine_http_requests", "HTTP requests answered",
            ["endpoint", "method", "status"], registry=self.registry,
        )
        self.latency = Histogram(
            "vitrine_http_request_seconds", "Time to answer a request",
            ["endpoint"], buckets=LATENCY_BUCKETS, registry=self.registry,
        )
        self.stages = Histogram(
            "vitrine_search_stage_seconds", "Time per search stage (fetch, encode, candidates, "
            "rerank, facets)", ["stage"], buckets=LATENCY_BUCKETS, registry=self.registry,
        )
        self.cache = Counter(
            "vitrine_embedding_cache", "Query-embedding cache lookups",
            ["kind", "result"], registry=self.registry,
        )
        self.rate_limited = Counter(
            "vitrine_rate_limited", "Requests refused with 429", ["endpoint"], registry=self.registry,
        )
        self.redis_errors = Counter(
            "vitrine_redis_errors", "Redis operations that failed (the API degraded instead)",
            ["operation"], registry=self.registry,
        )

    def observe_timings(self, timings: dict[str, float]) -> None:
        """Record a search's ``*_ms`` stage timings (total is the request histogram's job)."""
        for name, ms in timings.items():
            if name.endswith("_ms") and name != "total_ms":
                self.stages.labels(stage=name[:-3]).observe(ms / 1000)

    def render(self) -> bytes:
        return generate_latest(self.registry)
