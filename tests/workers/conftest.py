"""Fixtures for the ingestion pipeline: real Redis (the session's own redis-server), Qdrant Edge,
the tiny model."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from encoder import Encoder
from indexer import EdgeStore, Settings
from tests.conftest import RedisServer
from workers import Ingestion, QueueSettings, WorkerContext, build_context, set_context


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    return redis_server.url(14)


@pytest.fixture
def connection(redis_url: str) -> Iterator[redis.Redis]:
    conn = redis.Redis.from_url(redis_url, socket_connect_timeout=2)
    conn.flushdb()
    yield conn
    conn.flushdb()
    conn.close()


@pytest.fixture
def queue_settings(tmp_path: Path, redis_url: str) -> QueueSettings:
    # No waiting between retries in tests; two retries keep failure paths short.
    return QueueSettings(
        redis_url=redis_url, media_dir=tmp_path / "media", retries=2, retry_backoff_s=(0,), batch_size=8
    )


@pytest.fixture
def context(
    tmp_path: Path, encoder: Encoder, connection: redis.Redis, queue_settings: QueueSettings
) -> Iterator[WorkerContext]:
    from indexer.media import FetchPolicy, fetch_image_bytes

    store = EdgeStore(tmp_path / "data")
    # Loopback is refused in production; tests serve images from a local server.
    policy = FetchPolicy(timeout_s=1.0, allowed=lambda address: True)
    ctx = build_context(
        Settings(data_dir=tmp_path / "data"),
        queue_settings,
        encoder=encoder,
        store=store,
        connection=connection,
        fetch=lambda url: fetch_image_bytes(url, policy),
    )
    set_context(ctx)
    yield ctx
    set_context(None)
    store.close()


@pytest.fixture
def ingestion(connection: redis.Redis, queue_settings: QueueSettings) -> Ingestion:
    return Ingestion(connection, queue_settings)


def media_copy(catalog_dir: Path, media_dir: Path, product_id: str) -> str:
    """Copy a catalog photo into the media folder, as an upload would be stored."""
    media_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(catalog_dir / "images" / f"{product_id}.jpg", media_dir / f"{product_id}.jpg")
    return f"{product_id}.jpg"
