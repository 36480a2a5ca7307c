"""Shopper features: identity, favourites, clicks, history, taste switch, personalised search."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import redis
from flask import Flask
from flask.testing import FlaskClient

from api.shopper import COOKIE
from indexer.catalog import CatalogEntry


def _ids(body: dict[str, Any]) -> list[str]:
    return [r["id"] for r in body["results"]]


def test_new_shopper_gets_a_cookie_and_keeps_favorites(
    client: FlaskClient, catalog_entries: list[CatalogEntry]
) -> None:
    pid = str(catalog_entries[0].product.id)
    first = client.put(f"/api/v1/shopper/favorites/{pid}")
    assert first.status_code == 201
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"
    assert client.put(f"/api/v1/shopper/favorites/{pid}").status_code == 200  # already there
    listed = client.get("/api/v1/shopper/favorites").json
    assert [f["id"] for f in listed["favorites"]] == [pid]
    assert listed["favorites"][0]["product"]["image"].startswith("/api/v1/products/")
    assert client.delete(f"/api/v1/shopper/favorites/{pid}").status_code == 200
    assert client.get("/api/v1/shopper/favorites").json["count"] == 0
    assert client.delete(f"/api/v1/shopper/favorites/{pid}").status_code == 404


def test_favorites_persist_in_redis_across_apps(
    make_app: Callable[..., Flask], catalog_entries: list[CatalogEntry]
) -> None:
    pid = str(catalog_entries[1].product.id)
    one = make_app().test_client()
    one.put(f"/api/v1/shopper/favorites/{pid}")
    cookie = one.get_cookie(COOKIE)
    assert cookie is not None
    two = make_app().test_client()  # a restarted server: state lives in Redis only
    two.set_cookie(COOKIE, cookie.value)
    assert [f["id"] for f in two.get("/api/v1/shopper/favorites").json["favorites"]] == [pid]
    # another browser sees nothing
    assert make_app().test_client().get("/api/v1/shopper/favorites").json["count"] == 0


def test_unknown_product_cannot_be_favorited(client: FlaskClient) -> None:
    response = client.put("/api/v1/shopper/favorites/no-such-product")
    assert response.status_code == 404 and response.json["error"] == "not_found"


def test_storefront_id_needs_a_token_and_is_namespaced(
    client: FlaskClient, token: Callable[..., dict[str, Any]], catalog_entries: list[CatalogEntry]
) -> None:
    pid = str(catalog_entries[2].product.id)
    refused = client.put(f"/api/v1/shopper/favorites/{pid}", headers={"X-Vitrine-Shopper": "alice"})
    assert refused.status_code == 401
    a = {"Authorization": f"Bearer {token('search')['access_token']}", "X-Vitrine-Shopper": "alice"}
    b = {"Authorization": f"Bearer {token('search')['access_token']}", "X-Vitrine-Shopper": "alice"}
    assert client.put(f"/api/v1/shopper/favorites/{pid}", headers=a).status_code == 201
    assert client.get("/api/v1/shopper", headers=a).json["kind"] == "storefront"
    assert client.get("/api/v1/shopper/favorites", headers=a).json["count"] == 1
    # The same shopper id under another storefront client is another shopper.
    assert client.get("/api/v1/shopper/favorites", headers=b).json["count"] == 0
    bad = client.get("/api/v1/shopper", headers={**a, "X-Vitrine-Shopper": "a b"})
    assert bad.status_code == 400


def test_history_records_first_pages_and_clears(client: FlaskClient) -> None:
    client.get("/api/v1/shopper")  # the browser has its cookie (a search without one is not kept)
    client.post("/api/v1/shopper/search", json={"text": "red dress", "k": 5})
    client.post("/api/v1/shopper/search", json={"text": "red dress", "k": 5, "offset": 5})  # same search
    client.post("/api/v1/shopper/search", json={"text": "black watch", "filters": {"gender": "men"}})
    entries = client.get("/api/v1/shopper/history").json["history"]
    assert [e["text"] for e in entries] == ["black watch", "red dress"]
    assert entries[0]["filters"] == {"gender": ["men"]}  # as the shopper sent them
    assert client.delete("/api/v1/shopper/history").json == {"cleared": 2}
    assert client.get("/api/v1/shopper/history").json["count"] == 0


def test_personal_search_matches_plain_search_without_a_profile(client: FlaskClient) -> None:
    plain = client.post("/api/v1/search", json={"text": "shirt", "k": 10}).json
    mine = client.post("/api/v1/shopper/search", json={"text": "shirt", "k": 10}).json
    assert _ids(mine) == _ids(plain)
    assert mine["personalization"]["taste"] is False
    assert "taste" not in mine["results"][0]["breakdown"]
    assert set(mine["facets"]) >= {"gender", "colour"}


def test_taste_term_reorders_and_is_explained(
    client: FlaskClient, catalog_entries: list[CatalogEntry]
) -> None:
    plain = client.post("/api/v1/shopper/search", json={"text": "casual", "k": 10}).json
    liked = [str(e.product.id) for e in catalog_entries if (e.product.colour or "") == "Black"][:5]
    for pid in liked:
        client.put(f"/api/v1/shopper/favorites/{pid}")
    client.post("/api/v1/shopper/clicks", json={"product_id": liked[0]})
    mine = client.post("/api/v1/shopper/search", json={"text": "casual", "k": 10}).json
    assert mine["personalization"] == {"taste": True, "enabled": True, "weight": 0.25,
                                       "favorites": len(liked), "clicks": 1}
    top = mine["results"][0]["breakdown"]
    assert top["taste"]["contribution"] == round(top["taste"]["weight"] * top["taste"]["s_taste"], 6)
    assert abs(mine["results"][0]["score"] - (top["base_score"] + top["taste"]["contribution"])) < 1e-5
    assert "w_taste * s_taste" in top["formula"]
    scores = [r["score"] for r in mine["results"]]
    assert scores == sorted(scores, reverse=True)
    assert _ids(mine) != _ids(plain)
    # Switched off per request, and then for the shopper: the plain order comes back.
    off = client.post("/api/v1/shopper/search", json={"text": "casual", "k": 10, "taste": False}).json
    assert _ids(off) == _ids(plain) and off["personalization"]["enabled"] is False
    assert client.put("/api/v1/shopper/preferences", json={"taste": False}).status_code == 200
    assert client.get("/api/v1/shopper").json["taste"] is False
    again = client.post("/api/v1/shopper/search", json={"text": "casual", "k": 10}).json
    assert _ids(again) == _ids(plain)


def test_similar_items_with_taste(client: FlaskClient, catalog_entries: list[CatalogEntry]) -> None:
    anchor = str(catalog_entries[3].product.id)
    for e in catalog_entries[10:14]:
        client.put(f"/api/v1/shopper/favorites/{e.product.id}")
    body = client.get(f"/api/v1/shopper/products/{anchor}/similar?k=6").json
    assert len(body["results"]) == 6 and anchor not in _ids(body)
    assert all("taste" in r["breakdown"] for r in body["results"])
    plain = client.get(f"/api/v1/shopper/products/{anchor}/similar?k=6&taste=false").json
    assert _ids(plain) == _ids(client.get(f"/api/v1/products/{anchor}/similar?k=6").json)


def test_personal_pages_stop_at_the_pool(client: FlaskClient, catalog_entries: list[CatalogEntry]) -> None:
    client.put(f"/api/v1/shopper/favorites/{catalog_entries[0].product.id}")
    bad = client.post("/api/v1/shopper/search", json={"text": "shirt", "k": 50, "offset": 60})
    assert bad.status_code == 400 and "at most 100" in bad.json["message"]
    last = client.post("/api/v1/shopper/search", json={"text": "shirt", "k": 50, "offset": 50}).json
    assert last["page"]["next_offset"] is None


def test_image_search_as_multipart(client: FlaskClient) -> None:
    import io

    from api_test_helpers import image_bytes

    client.get("/api/v1/shopper")  # the browser has its cookie, so its searches are kept
    response = client.post("/api/v1/shopper/search", data={
        "text": "shirt", "alpha": "0.7", "image": (io.BytesIO(image_bytes()), "photo.png")},
        content_type="multipart/form-data")
    assert response.status_code == 200, response.json
    assert response.json["results"][0]["breakdown"]["alpha"] == 0.7
    assert client.get("/api/v1/shopper/history").json["history"][0]["image"] is True


def test_bad_input_is_a_400(client: FlaskClient) -> None:
    assert client.post("/api/v1/shopper/search", json={"text": "x", "colour": "red"}).status_code == 400
    assert client.post("/api/v1/shopper/search", json={"text": "x", "taste": "maybe"}).status_code == 400
    assert client.put("/api/v1/shopper/preferences", json={"taste": "yes"}).status_code == 400
    assert client.post("/api/v1/shopper/clicks", json={"id": "1"}).status_code == 400


def test_redis_down_search_still_works_and_writes_say_503(
    make_app: Callable[..., Flask], catalog_entries: list[CatalogEntry]
) -> None:
    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.05, socket_timeout=0.05)
    client = make_app(redis=dead).test_client()
    found = client.post("/api/v1/shopper/search", json={"text": "shirt", "k": 3})
    assert found.status_code == 200 and len(found.json["results"]) == 3
    assert client.get("/api/v1/shopper/history").json["count"] == 0
    pid = str(catalog_entries[0].product.id)
    assert client.put(f"/api/v1/shopper/favorites/{pid}").status_code == 503


def test_a_results_page_of_photos_is_not_rate_limited(
    client: FlaskClient, catalog_entries: list[CatalogEntry]
) -> None:
    # Anonymous callers get 30 requests per minute per endpoint; a grid shows more photos than that.
    codes = set()
    for e in catalog_entries[:40]:
        with client.get(f"/api/v1/products/{e.product.id}/image") as response:  # files: close them
            codes.add(response.status_code)
    assert codes == {200}
    with client.get("/assets/app.js") as response:
        assert response.status_code == 200 and response.mimetype == "text/javascript"
    searches = {client.post("/api/v1/search", json={"text": "x", "k": 1}).status_code for _ in range(32)}
    assert 429 in searches  # search itself stays limited
