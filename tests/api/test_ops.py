"""Health, readiness, metrics, security headers, CORS, and JSON for every error."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from api.cache import normalise_text


@pytest.mark.parametrize("path", ["/api/v1/health", "/health"])
def test_health(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_ready_lists_model_store_and_redis(client: FlaskClient) -> None:
    response = client.get("/api/v1/ready")
    assert response.status_code == 200
    body = response.json
    assert body["status"] == "ready"
    assert body["degraded"] == []
    assert body["checks"]["store"]["points"] > 0
    assert body["checks"]["redis"]["ok"] is True
    assert body["checks"]["model"]["id"]


def test_metrics_count_requests_stages_and_cache(client: FlaskClient) -> None:
    for _ in range(2):
        assert client.post("/api/v1/search", json={"text": "Red  Dress"}).status_code == 200
    assert client.post("/api/v1/search", json={"text": "red dress"}).status_code == 200
    response = client.get("/api/v1/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    text = response.get_data(as_text=True)
    assert 'vitrine_http_requests_total{endpoint="search.search",method="POST",status="200"} 3.0' in text
    assert 'vitrine_embedding_cache_total{kind="text",result="miss"} 1.0' in text
    assert 'vitrine_embedding_cache_total{kind="text",result="hit"} 2.0' in text
    assert 'vitrine_search_stage_seconds_count{stage="encode"} 3.0' in text
    assert 'vitrine_http_request_seconds_bucket{endpoint="search.search",le=' in text


def _cached_keys(redis_client: redis.Redis, count: int = 1) -> list[bytes]:
    """The embedding-cache keys, once the background writer has written ``count`` of them."""
    deadline = time.monotonic() + 5
    while len(keys := list(redis_client.scan_iter("vitrine:emb:*"))) < count:
        assert time.monotonic() < deadline, "the query vector was never written to Redis"
        time.sleep(0.01)
    return keys


def test_query_embeddings_are_cached_with_a_day_ttl(client: FlaskClient, redis_client: redis.Redis) -> None:
    assert client.post("/api/v1/search", json={"text": "Blue Jeans"}).status_code == 200
    keys = _cached_keys(redis_client)
    assert len(keys) == 1 and b":text:" in keys[0]
    assert 86_000 < redis_client.ttl(keys[0]) <= 86_400
    assert normalise_text("  Blue\tJEANS ") == "blue jeans"


def test_cached_and_fresh_embeddings_give_the_same_results(client: FlaskClient) -> None:
    first = client.post("/api/v1/search", json={"text": "black watch", "k": 5}).json
    second = client.post("/api/v1/search", json={"text": "black watch", "k": 5}).json
    assert [r["id"] for r in first["results"]] == [r["id"] for r in second["results"]]
    assert [r["score"] for r in first["results"]] == [r["score"] for r in second["results"]]


def test_security_headers_on_success_and_error(client: FlaskClient) -> None:
    for response in (client.get("/api/v1/health"), client.get("/api/v1/nowhere")):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_cors_only_for_configured_origins(make_app: Callable[..., Flask]) -> None:
    client = make_app(cors_origins=("https://shop.example",)).test_client()
    allowed = client.post("/api/v1/search", json={"text": "x"}, headers={"Origin": "https://shop.example"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://shop.example"
    refused = client.post("/api/v1/search", json={"text": "x"}, headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in refused.headers
    assert "Origin" in refused.headers["Vary"]
    preflight = client.options("/api/v1/search", headers={
        "Origin": "https://shop.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "Authorization, Content-Type"})
    assert preflight.status_code == 200
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]
    assert "X-Vitrine-Shopper" in preflight.headers["Access-Control-Allow-Headers"]  # storefront shopper ids
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]


@pytest.mark.parametrize(("method", "path", "status", "code"), [
    ("GET", "/api/v1/nowhere", 404, "not_found"),
    ("GET", "/api/v1/search", 405, "method_not_allowed"),
    ("PUT", "/api/v1/search", 405, "method_not_allowed"),
])
def test_routing_errors_are_json(client: FlaskClient, method: str, path: str, status: int, code: str) -> None:
    response = client.open(path, method=method)
    assert response.status_code == status
    assert response.json["error"] == code
    assert response.json["message"]


def test_openapi_document_is_served(client: FlaskClient) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.json["openapi"].startswith("3.")


def test_a_corrupt_cache_entry_is_a_miss(
    client: FlaskClient, make_app: Callable[..., Flask], redis_client: redis.Redis
) -> None:
    first = client.post("/api/v1/search", json={"text": "green bag", "k": 3}).json
    (key,) = _cached_keys(redis_client)
    redis_client.set(key, b"\x00\x01\x02")
    # Another process (a fresh app: its in-process cache is empty) reads the corrupt entry.
    other = make_app().test_client()
    second = other.post("/api/v1/search", json={"text": "green bag", "k": 3})
    assert second.status_code == 200
    assert [r["id"] for r in second.json["results"]] == [r["id"] for r in first["results"]]
    metrics = other.get("/api/v1/metrics").get_data(as_text=True)
    assert 'vitrine_embedding_cache_total{kind="text",result="miss"} 1.0' in metrics
    deadline = time.monotonic() + 5
    while redis_client.get(key) == b"\x00\x01\x02":  # rewritten with the real vector
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_repeated_queries_are_served_from_the_process_without_redis(
    client: FlaskClient, redis_client: redis.Redis
) -> None:
    first = client.post("/api/v1/search", json={"text": "red scarf", "k": 3}).json
    for key in _cached_keys(redis_client):
        redis_client.delete(key)
    second = client.post("/api/v1/search", json={"text": "Red  SCARF", "k": 3}).json
    assert [r["id"] for r in second["results"]] == [r["id"] for r in first["results"]]
    text = client.get("/api/v1/metrics").get_data(as_text=True)
    assert 'vitrine_embedding_cache_total{kind="text",result="hit"} 1.0' in text
    assert not list(redis_client.scan_iter("vitrine:emb:*"))  # the hit did not go to Redis


def test_request_ids_are_echoed_or_made(client: FlaskClient) -> None:
    echoed = client.get("/api/v1/health", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["X-Request-ID"] == "abc-123"
    made = client.get("/api/v1/health", headers={"X-Request-ID": "bad id <script>"}).headers["X-Request-ID"]
    assert made != "bad id <script>" and len(made) == 32
