"""`vitrine serve`: the API under a real gunicorn process, over real HTTP."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from api_test_helpers import REDIS_URL, SECRET

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
def server(tiny_model_dir: Path, indexed_data_dir: Path, redis_client: redis.Redis) -> Iterator[str]:
    port = _free_port()
    env = {**os.environ, "VITRINE_MODEL": str(tiny_model_dir), "VITRINE_DATA_DIR": str(indexed_data_dir),
           "VITRINE_REDIS_URL": REDIS_URL, "VITRINE_JWT_SECRET": SECRET, "VITRINE_DEVICE": "cpu",
           "VITRINE_ANON_RATE_LIMIT": "5/minute"}
    cmd = [sys.executable, "-c", "from api.cli import main; main()", "serve", "--port", str(port),
           "--threads", "4"]
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
        yield base
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
