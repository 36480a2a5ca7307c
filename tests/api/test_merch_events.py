"""POST /api/v1/events and GET /api/v1/analytics/report over the session's own redis-server."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from api.merch import MERCH, build_state
from api.redis_guard import RedisGuard
from settings.merch import MerchSettings


def event(i: int, **over: Any) -> dict[str, Any]:
    base = {
        "id": f"e{i}",
        "type": "click",
        "product_id": "10000",
        "query_id": "q1",
        "position": 2,
        "shopper_id": "s1",
        "timestamp": time.time(),
    }
    return {**base, **over}


def test_every_search_answer_has_a_query_id(client: FlaskClient) -> None:
    first = client.post("/api/v1/search", json={"text": "blue shirt", "k": 3}).json
    second = client.post("/api/v1/search", json={"text": "blue shirt", "k": 3}).json
    assert first["query_id"] and second["query_id"] and first["query_id"] != second["query_id"]
    assert first["applied_rules"] == []


def test_events_are_stored_once_by_id(client: FlaskClient, app: Flask) -> None:
    batch = [event(i) for i in range(5)]
    r = client.post("/api/v1/events", json={"events": batch})
    assert r.status_code == 202, r.json
    assert r.json == {"accepted": 5, "duplicates": []}
    again = client.post("/api/v1/events", json={"events": [*batch[:2], event(9)]})
    assert again.json == {"accepted": 1, "duplicates": ["e0", "e1"]}
    stored = app.extensions[MERCH].events.events()
    assert sorted(e.id for e in stored) == ["e0", "e1", "e2", "e3", "e4", "e9"]
    assert stored[0].position == 2 and stored[0].query_id == "q1"


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        ({"events": []}, "1 to 1000"),
        ({"events": [event(0, type="like")]}, "type must be one of"),
        ({"events": [event(0, position=0)]}, "position"),
        ({"events": [event(0, timestamp=time.time() * 1000)]}, "timestamp"),
        ({"events": [event(0, value=-5)]}, "value"),
        ({"events": [{k: v for k, v in event(0).items() if k != "product_id"}]}, "missing product_id"),
        ({"events": [event(0, colour="red")]}, "unknown field"),
        ({"event": []}, '{"events": [...]}'),
    ],
)
def test_bad_events_get_a_clear_400(client: FlaskClient, bad: dict[str, Any], says: str) -> None:
    r = client.post("/api/v1/events", json=bad)
    assert r.status_code == 400
    assert says in r.json["message"]


def test_a_batch_over_1000_is_refused_and_1000_is_taken(client: FlaskClient) -> None:
    big = [event(i) for i in range(1001)]
    assert client.post("/api/v1/events", json={"events": big}).status_code == 400
    r = client.post("/api/v1/events", json={"events": big[:1000]})
    assert r.status_code == 202 and r.json["accepted"] == 1000


def test_events_older_than_the_retention_are_trimmed(
    app: Flask, redis_client: redis.Redis, client: FlaskClient
) -> None:
    st = app.extensions[MERCH]
    one_second = MerchSettings(events_retention_days=1.0 / 86400)
    app.extensions[MERCH] = build_state(RedisGuard(redis_client), "products", one_second)
    client.post("/api/v1/events", json={"events": [event(1)]})
    time.sleep(1.2)
    client.post("/api/v1/events", json={"events": [event(2)]})
    assert [e.id for e in app.extensions[MERCH].events.events()] == ["e2"]
    app.extensions[MERCH] = st


def test_report_needs_admin_and_checks_its_days(
    client: FlaskClient, token: Callable[..., dict[str, Any]]
) -> None:
    assert client.get("/api/v1/analytics/report").status_code == 401
    auth = {"Authorization": f"Bearer {token('admin')['access_token']}"}
    assert client.get("/api/v1/analytics/report?start=2026-13", headers=auth).status_code == 400
    r = client.get("/api/v1/analytics/report?start=2026-02-01&end=2026-01-01", headers=auth)
    assert r.status_code == 400 and "start" in r.json["message"]


def test_report_counts_searches_clicks_and_purchases(
    client: FlaskClient, token: Callable[..., dict[str, Any]]
) -> None:
    ids = [
        client.post("/api/v1/search", json={"text": t, "k": 3}).json["query_id"]
        for t in ("red dress", "red dress", "blue jeans", "qqqzzzxx")
    ]
    now = time.time()
    events = [
        event(1, query_id=ids[0], position=1, timestamp=now),
        event(2, query_id=ids[0], position=3, timestamp=now),
        event(3, query_id=ids[0], type="purchase", value=40.0, timestamp=now),
        event(4, query_id=ids[2], position=2, product_id="10001", timestamp=now),
    ]
    assert client.post("/api/v1/events", json={"events": events}).status_code == 202
    auth = {"Authorization": f"Bearer {token('admin')['access_token']}"}
    body = client.get("/api/v1/analytics/report", headers=auth).json
    overall = body["overall"]
    assert overall["searches"] == 4 and overall["clicks"] == 3 and overall["purchases"] == 1
    assert overall["ctr"] == 0.5 and overall["conversion"] == 0.25 and overall["revenue"] == 40.0
    assert overall["avg_click_position"] == 2.0
    red = next(q for q in body["queries"] if q["query"] == "red dress")
    assert red["ctr"] == 0.5 and red["searches"] == 2
    assert body["top_products"][0] == {"product_id": "10000", "clicks": 2, "purchases": 1, "views": 0}
    assert [d["searches"] for d in body["days"]] == [4]


def test_redis_down_means_503_for_events_and_a_plain_answer_for_search(
    make_app: Callable[..., Flask],
) -> None:
    down = make_app(redis=redis.Redis(port=1, socket_connect_timeout=0.2))
    client = down.test_client()
    assert client.post("/api/v1/events", json={"events": [event(1)]}).status_code == 503
    body = client.post("/api/v1/search", json={"text": "blue shirt", "k": 3}).json
    assert body["query_id"] and len(body["results"]) == 3
