"""Fixtures for the command-line tests: the API served over HTTP from this process for a copy
of the indexed store, announced in its data directory the way `vitrine serve` does."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from api.app import create_app
from cli import served
from encoder import Encoder
from indexer import EdgeStore, Settings
from settings.api import ApiSettings
from tests.conftest import RedisServer

DB = 9


@pytest.fixture
def serving(encoder: Encoder, indexed_data_dir: Path, tmp_path: Path,
            redis_server: RedisServer) -> Iterator[tuple[Path, dict[str, str], str]]:
    """The API over a copy of the indexed store, served over HTTP from this process and
    announced in its data directory as `vitrine serve` does; yields (data dir, CLI env, URL)."""
    from werkzeug.serving import make_server

    data_dir = tmp_path / "data"
    shutil.copytree(indexed_data_dir, data_dir)
    store = EdgeStore(data_dir)
    connection = redis.Redis.from_url(redis_server.url(DB))
    api = ApiSettings(redis_url=redis_server.url(DB), jwt_secret="served-test-" + "x" * 40)
    app = create_app(Settings(data_dir=data_dir), api_settings=api, encoder=encoder, store=store,
                     redis=connection)
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    announced = served.announce(Settings(data_dir=data_dir), "0.0.0.0", httpd.server_port)
    env = {"VITRINE_DATA_DIR": str(data_dir), "VITRINE_REDIS_URL": redis_server.url(DB)}
    try:
        yield data_dir, env, f"http://127.0.0.1:{httpd.server_port}"
    finally:
        served.withdraw(announced)
        httpd.shutdown()
        thread.join(timeout=10)
        store.close()
        connection.flushdb()
        connection.close()
