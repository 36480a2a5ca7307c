"""Discovery over HTTP: suggestions (with the shopper threshold), recommend, also-clicked."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from api_test_helpers import image_bytes
from flask import Flask
from flask.testing import FlaskClient

from api.blueprints.discovery import Discovery
from api.shopper import COOKIE


def _suggest(client: FlaskClient, q: str) -> list[dict[str, Any]]:
    response = client.get("/api/v1/suggest", query_string={"q": q})
    assert response.status_code == 200, response.json
    return response.json["suggestions"]  # type: ignore[index,no-any-return]


def _refresh(app: Flask) -> None:
    d: Discovery = app.extensions["vitrine_discovery"]
    with app.app_context():
        d.suggestions.refresh_now("products", app.extensions["vitrine"].view().searcher.facts)


def test_a_query_is_suggested_once_enough_shoppers_searched_it(make_app: Callable[..., Flask]) -> None:
    app = make_app(suggest_min_shoppers=3)

    def shopper() -> FlaskClient:
        client = app.test_client()
        assert client.get("/api/v1/shopper").status_code == 200  # the shop page's first call: a cookie
        return client

    # a caller with no shopper cookie or id (a script, a storefront's backend) is nobody in particular
    for _ in range(3):
        assert app.test_client().post("/api/v1/search", json={"text": "black watch"}).status_code == 200
    lonely = shopper()
    for _ in range(5):  # one shopper, many times: still private
        assert lonely.post("/api/v1/search", json={"text": "Black Watch", "k": 3}).status_code == 200
    assert lonely.get_cookie(COOKIE) is not None
    _refresh(app)
    assert "black watch" not in [s["text"] for s in _suggest(lonely, "black wa") if s["kind"] == "query"]
    for _ in range(2):
        assert shopper().post("/api/v1/search", json={"text": "black  watch"}).status_code == 200
    _refresh(app)
    offered = [s for s in _suggest(lonely, "black wa") if s["kind"] == "query"]
    assert [s["text"] for s in offered] == ["black watch"] and offered[0]["count"] > 0
    # a query nothing in the catalog answers is never offered, however many searched it
    for _ in range(3):
        shopper().post("/api/v1/search", json={"text": "zzyzx qwerty"})
    _refresh(app)
    assert _suggest(lonely, "zzyz") == []


def test_suggest_answers_typos_and_refuses_bad_input(client: FlaskClient) -> None:
    found = _suggest(client, "watchs")
    assert found and all(s["count"] > 0 for s in found) and len(found) <= 8
    assert any("watch" in s["text"].casefold() for s in found)
    assert client.get("/api/v1/suggest", query_string={"q": "x" * 101}).status_code == 400
    assert client.get("/api/v1/suggest", query_string={"q": "w", "k": "0"}).status_code == 400
    assert client.get("/api/v1/suggest", query_string={"q": "w", "size": "3"}).status_code == 400
    assert _suggest(client, "") == []


def test_recommend_by_example(client: FlaskClient) -> None:
    body = {"positive": ["10000"], "negative": ["10001"], "k": 5, "filters": {"gender": "Men"}}
    response = client.post("/api/v1/recommend", json=body)
    assert response.status_code == 200, response.json
    hits = response.json["results"]
    assert len(hits) == 5 and {"10000", "10001"}.isdisjoint(h["id"] for h in hits)
    assert all(h["product"]["gender"] == "Men" and h["breakdown"]["pulled_by"] == "10000" for h in hits)
    assert all(h["breakdown"]["pushed_by"] == "10001" for h in hits)
    assert client.post("/api/v1/recommend", json={"positive": ["nope"]}).status_code == 404
    assert client.post("/api/v1/recommend", json={"negative": ["10000"]}).status_code == 400
    assert client.post("/api/v1/recommend", json={"positive": "10000"}).status_code == 400
    assert client.post("/api/v1/recommend", json={"positive": ["10000"], "alpha": 1}).status_code == 400
    photo = (io.BytesIO(image_bytes()), "photo.png")
    form = client.post("/api/v1/recommend", data={"positive": "10000,10002", "text": "shirt", "k": "3",
                                                  "image": photo}, content_type="multipart/form-data")
    assert form.status_code == 200, form.json
    assert len(form.json["results"]) == 3
    assert {"10000", "10002", "[photo]", "[text]"} == set(form.json["results"][0]["breakdown"]["positives"])


def test_also_clicked_counts_shoppers_then_falls_back(make_app: Callable[..., Flask]) -> None:
    app = make_app(suggest_min_shoppers=2)
    for _ in range(2):
        shopper = app.test_client()
        for pid in ("10000", "10003"):
            assert shopper.post("/api/v1/shopper/clicks", json={"product_id": pid}).status_code == 201
    lone = app.test_client()
    for pid in ("10000", "10004"):
        lone.post("/api/v1/shopper/clicks", json={"product_id": pid})
    response = lone.get("/api/v1/products/10000/also-clicked?k=4")
    assert response.status_code == 200, response.json
    results = response.json["results"]
    assert results[0] == {**results[0], "id": "10003", "source": "co_click", "shoppers": 2}
    # one shopper's pair is not shown as a crowd's; similar items fill the rest
    assert [r["source"] for r in results[1:]] == ["similar"] * 3
    assert "10004" not in [r["id"] for r in results if r["source"] == "co_click"]
    assert "10000" not in [r["id"] for r in results]
    assert lone.get("/api/v1/products/nope/also-clicked").status_code == 404


def test_suggest_has_a_limit_of_its_own(make_app: Callable[..., Flask]) -> None:
    """Typing is not held to the search limit (30/minute anonymous), but a flood still stops."""
    app = make_app(anonymous_rate_limit="2/minute", suggest_rate_limit="5/minute")
    client = app.test_client()
    statuses = [client.get("/api/v1/suggest", query_string={"q": f"wat{i}"}).status_code for i in range(7)]
    assert statuses == [200] * 5 + [429] * 2
    assert client.post("/api/v1/search", json={"text": "black watch"}).status_code == 200
