"""GET /products/{id}, /similar and /complete-the-look."""

from __future__ import annotations

import json

import pytest
from flask.testing import FlaskClient

from indexer import EdgeStore
from indexer.search.outfits import GENDERS, OCCASIONS, SEASONS

TOP = "10003"  # a men's top in the shared store's first 240 products
SHOES = "10035"


def test_get_product(client: FlaskClient) -> None:
    response = client.get(f"/api/v1/products/{TOP}")
    assert response.status_code == 200
    product = response.json["product"]
    assert product["id"] == TOP
    assert "content_hash" not in product and "model" not in product  # bookkeeping stays inside


@pytest.mark.parametrize("path", ["/api/v1/products/nope", "/api/v1/products/nope/similar",
                                  "/api/v1/products/nope/complete-the-look"])
def test_unknown_product_is_404_json(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.json["error"] == "not_found"
    assert "nope" in response.json["message"]


@pytest.mark.parametrize("by", ["image", "text", "both"])
def test_similar_excludes_the_anchor(client: FlaskClient, by: str) -> None:
    response = client.get(f"/api/v1/products/{TOP}/similar?by={by}&k=5")
    assert response.status_code == 200, response.json
    ids = [r["id"] for r in response.json["results"]]
    assert len(ids) == 5 and TOP not in ids
    assert response.json["by"] == by


def test_similar_honours_filters(client: FlaskClient) -> None:
    filters = json.dumps({"sub_category": "Shoes", "gender": "Women"})
    response = client.get(f"/api/v1/products/{TOP}/similar", query_string={"filters": filters, "k": 8})
    assert response.status_code == 200, response.json
    results = response.json["results"]
    assert results
    assert all(r["product"]["sub_category"] == "Shoes" and r["product"]["gender"] == "Women" for r in results)


@pytest.mark.parametrize(
    ("query", "needle"),
    [("by=colour", "by must be one of"), ("k=0", "k must be between"), ("k=abc", "whole number"),
     ("filters={bad", "JSON"), ("filters=" + "[" * 50_000, "nested too deeply"),
     ('filters={"size":"M"}', "filterable fields"), ("sort=price", "unknown")],
)
def test_similar_bad_parameters_are_400(client: FlaskClient, query: str, needle: str) -> None:
    response = client.get(f"/api/v1/products/{TOP}/similar?{query}")
    assert response.status_code == 400, response.json
    assert needle in response.json["message"]


@pytest.mark.parametrize("anchor", [TOP, SHOES])
def test_complete_the_look_follows_the_rules(client: FlaskClient, indexed_store: EdgeStore,
                                             anchor: str) -> None:
    response = client.get(f"/api/v1/products/{anchor}/complete-the-look")
    assert response.status_code == 200, response.json
    body = response.json
    a = body["anchor"]
    suggestions = body["suggestions"]
    assert len(suggestions) >= 2
    slots = [s["slot"] for s in suggestions]
    assert len(slots) == len(set(slots))  # one per slot
    for s in suggestions:
        p = s["product"]
        assert p["sub_category"] != a["sub_category"]
        assert p["gender"] in GENDERS[a["gender"]]
        if s["rules"]["occasion"]:
            assert p["occasion"] in OCCASIONS[a["occasion"]]
        if s["rules"]["season"]:
            assert p["season"] in SEASONS[a["season"]]
        assert s["reason"] and p["sub_category"] in s["reason"]


def test_bad_product_id_is_400(client: FlaskClient) -> None:
    response = client.get("/api/v1/products/" + "x" * 300)
    assert response.status_code == 400


def test_products_link_to_their_image_instead_of_a_server_path(client: FlaskClient) -> None:
    product = client.get(f"/api/v1/products/{TOP}").json["product"]
    assert product["image"] == f"/api/v1/products/{TOP}/image"
    results = client.post("/api/v1/search", json={"text": "shirt", "k": 3}).json["results"]
    assert all(r["product"]["image"].startswith("/api/v1/products/") for r in results)
    response = client.get(product["image"])
    assert response.status_code == 200
    assert response.mimetype == "image/jpeg"
    assert response.data[:3] == b"\xff\xd8\xff"
    response.close()
