"""Rate limits (Redis-backed, per client or IP) and the degraded mode without Redis."""

from __future__ import annotations

import time
from collections.abc import Callable

import redis
from api_test_helpers import SECRET
from flask import Flask

SEARCH = {"text": "shirt", "k": 1, "facets": False}


def test_the_101st_request_in_a_minute_is_429_with_retry_after(
    make_app: Callable[..., Flask], token: Callable[..., dict], redis_client: redis.Redis
) -> None:
    app = make_app(rate_limit="100/minute")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token('search')['access_token']}"}
    for i in range(100):
        response = client.get("/api/v1/products/10003", headers=headers)
        assert response.status_code == 200, (i, response.json)
    assert response.headers["X-RateLimit-Limit"] == "100"
    assert response.headers["X-RateLimit-Remaining"] == "0"
    assert "Retry-After" not in response.headers  # answered: nothing to wait for
    response = client.get("/api/v1/products/10003", headers=headers)
    assert response.status_code == 429
    assert response.json["error"] == "rate_limited"
    assert 0 < int(response.headers["Retry-After"]) <= 60
    assert any(b"vitrine-rl" in k for k in redis_client.scan_iter())  # counted in Redis
    metrics = client.get("/api/v1/metrics").get_data(as_text=True)
    assert 'vitrine_rate_limited_total{endpoint="products.get_product"} 1.0' in metrics


def test_only_429_and_503_tell_the_client_to_retry_after(make_app: Callable[..., Flask]) -> None:
    """flask-limiter stamps its window's reset on every response; a client that honours
    Retry-After on a 400 would wait a minute before sending its corrected request."""
    client = make_app(anonymous_rate_limit="2/minute").test_client()
    bad = client.post("/api/v1/search", json={"text": "shirt", "k": 0})
    assert bad.status_code == 400 and bad.headers["X-RateLimit-Remaining"] == "1"
    assert "Retry-After" not in bad.headers
    assert "Retry-After" not in client.post("/api/v1/search", json=SEARCH).headers
    limited = client.post("/api/v1/search", json=SEARCH)
    assert limited.status_code == 429 and 0 < int(limited.headers["Retry-After"]) <= 60


def test_anonymous_callers_get_the_lower_limit_per_ip(make_app: Callable[..., Flask],
                                                      token: Callable[..., dict]) -> None:
    client = make_app(anonymous_rate_limit="3/minute", rate_limit="50/minute").test_client()
    for _ in range(3):
        assert client.post("/api/v1/search", json=SEARCH).status_code == 200
    assert client.post("/api/v1/search", json=SEARCH).status_code == 429
    other_ip = client.post("/api/v1/search", json=SEARCH, environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert other_ip.status_code == 200
    headers = {"Authorization": f"Bearer {token('search')['access_token']}"}
    authed = client.post("/api/v1/search", json=SEARCH, headers=headers)
    assert authed.status_code == 200
    assert authed.headers["X-RateLimit-Limit"] == "50"


def test_limits_are_shared_between_processes_through_redis(make_app: Callable[..., Flask]) -> None:
    first, second = make_app(anonymous_rate_limit="2/minute"), make_app(anonymous_rate_limit="2/minute")
    assert first.test_client().post("/api/v1/search", json=SEARCH).status_code == 200
    assert second.test_client().post("/api/v1/search", json=SEARCH).status_code == 200
    assert first.test_client().post("/api/v1/search", json=SEARCH).status_code == 429


def test_health_and_metrics_are_not_limited(make_app: Callable[..., Flask]) -> None:
    client = make_app(anonymous_rate_limit="1/minute").test_client()
    for _ in range(3):
        assert client.get("/api/v1/health").status_code == 200
        assert client.get("/api/v1/metrics").status_code == 200


def test_without_redis_search_still_answers_and_ready_says_degraded(
    make_app: Callable[..., Flask],
) -> None:
    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)  # nothing listens there
    app = make_app(redis=dead, redis_url="redis://127.0.0.1:1/0", anonymous_rate_limit="2/minute")
    client = app.test_client()
    for _ in range(2):
        response = client.post("/api/v1/search", json=SEARCH)
        assert response.status_code == 200, response.json
    # in-memory limits still apply
    assert client.post("/api/v1/search", json=SEARCH).status_code == 429
    ready = client.get("/api/v1/ready")
    assert ready.status_code == 200
    assert ready.json["status"] == "degraded"
    assert ready.json["checks"]["redis"]["ok"] is False
    assert any("rate limits in memory" in d for d in ready.json["degraded"])
    response = client.post("/api/v1/auth/token", json={"client_id": "vc_a", "client_secret": SECRET})
    assert response.status_code == 503
    assert response.json["error"] == "service_unavailable"


def _calls(client: redis.Redis, command: str) -> int:
    stats = client.info("commandstats").get(f"cmdstat_{command}")
    return int(stats["calls"]) if stats else 0


def test_each_request_costs_one_rate_limit_round_trip_and_the_headers_stay_exact(
    make_app: Callable[..., Flask], redis_client: redis.Redis
) -> None:
    client = make_app(anonymous_rate_limit="5/minute").test_client()
    # Reading a product touches Redis only for its rate limit; the stock fixed window then
    # sent GET and TTL after its counting script for the headers.
    get_before = _calls(redis_client, "get")
    remaining = []
    for _ in range(3):
        response = client.get("/api/v1/products/10003")
        assert response.status_code == 200
        remaining.append(int(response.headers["X-RateLimit-Remaining"]))
        reset = int(response.headers["X-RateLimit-Reset"])
        assert 0 < reset - time.time() <= 61
    assert remaining == [4, 3, 2]
    assert _calls(redis_client, "get") == get_before
    (key,) = [k for k in redis_client.scan_iter("*vitrine-rl*")]
    assert int(redis_client.get(key)) == 3  # the count lives in Redis
    assert 0 < redis_client.ttl(key) <= 60  # and the window expires
