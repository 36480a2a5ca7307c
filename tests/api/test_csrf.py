"""Cookie-authenticated shopper changes refuse other sites' forms (issue 20, CSRF)."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from api_test_helpers import image_bytes
from flask import Flask
from flask.testing import FlaskClient

EVIL = {"Origin": "https://evil.example"}


def _form_search(client: FlaskClient, headers: dict[str, str]) -> int:
    data = {"text": "shirt", "image": (io.BytesIO(image_bytes()), "p.png")}
    return client.post("/api/v1/shopper/search", data=data, headers=headers,
                       content_type="multipart/form-data").status_code


def test_a_cross_site_form_cannot_change_a_shoppers_profile(
    client: FlaskClient, catalog_entries: list[Any]
) -> None:
    client.get("/api/v1/shopper")  # the shopper's browser has its cookie
    product = str(catalog_entries[0].product.id)
    assert _form_search(client, EVIL) == 403
    assert client.put(f"/api/v1/shopper/favorites/{product}",
                      headers={"Referer": "https://evil.example/page"}).status_code == 403
    assert client.delete("/api/v1/shopper/history", headers=EVIL).status_code == 403
    assert client.get("/api/v1/shopper").json["favorites"] == 0 and client.get(
        "/api/v1/shopper/history").json["count"] == 0
    # The site itself, JSON (preflighted cross-origin) and non-browser clients still work.
    assert _form_search(client, {"Origin": "http://localhost"}) == 200
    assert client.post("/api/v1/shopper/search", json={"text": "shirt"}, headers=EVIL).status_code == 200
    assert client.put(f"/api/v1/shopper/favorites/{product}").status_code in (200, 201)
    assert client.get("/api/v1/shopper").json["favorites"] == 1


def test_configured_storefront_origins_and_tokens_are_not_cross_site(
    make_app: Callable[..., Flask], token: Callable[..., dict[str, Any]],
) -> None:
    client = make_app(cors_origins=("https://shop.example",)).test_client()
    client.get("/api/v1/shopper")
    assert _form_search(client, {"Origin": "https://shop.example"}) == 200
    bearer = {"Authorization": f"Bearer {token('search')['access_token']}", **EVIL}
    assert _form_search(client, bearer) == 200  # a token is not sent by browsers on their own
