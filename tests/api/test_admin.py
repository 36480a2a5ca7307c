"""Admin stats (search analytics in Redis) and client management."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from api.analytics import Analytics, SearchEvent, percentile
from api.deferred import DeferredWrites
from api.redis_guard import RedisGuard


def _admin(token: Callable[..., dict[str, Any]]) -> dict[str, str]:
    return {"Authorization": f"Bearer {token('admin')['access_token']}"}


def test_stats_need_the_admin_scope(client: FlaskClient, token: Callable[..., dict[str, Any]]) -> None:
    assert client.get("/api/v1/admin/stats").status_code == 401
    search_only = {"Authorization": f"Bearer {token('search')['access_token']}"}
    assert client.get("/api/v1/admin/stats", headers=search_only).status_code == 403


def test_searches_are_counted(client: FlaskClient, token: Callable[..., dict[str, Any]]) -> None:
    for text in ("Red Dress", "red  dress", "black watch"):
        assert client.post("/api/v1/search", json={"text": text, "k": 3}).status_code == 200
    client.post("/api/v1/search", json={"text": "red dress", "k": 3, "offset": 3})  # a next page
    client.post("/api/v1/shopper/search", json={"text": "sandals", "k": 3})
    nothing = {"text": "shirt",
               "filters": {"gender": "Men", "colour": "Pink", "season": "Winter", "year": 1990}}
    client.post("/api/v1/search", json=nothing)
    client.post("/api/v1/search", json={"text": ""})  # a 400 is no search
    stats = client.get("/api/v1/admin/stats", headers=_admin(token)).json
    assert stats["searches_last_hour"] == 5
    assert stats["searches_per_minute"][-1]["searches"] == 5 and len(stats["searches_per_minute"]) == 60
    assert stats["top_queries"][0] == {"query": "red dress", "searches": 2}
    assert {"query": "sandals", "searches": 1} in stats["top_queries"]
    assert stats["zero_result_queries"] == [{"query": "shirt", "searches": 1}]
    assert stats["totals"] == {"searches": 5, "zero_results": 1}
    lat = stats["latency_ms"]
    assert lat["encode"]["samples"] == 5 and lat["encode"]["p50"] <= lat["encode"]["p95"]
    assert lat["total"]["p95"] is not None
    assert stats["cache"]["hits"] >= 1 and 0 < stats["cache"]["hit_ratio"] < 1
    assert stats["index"]["points"] > 0 and stats["index"]["model"] == stats["index"]["serving_model"]
    assert set(stats["queue"]) == {"queued", "started", "failed"}


def test_search_survives_redis_down(make_app: Callable[..., Flask]) -> None:
    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.05, socket_timeout=0.05)
    client = make_app(redis=dead).test_client()
    assert client.post("/api/v1/search", json={"text": "shirt", "k": 3}).status_code == 200
    analytics = Analytics(RedisGuard(dead))
    analytics.record(SearchEvent("x", 1, {}, 0.0))  # swallowed
    assert analytics.top_queries() == []


def test_searches_are_written_in_batches_without_a_read(redis_client: redis.Redis) -> None:
    analytics = Analytics(RedisGuard(redis_client), flush_s=0.2)
    for i in range(30):
        analytics.record(SearchEvent("blue jeans" if i % 3 else "", 0 if i == 1 else 4,
                                     {"encode_ms": 2.0, "total_ms": 9.5}, 1_800_000_000.0 + i))
    assert redis_client.hget("vitrine:an:total", "searches") is None  # still in the process
    deadline = time.monotonic() + 5
    while redis_client.hget("vitrine:an:total", "searches") is None:
        assert time.monotonic() < deadline, "the buffered searches were never written"
        time.sleep(0.05)
    assert analytics.totals() == {"searches": 30, "zero_results": 1}
    assert analytics.top_queries(now=1_800_000_000.0, days=1) == [{"query": "blue jeans", "searches": 20}]
    assert analytics.zero_result_queries(now=1_800_000_000.0, days=1) == [
        {"query": "blue jeans", "searches": 1}]
    assert analytics.latency(["encode", "total"])["total"] == {"p50": 9.5, "p95": 9.5, "samples": 30}


def test_deferred_writes_flush_when_full_and_drop_quietly_without_redis(redis_client: redis.Redis) -> None:
    def write(r: redis.Redis, items: Sequence[int]) -> None:
        r.rpush("deferred-test", *items)

    pending: DeferredWrites[int] = DeferredWrites(RedisGuard(redis_client), "test", write,
                                                  flush_s=60, max_items=3)
    pending.add(1)
    pending.add(2)
    assert redis_client.lrange("deferred-test", 0, -1) == []
    pending.add(3)  # full: written now, not in a minute
    assert redis_client.lrange("deferred-test", 0, -1) == [b"1", b"2", b"3"]
    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.05, socket_timeout=0.05)
    lost: DeferredWrites[int] = DeferredWrites(RedisGuard(dead), "test", write, flush_s=60, max_items=2)
    lost.add(1)
    lost.add(2)  # the write fails inside the guard; the caller never sees it
    lost.flush()


def test_a_timed_flush_that_fails_outside_redis_errors_does_not_kill_its_thread(
    redis_client: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    written: list[int] = []

    def write(r: redis.Redis, items: Sequence[int]) -> None:
        if not written:
            written.append(-1)
            raise AttributeError("'NoneType' object has no attribute 'readline'")  # a client closed under it
        written.extend(items)

    pending: DeferredWrites[int] = DeferredWrites(RedisGuard(redis_client), "test", write, flush_s=0.01)
    pending.add(1)
    deadline = time.monotonic() + 5
    while pending._timer is not None and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.05)  # an exception escaping the timer's thread would fail this test (pytest reports it)
    assert "deferred test writes dropped" in caplog.text
    pending.add(2)
    pending.flush()
    assert written == [-1, 2]  # later writes go on


def test_client_management(client: FlaskClient, token: Callable[..., dict[str, Any]]) -> None:
    headers = _admin(token)
    made = client.post("/api/v1/admin/clients", json={"scopes": ["search"], "name": "shop"}, headers=headers)
    assert made.status_code == 201 and made.headers["Cache-Control"] == "no-store"
    new_id, secret = made.json["client_id"], made.json["client_secret"]
    pair = client.post("/api/v1/auth/token", json={"client_id": new_id, "client_secret": secret})
    assert pair.status_code == 200
    listed = client.get("/api/v1/admin/clients", headers=headers).json["clients"]
    assert {"client_id": new_id, "scopes": "search", "name": "shop"}.items() <= next(
        c for c in listed if c["client_id"] == new_id).items()
    assert all("secret" not in key for c in listed for key in c)
    assert client.post("/api/v1/admin/clients", json={"scopes": ["root"]}, headers=headers).status_code == 400
    assert client.delete(f"/api/v1/admin/clients/{new_id}", headers=headers).status_code == 200
    assert client.delete(f"/api/v1/admin/clients/{new_id}", headers=headers).status_code == 404


def test_percentile() -> None:
    assert percentile([], 50) is None
    assert percentile([5.0, 1.0, 3.0, 2.0, 4.0], 50) == 3.0
    assert percentile([float(i) for i in range(1, 101)], 95) == 95.0
