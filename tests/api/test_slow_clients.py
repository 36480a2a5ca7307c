"""Slow clients cannot starve searches (issue 20, item 1), against real servers and sockets.

- Slow bodies: requests whose body drips in one byte a second, against ``vitrine serve``
  (gunicorn), must not hold admission slots; searches with a token keep answering 200, and
  the slow requests are answered 408 once their deadline passes.
- Slow image hosts: ``image_url`` pointing at a local server that sends one byte a second,
  against the app under werkzeug's threaded server: the fetch ends at its wall-clock deadline,
  anonymous callers hold only their own slots, and a caller who leaves frees its slot at once.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from test_serve import _call, _serving
from werkzeug.serving import make_server

from api.app import create_app
from benchmarks.hostile_dos import DripHandler
from encoder import Encoder
from indexer import EdgeStore, Settings
from indexer.media import FetchPolicy
from settings.api import ApiSettings
from tests.conftest import local_http_server

SECRET = "slow-" + "s" * 40


def _token(base: str, client_id: str, secret: str) -> str:
    status, _, body = _call(f"{base}/api/v1/auth/token", {"client_id": client_id, "client_secret": secret})
    assert status == 200, body
    return str(body["access_token"])


def _search(
    base: str, body: dict[str, Any], token: str | None = None, timeout: float = 10
) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(f"{base}/api/v1/search", json.dumps(body).encode(), headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as e:
        with e:
            return e.code, json.loads(e.read())


class SlowBody(threading.Thread):
    """A client that declares a 60,000-byte JSON body and sends one byte a second."""

    def __init__(self, base: str, path: str = "/api/v1/search") -> None:
        super().__init__(daemon=True)
        host, port = base.removeprefix("http://").split(":")
        self.sock = socket.create_connection((host, int(port)), timeout=30)
        self.sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            "Content-Length: 60000\r\n\r\n{".encode()
        )
        self.status: int | None = None
        self.answered_after: float | None = None
        self.started = time.monotonic()

    def run(self) -> None:
        self.sock.settimeout(1.0)
        while time.monotonic() - self.started < 30:
            try:
                data = self.sock.recv(4096)
            except TimeoutError:
                try:
                    self.sock.sendall(b" ")
                except OSError:
                    return
                continue
            except OSError:
                return
            if data:
                self.status = int(data.split(b" ", 2)[1])
                self.answered_after = time.monotonic() - self.started
            return

    def close(self) -> None:
        self.sock.close()


def test_slow_bodies_hold_no_slot_and_time_out(
    tiny_model_dir: Path, indexed_data_dir: Path, redis_client: redis.Redis, redis_url: str,
    new_client: Callable[..., tuple[str, str]],
) -> None:
    # Four slots per process, and six anonymous clients dripping their bodies.
    env = {"VITRINE_MAX_IN_FLIGHT": "4", "VITRINE_ANON_RATE_LIMIT": "1000/minute"}
    options = ("--workers", "1", "--threads", "16")
    with _serving(redis_url, tiny_model_dir, indexed_data_dir, *options, env=env) as (base, _):
        token = _token(base, *new_client("search"))
        attackers = [SlowBody(base) for _ in range(6)]
        for attacker in attackers:
            attacker.start()
        try:
            time.sleep(1.5)  # every attacker's headers are in; its body is still coming
            for text in ("red dress", "black shoes", "blue shirt"):
                status, body = _search(base, {"text": text, "k": 3}, token)
                assert status == 200, body
            status, body = _search(base, {"text": "watch", "k": 3})  # anonymous callers too
            assert status == 200, body
            for attacker in attackers:
                attacker.join(timeout=15)
            # 2 s grace + 60,000 bytes at 32 KiB/s: each is cut off after about 3.8 s.
            assert [a.status for a in attackers] == [408] * 6
            assert all(a.answered_after is not None and a.answered_after < 8 for a in attackers)
        finally:
            for attacker in attackers:
                attacker.close()


@pytest.fixture
def live_app(
    encoder: Encoder, indexed_data_dir: Path, tmp_path: Path, redis_client: redis.Redis, redis_url: str,
) -> Iterator[Callable[[float], str]]:
    """Serve the app (two slots per process) under werkzeug's threaded server on real sockets,
    fetching image_url from loopback with the given fetch timeout; yields a starter."""
    started: list[tuple[Any, EdgeStore]] = []

    def start(fetch_timeout_s: float) -> str:
        import shutil

        data_dir = tmp_path / f"data{len(started)}"
        shutil.copytree(indexed_data_dir, data_dir)
        store = EdgeStore(data_dir)
        settings = ApiSettings(redis_url=redis_url, jwt_secret=SECRET, max_in_flight=2,
                               anonymous_rate_limit="1000/minute")
        policy = FetchPolicy(timeout_s=fetch_timeout_s, allowed=lambda address: True)
        app = create_app(Settings(), api_settings=settings, encoder=encoder, store=store,
                         redis=redis_client, fetch_policy=policy)
        httpd = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        started.append((httpd, store))
        return f"http://127.0.0.1:{httpd.server_port}"

    yield start
    for httpd, store in started:
        httpd.shutdown()
        store.close()


def _token_for(base: str, new_client: Callable[..., tuple[str, str]]) -> str:
    return _token(base, *new_client("search"))


def test_a_dripping_image_host_is_cut_off_at_the_deadline(
    live_app: Callable[[float], str], new_client: Callable[..., tuple[str, str]],
) -> None:
    base = live_app(1.0)  # the whole fetch may take 2 s
    token = _token_for(base, new_client)
    with local_http_server(DripHandler) as drip:
        url = f"http://127.0.0.1:{drip.server_port}/slow.png"
        results: list[tuple[int, float]] = []

        def slow() -> None:
            t = time.monotonic()
            status, _ = _search(base, {"image_url": url, "k": 3}, timeout=60)
            results.append((status, time.monotonic() - t))

        anonymous = [threading.Thread(target=slow) for _ in range(3)]
        for thread in anonymous:
            thread.start()
        time.sleep(0.5)  # the fetches are dripping
        for text in ("red dress", "black shoes"):
            status, body = _search(base, {"text": text, "k": 3}, token)
            assert status == 200, body
        for thread in anonymous:
            thread.join(timeout=30)
    assert len(results) == 3
    # Two fetched and were cut off at their deadline; the third found no anonymous slot.
    assert sorted(status for status, _ in results) == [422, 422, 503], results
    assert all(seconds < 4 for _, seconds in results), results


def test_a_caller_who_leaves_frees_its_slot(
    live_app: Callable[[float], str], new_client: Callable[..., tuple[str, str]],
) -> None:
    base = live_app(5.0)  # a fetch may take 10 s: long enough to tell leaving from the deadline
    host, port = base.removeprefix("http://").split(":")
    with local_http_server(DripHandler) as drip:
        body = json.dumps({"image_url": f"http://127.0.0.1:{drip.server_port}/slow.png"}).encode()
        leavers = []
        for _ in range(2):  # both anonymous slots
            sock = socket.create_connection((host, int(port)))
            sock.sendall(b"POST /api/v1/search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
            leavers.append(sock)
        time.sleep(0.5)
        for sock in leavers:
            sock.close()  # the callers give up
        time.sleep(1.0)
        status, answer = _search(base, {"text": "red dress", "k": 3})  # anonymous, like them
        assert status == 200, answer
