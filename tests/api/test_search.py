"""POST /api/v1/search: text, uploads, filters, facets, pages, sorting."""

from __future__ import annotations

from flask.testing import FlaskClient

from indexer import EdgeStore, parse_filters


def test_text_search_returns_ranked_products_with_breakdown_and_timings(client: FlaskClient) -> None:
    response = client.post("/api/v1/search", json={"text": "blue shirt", "k": 5})
    assert response.status_code == 200, response.json
    body = response.json
    assert len(body["results"]) == 5
    scores = [r["score"] for r in body["results"]]
    assert scores == sorted(scores, reverse=True)
    first = body["results"][0]
    assert {"s_image", "s_text", "alpha", "weights"} <= set(first["breakdown"])
    assert first["product"]["title"]
    assert {"encode_ms", "candidates_ms", "rerank_ms", "facets_ms", "total_ms"} <= set(body["timings"])
    assert body["page"] == {"k": 5, "offset": 0, "returned": 5, "next_offset": 5,
                            "total_matching": body["page"]["total_matching"]}


def test_facets_count_the_matching_set(client: FlaskClient, indexed_store: EdgeStore) -> None:
    response = client.post("/api/v1/search", json={"text": "shoes", "filters": {"gender": "men"}})
    assert response.status_code == 200, response.json
    body = response.json
    spec = parse_filters({"gender": "Men"})
    assert body["filters"] == {"gender": ["Men"]}
    assert body["facets"]["gender"] == {"Men": indexed_store.count(spec)}
    assert body["page"]["total_matching"] == indexed_store.count(spec)
    assert sum(body["facets"]["season"].values()) == indexed_store.count(spec)
    assert all(r["product"]["gender"] == "Men" for r in body["results"])
