"""`vitrine serve`: the API under a real gunicorn process, over real HTTP."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from api_test_helpers import SECRET, settle

from api.app import create_app
from benchmarks.api_load import descendant_pids
from encoder import Encoder
from indexer import EdgeStore, Settings
from indexer.catalog import CatalogEntry
from indexer.store.host import StoreHost
from indexer.store.remote import RemoteStore
from settings.api import ApiSettings

START_TIMEOUT_S = 90


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _call(url: str, body: dict[str, Any] | None = None) -> tuple[int, dict[str, str], Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as e:
        with e:
            return e.code, dict(e.headers), json.loads(e.read())


@pytest.fixture
def server(
    tiny_model_dir: Path, indexed_data_dir: Path, redis_client: redis.Redis, redis_url: str
) -> Iterator[str]:
    options = ("--workers", "1", "--threads", "4")
    with _serving(redis_url, tiny_model_dir, indexed_data_dir, *options) as (base, _):
        yield base


@contextlib.contextmanager
def _serving(
    redis_url: str, model_dir: Path, data_dir: Path, *options: str, env: dict[str, str] | None = None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = _free_port()
    env = {**os.environ, "VITRINE_MODEL": str(model_dir), "VITRINE_DATA_DIR": str(data_dir),
           "VITRINE_REDIS_URL": redis_url, "VITRINE_JWT_SECRET": SECRET, "VITRINE_DEVICE": "cpu",
           "VITRINE_ANON_RATE_LIMIT": "5/minute", **(env or {})}
    cmd = [sys.executable, "-c", "from cli.main import main; main()", "serve", "--port", str(port), *options]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"vitrine serve exited: {proc.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
            try:
                if _call(f"{base}/api/v1/health")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("vitrine serve did not start in time")
            time.sleep(0.5)
        yield base, proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stderr.close()  # type: ignore[union-attr]


def test_gunicorn_serves_search_limits_and_readiness(server: str) -> None:
    status, headers, body = _call(f"{server}/api/v1/search", {"text": "blue shirt", "k": 3})
    assert status == 200, body
    assert len(body["results"]) == 3
    assert headers["X-Content-Type-Options"] == "nosniff"
    status, _, body = _call(f"{server}/api/v1/ready")
    assert status == 200 and body["status"] == "ready"
    for _ in range(4):
        status, _, body = _call(f"{server}/api/v1/search", {"text": "shoes", "k": 1})
        assert status == 200, body
    status, headers, body = _call(f"{server}/api/v1/search", {"text": "shoes", "k": 1})
    assert status == 429
    assert body["error"] == "rate_limited"
    assert int(headers["Retry-After"]) > 0


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_gunicorn_serves_a_product_photo_whole(server: str, catalog_entries: list[CatalogEntry]) -> None:
    """The photo endpoint under gunicorn, whose sendfile starts at the file's OS offset: the
    bytes read to sniff the type must not be missing from the answer."""
    product = catalog_entries[0].product
    with urllib.request.urlopen(f"{server}/api/v1/products/{product.id}/image", timeout=10) as response:
        assert response.status == 200 and response.headers["Content-Type"] == "image/jpeg"
        assert response.read() == Path(product.image).read_bytes()


def test_several_workers_search_one_embedded_store_through_its_host(
    tiny_model_dir: Path, indexed_data_dir: Path, redis_client: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    shutil.copytree(indexed_data_dir, data_dir)
    with _serving(redis_url, tiny_model_dir, data_dir, "--workers", "2", "--threads", "2") as (base, proc):
        processes = descendant_pids(proc.pid)
        commands = [Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ") for pid in processes]
        assert sum(b"indexer.store.host" in c for c in commands) == 1, commands
        assert len(processes) == 3  # the host and two gunicorn workers
        status, _, body = _call(f"{base}/api/v1/ready")
        assert status == 200 and body["status"] == "ready", body
        for text in ("blue shirt", "red dress", "black shoes", "watch"):
            status, _, body = _call(f"{base}/api/v1/search", {"text": text, "k": 3})
            assert status == 200 and len(body["results"]) == 3, body
    assert proc.returncode == 0
    assert not any(_alive(pid) for pid in processes)  # the host went with the server
    store = EdgeStore(data_dir)  # and let go of the shard
    try:
        assert store.count() > 0
    finally:
        store.close()


def test_a_lost_store_host_is_a_503_not_a_500(
    indexed_data_dir: Path, encoder: Encoder, tmp_path: Path, redis_client: redis.Redis, redis_url: str
) -> None:
    data_dir = tmp_path / "data"
    shutil.copytree(indexed_data_dir, data_dir)
    socket_dir = Path(tempfile.mkdtemp(prefix="vh-"))
    host = StoreHost(data_dir, socket_dir / "store.sock")
    host.start()
    remote = RemoteStore(host.socket_path)
    try:
        app = create_app(Settings(), api_settings=ApiSettings(redis_url=redis_url, jwt_secret=SECRET),
                         encoder=encoder, store=remote, redis=redis_client)
        client = app.test_client()
        assert client.post("/api/v1/search", json={"text": "shoes", "k": 2}).status_code == 200
        host.close()
        response = client.post("/api/v1/search", json={"text": "red shoes", "k": 2})
        assert response.status_code == 503
        assert response.get_json()["error"] == "store_unavailable"
        # The body says what failed, never the exception's text or a server path.
        message = response.get_json()["message"]
        assert message.startswith("the vector store is unavailable")
        assert "Error" not in message and str(socket_dir) not in message and "store.sock" not in message
        assert client.get("/api/v1/ready").status_code == 503
        settle(app)
    finally:
        host.close()
        remote.close()
        shutil.rmtree(socket_dir, ignore_errors=True)


def test_a_serving_process_fills_its_vector_cache_in_the_background(
    encoder: Encoder, indexed_store: EdgeStore, redis_client: redis.Redis, redis_url: str
) -> None:
    from dataclasses import replace

    from api.app import warm_vector_cache
    from api.context import EXTENSION

    api = ApiSettings(redis_url=redis_url, jwt_secret=SECRET)
    app = create_app(Settings(), api_settings=api, encoder=encoder, store=indexed_store, redis=redis_client)
    thread = warm_vector_cache(app)
    assert thread is not None
    thread.join(timeout=60)
    cache = app.extensions[EXTENSION].live.current().searcher.vectors
    assert len(cache) == indexed_store.count()
    off = create_app(replace(Settings(), vector_cache_warm=False), api_settings=api, encoder=encoder,
                     store=indexed_store, redis=redis_client)
    assert warm_vector_cache(off) is None
    assert len(off.extensions[EXTENSION].live.current().searcher.vectors) == 0
    settle(app)
    settle(off)
