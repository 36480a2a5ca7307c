"""The HTTP load harnesses themselves: open-loop latency counts from the due time, medians, and
the overload benchmark sends every query once."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from benchmarks.api_load import median_of, paced, run, storefront_headers, summarise, text_requests
from benchmarks.overload import open_loop
from tests.conftest import RedisServer, local_http_server


class _SlowSearch(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body in one segment, sent at once: like gunicorn, unlike http.server's
    # defaults, whose separate small writes meet delayed ACKs and stall ~40 ms.
    wbufsize = 1 << 16
    disable_nagle_algorithm = True
    delay_s = 0.0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        time.sleep(self.delay_s)
        body = json.dumps({"timings": {"encode_ms": 1.0, "candidates_ms": 2.0, "rerank_ms": 1.0,
                                       "total_ms": 4.0}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, type[_SlowSearch]]]:
    handler = type("Handler", (_SlowSearch,), {})
    with local_http_server(handler) as httpd:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", handler


REQUEST = ("/api/v1/search", b'{"text": "x"}', "application/json")


def test_a_server_that_keeps_up_is_measured_at_its_own_speed(server: tuple[str, type]) -> None:
    base, handler = server
    handler.delay_s = 0.005
    outcome = paced(base, [REQUEST] * 40, clients=4, rate=100)
    result = summarise("text", outcome)
    assert result["errors"] == 0 and result["late"] <= 2  # a stall of the machine itself, at most
    assert 5 <= result["p50_ms"] < 40
    assert 80 <= result["rps"] <= 101  # the offered rate, not more


def test_a_server_that_falls_behind_shows_the_queue(server: tuple[str, type]) -> None:
    base, handler = server
    handler.delay_s = 0.05  # 4 clients x 20/s = 80/s at most, 200/s offered
    outcome = paced(base, [REQUEST] * 40, clients=4, rate=200)
    result = summarise("text", outcome)
    assert result["late"] > 20
    # counted from the due time: the last requests waited for the ones before them
    assert result["p95_ms"] > 200 and result["rps"] < 100
    closed = summarise("text", run(base, [REQUEST] * 20, clients=4))
    assert closed["p50_ms"] < 100  # a closed loop never sees the queue


def test_medians_over_repeats_sum_errors() -> None:
    runs = [{"scenario": "text", "requests": 10, "errors": e, "shed": 1, "late": 1, "p50_ms": p, "rps": 9.0,
             "first_errors": [], "stage_share": {"encode": s}, "server_cpu_ms_per_request": None}
            for e, p, s in ((0, 5.0, 0.5), (2, 9.0, 0.7), (0, 6.0, 0.6))]
    merged = median_of(runs)
    assert merged["p50_ms"] == 6.0 and merged["errors"] == 2 and merged["late"] == merged["shed"] == 3
    assert merged["stage_share"] == {"encode": 0.6} and merged["repeats"] == 3
    assert merged["server_cpu_ms_per_request"] is None
    assert merged["runs"]["p50_ms"] == [5.0, 9.0, 6.0]


def test_overload_phases_send_each_request_once() -> None:
    """The overload benchmark's open loop sends arrival i's own body: no phase repeats a
    query (a repeat is an embedding-cache hit, cheaper than the capacity it is scaled to)."""
    received: list[bytes] = []

    class Recorder(_SlowSearch):
        def do_POST(self) -> None:
            received.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

    bodies = [json.dumps({"text": f"query {i}"}).encode() for i in range(400)]
    with local_http_server(Recorder) as httpd:
        base = f"http://127.0.0.1:{httpd.server_address[1]}"
        phase = open_loop(base, bodies, rate=200, seconds=0.3, name="1x", seed=1)
        with pytest.raises(ValueError, match="distinct requests"):
            open_loop(base, bodies[:5], rate=200, seconds=0.3, name="1x", seed=1)
    sent = len(phase.statuses)
    assert 20 <= sent <= 200 and set(phase.statuses) == {200}
    assert sorted(received) == sorted(bodies[:sent])


def test_text_requests_are_distinct_and_a_longer_list_extends_a_shorter(catalog_dir: Path) -> None:
    short = text_requests(catalog_dir, 50, seed=3, facets=True)
    longer = text_requests(catalog_dir, 3000, seed=3, facets=True)
    assert longer[:50] == short
    texts = [json.loads(body)["text"] for _, body, _ in longer]
    assert len(set(texts)) == len(texts) == 3000


def test_benchmark_traffic_carries_a_storefront_token(
    encoder: Any, indexed_store: Any, redis_server: RedisServer,
) -> None:
    """Storefronts search with a token, and so do the benchmarks: requests without one would
    be measured against the small anonymous pool. A server that refuses anonymous searches
    answers every benchmark request all the same."""
    import redis
    from werkzeug.serving import make_server

    from api.app import create_app
    from indexer import Settings
    from settings.api import ApiSettings

    url = redis_server.url(11)
    app = create_app(Settings(), encoder=encoder, store=indexed_store, redis=redis.Redis.from_url(url),
                     api_settings=ApiSettings(redis_url=url, jwt_secret="b" * 40, anonymous_search=False))
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{httpd.server_port}"
        search = ("/api/v1/search", b'{"text": "shirt", "k": 2}', "application/json")
        anonymous = run(base, [search] * 4, clients=2)
        assert len(anonymous.errors) == 4 and all(e.startswith("401") for e in anonymous.errors)
        outcome = run(base, [search] * 4, clients=2, headers=storefront_headers(base, url))
        assert outcome.errors == [] and len(outcome.latencies_ms) == 4
    finally:
        httpd.shutdown()
        thread.join()
