"""Shopper profiles and analytics cannot grow Redis without bound (issue 20, item 4)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import redis
from flask import Flask
from flask.testing import FlaskClient

from api import analytics
from api.analytics import MAX_DAY_QUERIES, SearchEvent

DAY_S = 24 * 3600


def _shopper_keys(r: redis.Redis) -> list[bytes]:
    return list(r.scan_iter("vitrine:shopper:*"))


def test_requests_without_a_cookie_leave_no_profile(app: Flask, redis_client: redis.Redis) -> None:
    for i in range(30):
        fresh = app.test_client()  # a script: never sends the cookie back
        assert fresh.post("/api/v1/shopper/search", json={"text": f"shirt {i}", "k": 1}).status_code == 200
        assert fresh.get("/api/v1/shopper").status_code == 200
    assert _shopper_keys(redis_client) == []


def test_anonymous_profiles_expire_and_are_renewed_by_use(
    make_app: Callable[..., Flask], redis_client: redis.Redis, catalog_entries: list[Any]
) -> None:
    client = make_app().test_client()
    product = str(catalog_entries[0].product.id)
    assert client.put(f"/api/v1/shopper/favorites/{product}").status_code in (200, 201)
    (fav,) = _shopper_keys(redis_client)
    assert 90 * DAY_S - 60 < redis_client.ttl(fav) <= 90 * DAY_S  # the default: 90 days
    redis_client.expire(fav, 60)  # some weeks later...
    assert client.post("/api/v1/shopper/search", json={"text": "shirt", "k": 1}).status_code == 200
    keys = _shopper_keys(redis_client)
    assert len(keys) == 2  # favourites and now the history
    assert all(90 * DAY_S - 60 < redis_client.ttl(k) <= 90 * DAY_S for k in keys)  # renewed by use


def test_storefront_profiles_are_kept(
    client: FlaskClient, token: Callable[..., dict[str, Any]], redis_client: redis.Redis,
    catalog_entries: list[Any],
) -> None:
    headers = {"Authorization": f"Bearer {token('search')['access_token']}", "X-Vitrine-Shopper": "u-1"}
    product = str(catalog_entries[0].product.id)
    assert client.put(f"/api/v1/shopper/favorites/{product}", headers=headers).status_code in (200, 201)
    (fav,) = _shopper_keys(redis_client)
    assert redis_client.ttl(fav) == -1


def test_a_flood_of_unique_queries_keeps_a_days_set_bounded(redis_client: redis.Redis) -> None:
    now = time.time()
    events = [SearchEvent(query=f"unique query {i}", results=0, timings={}, at=now)
              for i in range(MAX_DAY_QUERIES + 500)]
    analytics._write(redis_client, events)
    for kind in ("top", "zero"):
        (key,) = list(redis_client.scan_iter(f"vitrine:an:{kind}:*"))
        assert redis_client.zcard(key) == MAX_DAY_QUERIES


def test_the_embedding_cache_can_live_in_a_redis_of_its_own(
    make_app: Callable[..., Flask], redis_client: redis.Redis, redis_server: Any
) -> None:
    from api_test_helpers import settle

    cache_db = redis.Redis.from_url(redis_server.url(11))
    cache_db.flushdb()
    try:
        app = make_app(cache_redis_url=redis_server.url(11))
        assert app.test_client().post("/api/v1/search", json={"text": "blue jeans"}).status_code == 200
        settle(app)
        assert len(list(cache_db.scan_iter("vitrine:emb:*"))) == 1
        assert list(redis_client.scan_iter("vitrine:emb:*")) == []  # the main Redis keeps none
    finally:
        cache_db.flushdb()
        cache_db.close()
