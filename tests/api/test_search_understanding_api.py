"""Query understanding through the HTTP API: ``understand`` and ``ignore`` in, ``understood``,
``notices`` and ``did_you_mean`` out, on both search endpoints.

No Redis: the app is pointed at a port nothing listens on, so its caches and rate limits
degrade (as they do in production when Redis is down) and no shared database is touched. The
store holds the first products of the real catalog, indexed with the tiny test model.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from api.app import create_app
from encoder import Encoder
from indexer import EdgeStore, Settings
from settings import ApiSettings

NO_REDIS = "redis://127.0.0.1:1/0"  # port 1: nothing answers, the app runs degraded


@pytest.fixture
def client(encoder: Encoder, indexed_store: EdgeStore) -> Iterator[FlaskClient]:
    api = ApiSettings(redis_url=NO_REDIS, jwt_secret="test-secret-" * 4)
    app = create_app(Settings(), api_settings=api, encoder=encoder, store=indexed_store)
    app.testing = True
    yield app.test_client()


def _search(client: FlaskClient, path: str = "/api/v1/search", **body: Any) -> dict[str, Any]:
    response = client.post(path, json=body)
    assert response.status_code == 200, response.json
    return response.json  # type: ignore[no-any-return]


def test_the_answer_says_what_was_understood(client: FlaskClient) -> None:
    body = _search(client, text="white shoes for women", k=5)
    kinds = {a["kind"]: a for a in body["understood"]["attributes"]}
    assert kinds["colour"]["values"] == ["White"] and kinds["colour"]["applied"]
    assert kinds["colour"]["words"] == ["white"] and not kinds["colour"]["ignored"]
    assert body["understood"]["mode"] == "boost"
    assert body["notices"] == [] and body["did_you_mean"] is None
    breakdown = body["results"][0]["breakdown"]
    assert {"s_image", "s_text", "s_keyword", "s_attributes", "weights", "formula", "fusion"} <= set(
        breakdown)


def test_a_typo_is_corrected_with_a_notice(client: FlaskClient) -> None:
    body = _search(client, text="white shoees", k=3)
    assert body["did_you_mean"] == "white shoes"
    assert "showing results for 'white shoes'" in body["notices"]


def test_a_type_the_catalog_lacks_is_said_and_the_closest_items_shown(client: FlaskClient) -> None:
    body = _search(client, text="earrings", k=3)
    assert body["results"]
    assert "no earrings in this catalog, showing the closest items" in body["notices"]


def test_filter_mode_returns_only_matching_products(client: FlaskClient) -> None:
    body = _search(client, text="black shoes", k=10, understand="filter")
    for hit in body["results"]:
        colour = hit["product"].get("colour")
        assert colour in (None, "Black") or "black" in hit["product"]["title"].lower()


def test_ignore_turns_an_attribute_off(client: FlaskClient) -> None:
    body = _search(client, text="white shoes", k=5, ignore=["colour"])
    colour = next(a for a in body["understood"]["attributes"] if a["kind"] == "colour")
    assert colour["ignored"] and not colour["applied"]


def test_understanding_off_and_image_searches_carry_no_reading(client: FlaskClient) -> None:
    body = _search(client, text="white shoes", k=3, understand="off")
    assert body["understood"] is None and body["notices"] == []


@pytest.mark.parametrize("body, message", [
    ({"text": "shoes", "understand": "maybe"}, "understand must be one of"),
    ({"text": "shoes", "ignore": "colour"}, "ignore must be a list"),
    ({"text": "shoes", "ignore": ["size"]}, "ignore takes the kinds"),
])
def test_bad_understanding_fields_are_400s(client: FlaskClient, body: dict[str, Any], message: str) -> None:
    response = client.post("/api/v1/search", json=body)
    assert response.status_code == 400 and message in response.json["message"]


def test_the_shopper_search_carries_the_same_fields(client: FlaskClient) -> None:
    body = _search(client, "/api/v1/shopper/search", text="addidas shoes", k=3)
    assert {"understood", "notices", "did_you_mean"} <= set(body)
