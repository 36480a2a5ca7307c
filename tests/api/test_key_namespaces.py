"""Two instances (collections) on one Redis keep their embedding cache, analytics, shopper
profiles and rate limits apart (issue 20); VITRINE_REDIS_PREFIX overrides the prefix, and
API clients stay shared on purpose."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from api_test_helpers import SECRET, settle
from flask import Flask

from api.app import create_app
from api.clients import create_client
from encoder import Encoder
from indexer import EdgeStore, Settings
from settings.api import ApiSettings


@pytest.fixture
def build(
    encoder: Encoder, indexed_store: EdgeStore, redis_client: redis.Redis, redis_url: str,
) -> Iterator[Callable[..., Flask]]:
    built: list[Flask] = []

    def make(collection: str = "products", **api: Any) -> Flask:
        app = create_app(
            Settings(collection=collection, data_dir=indexed_store.data_dir), encoder=encoder,
            store=indexed_store, redis=redis_client,
            api_settings=ApiSettings(redis_url=redis_url, jwt_secret=SECRET, **api))
        app.testing = True
        built.append(app)
        return app

    yield make
    for app in built:
        settle(app)


def _keys(r: redis.Redis, pattern: str) -> set[str]:
    return {k.decode() for k in r.scan_iter(pattern)}


def test_two_collections_on_one_redis_share_no_cache_analytics_profiles_or_limits(
    build: Callable[..., Flask], redis_client: redis.Redis, catalog_entries: list[Any],
) -> None:
    shop, summer = build(), build("summer")
    a, b = shop.test_client(), summer.test_client()
    for client, text in ((a, "red shirt"), (a, "blue jeans"), (b, "sandals")):
        assert client.post("/api/v1/search", json={"text": text, "k": 2}).status_code == 200
    settle(shop)
    settle(summer)
    # Embedding cache: each instance's own keys, both naming the model.
    summer_cache = _keys(redis_client, "vitrine:summer:emb:*")
    shop_cache = _keys(redis_client, "vitrine:emb:*")
    assert len(summer_cache) == 1 and len(shop_cache) == 2
    # Analytics: each dashboard counts its own searches.
    admin = create_client(redis_client, ("admin", "search"), "ops")
    for app, searches in ((shop, 2), (summer, 1)):
        client = app.test_client()
        token = client.post("/api/v1/auth/token",
                            json={"client_id": admin[0], "client_secret": admin[1]}).json
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        totals = client.get("/api/v1/admin/stats", headers=headers).json
        assert totals["totals"]["searches"] == searches, totals
    # Shopper profiles: a favourite in one collection is not one in the other, same cookie.
    product = str(catalog_entries[0].product.id)
    assert a.put(f"/api/v1/shopper/favorites/{product}").status_code in (200, 201)
    cookie = a.get_cookie("vitrine_shopper")
    assert cookie is not None
    b.set_cookie("vitrine_shopper", cookie.value)
    assert [f["id"] for f in a.get("/api/v1/shopper/favorites").json["favorites"]] == [product]
    assert b.get("/api/v1/shopper/favorites").json["favorites"] == []
    assert _keys(redis_client, "vitrine:shopper:*") and not _keys(redis_client, "vitrine:summer:shopper:*")
    # Rate limits: counted under each instance's prefix.
    assert any("vitrine-rl" in k for k in _keys(redis_client, "*"))
    assert any("vitrine:summer-rl" in k for k in _keys(redis_client, "*"))


def test_the_prefix_can_be_set(build: Callable[..., Flask], redis_client: redis.Redis) -> None:
    app = build("summer", redis_prefix="eu-shop:")
    assert app.test_client().post("/api/v1/search", json={"text": "scarf", "k": 1}).status_code == 200
    settle(app)
    assert len(_keys(redis_client, "eu-shop:emb:*")) == 1
    assert _keys(redis_client, "eu-shop:an:*")
    assert not _keys(redis_client, "vitrine:summer:*")


def test_clients_are_shared_by_every_instance(build: Callable[..., Flask], redis_client: redis.Redis) -> None:
    client_id, secret = create_client(redis_client, ("search",), "storefront")
    for app in (build(), build("summer")):
        got = app.test_client().post("/api/v1/auth/token",
                                     json={"client_id": client_id, "client_secret": secret})
        assert got.status_code == 200
