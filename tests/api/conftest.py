"""Fixtures for the API tests: an app over the shared indexed store, a database of the
session's own redis-server flushed around every test, and helpers for clients and tokens."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from api_test_helpers import SECRET, settle
from flask import Flask
from flask.testing import FlaskClient

from api.app import create_app
from api.clients import create_client
from encoder import Encoder
from indexer import EdgeStore, Settings
from settings.api import ApiSettings
from tests.conftest import RedisServer


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    return redis_server.url(15)


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    """Database 15 of the session's redis-server, empty at the start and the end of each test."""
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def api_settings(redis_url: str) -> ApiSettings:
    return ApiSettings(redis_url=redis_url, jwt_secret=SECRET)


@pytest.fixture
def make_app(
    encoder: Encoder, indexed_store: EdgeStore, redis_client: redis.Redis, api_settings: ApiSettings
) -> Iterator[Callable[..., Flask]]:
    """Build an app over the shared store; keyword arguments override ApiSettings fields."""

    built: list[Flask] = []

    def build(redis: redis.Redis | None = None, **overrides: Any) -> Flask:
        settings = ApiSettings(**{**api_settings.__dict__, **overrides})
        app = create_app(Settings(data_dir=indexed_store.data_dir), api_settings=settings, encoder=encoder,
                         store=indexed_store,
                         redis=redis or redis_client)
        app.testing = True
        built.append(app)
        return app

    yield build
    for app in built:
        settle(app)


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def new_client(redis_client: redis.Redis) -> Callable[..., tuple[str, str]]:
    """Register a storefront client with the given scopes; returns (id, secret)."""
    return lambda *scopes: create_client(redis_client, tuple(scopes) or ("search",))


@pytest.fixture
def token(client: FlaskClient, new_client: Callable[..., tuple[str, str]]) -> Callable[..., dict[str, Any]]:
    """A token pair for a new client with the given scopes."""

    def get(*scopes: str) -> dict[str, Any]:
        client_id, secret = new_client(*scopes)
        response = client.post("/api/v1/auth/token", json={"client_id": client_id, "client_secret": secret})
        assert response.status_code == 200, response.json
        return response.json  # type: ignore[return-value]

    return get

