"""End to end without Docker: Redis, the API under gunicorn with its embedded worker, over real HTTP:
index, create a client, ingest, search, and shut down cleanly."""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from encoder import Encoder
from indexer import EdgeStore, index_entries
from indexer.catalog import CatalogEntry
from indexer.image_dirs import register_image_dirs
from tests.conftest import RedisServer

REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _call(base: str, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def test_serve_ingest_search_shutdown(
    tmp_path: Path,
    encoder: Encoder,
    tiny_model_dir: Path,
    catalog_entries: list[CatalogEntry],
    redis_server: RedisServer,
) -> None:
    redis_url = redis_server.url(12)
    data_dir = tmp_path / "data"
    store = EdgeStore(data_dir)
    index_entries(encoder, store, catalog_entries[:30], spec=str(tiny_model_dir))
    store.close()
    register_image_dirs(data_dir, (e.product.image for e in catalog_entries[:30]))
    port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "VITRINE_DATA_DIR": str(data_dir),
        "VITRINE_MODEL": str(tiny_model_dir),
        "VITRINE_REDIS_URL": redis_url,
        "VITRINE_JWT_SECRET": "e2e-" + "s" * 40,
        "VITRINE_MEDIA_DIR": str(tmp_path / "media"),
        "VITRINE_DEVICE": "cpu",
    }
    vitrine = [sys.executable, "-c", "from cli.main import main; main()"]
    created = subprocess.run(
        [*vitrine, "clients", "create", "--scopes", "search,ingest", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert created.returncode == 0, created.stderr
    credentials = json.loads(created.stdout)
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        server = subprocess.Popen(
            [*vitrine, "serve", "--port", str(port), "--threads", "4"], env=env, stdout=out, stderr=out
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, log.read_text()[-3000:]
            try:
                if _call(base, "GET", "/ready")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the server did not become ready"
            time.sleep(0.3)
        status, tokens = _call(base, "POST", "/api/v1/auth/token", credentials)
        assert status == 200, tokens
        token = tokens["access_token"]
        photo = base64.b64encode(Path(catalog_entries[40].product.image).read_bytes()).decode()
        status, accepted = _call(
            base,
            "POST",
            "/api/v1/products",
            token=token,
            body={
                "id": "E2E-1",
                "title": "Emerald Silk Evening Gown",
                "gender": "Women",
                "occasion": "Party",
                "price": 129.0,
                "image_base64": photo,
            },
        )
        assert status == 202, accepted
        job_id = accepted["jobs"][0]["id"]
        deadline = time.monotonic() + 120
        while (job := _call(base, "GET", f"/api/v1/jobs/{job_id}", token=token)[1])["status"] != "finished":
            assert job["status"] in ("queued", "started"), job
            assert time.monotonic() < deadline, job
            time.sleep(0.3)
        status, result = _call(
            base,
            "POST",
            "/api/v1/search",
            token=token,
            body={"text": "emerald silk evening gown", "filters": {"occasion": "Party"}, "k": 5},
        )
        assert status == 200, result
        assert [r["id"] for r in result["results"]] == ["E2E-1"]
    finally:
        server.send_signal(signal.SIGTERM)
        code = server.wait(timeout=60)
    assert code == 0, log.read_text()[-3000:]
    reopened = EdgeStore(data_dir)  # the server let go of the store when it stopped
    assert reopened.count() == 31
    reopened.close()
