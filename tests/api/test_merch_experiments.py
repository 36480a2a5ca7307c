"""A/B tests through the API: variants by shopper, answers carrying experiment and variant,
results per variant from events; business terms per request, explained in the breakdown."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from indexer.merch.experiments import assign, parse_experiment

EXPERIMENT = {
    "id": "pop-test",
    "variants": [
        {"name": "control", "share": 0.5},
        {"name": "popular", "share": 0.5, "settings": {"business": {"popularity": 1.0}, "alpha": 0.3}},
    ],
}


@pytest.fixture
def admin(token: Callable[..., dict[str, Any]]) -> dict[str, str]:
    return {"Authorization": f"Bearer {token('admin')['access_token']}"}


def search(client: FlaskClient, **body: Any) -> dict[str, Any]:
    r = client.post("/api/v1/search", json={"text": "blue shirt", "k": 5, **body})
    assert r.status_code == 200, r.json
    return r.json  # type: ignore[no-any-return]


def test_answers_carry_the_shoppers_variant_and_results_count_per_variant(
    client: FlaskClient, admin: dict[str, str]
) -> None:
    r = client.post("/api/v1/experiments", json=EXPERIMENT, headers=admin)
    assert r.status_code == 201, r.json
    exp = parse_experiment(EXPERIMENT)
    now, events, served = time.time(), [], {"control": 0, "popular": 0}
    for i in range(12):
        shopper = f"shopper-{i}"
        body = search(client, shopper_id=shopper)
        assert body["experiment"] == "pop-test"
        assert body["variant"] == assign(exp, shopper).name
        served[body["variant"]] += 1
        if body["variant"] == "popular":
            assert "popularity" in body["results"][0]["breakdown"]["business"]["terms"]
        if i % 3 == 0:
            events.append(
                {
                    "id": f"c{i}",
                    "type": "click",
                    "product_id": body["results"][0]["id"],
                    "query_id": body["query_id"],
                    "position": 1,
                    "shopper_id": shopper,
                    "timestamp": now,
                }
            )
    assert "experiment" not in search(client)  # no shopper id: no experiment
    client.post("/api/v1/events", json={"events": events})
    res = client.get("/api/v1/experiments/pop-test/results", headers=admin).json
    rows = {row["variant"]: row for row in res["results"]}
    assert {k: rows[k]["searches"] for k in rows} == served
    clicked = {"control": 0, "popular": 0}
    for i in range(0, 12, 3):
        clicked[assign(exp, f"shopper-{i}").name] += 1
    for name in rows:
        assert rows[name]["ctr"] == (round(clicked[name] / served[name], 6) if served[name] else None)
    assert rows["popular"]["verdict"] == "not yet significant"
    stopped = client.post("/api/v1/experiments/pop-test/stop", headers=admin).json
    assert stopped["status"] == "stopped"
    assert "experiment" not in search(client, shopper_id="shopper-1")


def test_experiments_need_admin_and_valid_variants(client: FlaskClient, admin: dict[str, str]) -> None:
    assert client.post("/api/v1/experiments", json=EXPERIMENT).status_code == 401
    bad = {**EXPERIMENT, "variants": EXPERIMENT["variants"][:1]}
    r = client.post("/api/v1/experiments", json=bad, headers=admin)
    assert r.status_code == 400 and "2 to 10 variants" in r.json["message"]


def test_business_weights_per_request_show_every_term(client: FlaskClient) -> None:
    body = search(client, business={"popularity": 0.5, "recency": 0.3}, k=10)
    bd = body["results"][0]["breakdown"]
    assert set(bd["business"]["terms"]) == {"popularity", "recency"}
    assert bd["business"]["cap"] == 0.15 and "relevance" in bd
    bad = client.post("/api/v1/search", json={"text": "x", "business": {"price": 1}})
    assert bad.status_code == 400 and "unknown business term" in bad.json["message"]


FUSION_EXPERIMENT = {
    "id": "fusion-test",
    "variants": [
        {"name": "control", "share": 0.5},
        {"name": "keywords", "share": 0.5,
         "settings": {"fusion": {"method": "weighted",
                                 "weights": {"image": 0, "text": 0, "keyword": 1, "attributes": 0}}}},
    ],
}


def test_a_variants_fusion_weights_change_the_ranking_for_its_shoppers_only(
    client: FlaskClient, admin: dict[str, str]
) -> None:
    plain = search(client, k=10)
    r = client.post("/api/v1/experiments", json=FUSION_EXPERIMENT, headers=admin)
    assert r.status_code == 201, r.json
    exp = parse_experiment(FUSION_EXPERIMENT)
    seen = set()
    for i in range(10):
        shopper = f"fusion-shopper-{i}"
        body = search(client, k=10, shopper_id=shopper)
        assert body["variant"] == assign(exp, shopper).name
        seen.add(body["variant"])
        ids = [h["id"] for h in body["results"]]
        weights = body["results"][0]["breakdown"]["weights"]
        if body["variant"] == "control":
            assert ids == [h["id"] for h in plain["results"]]
            assert weights == plain["results"][0]["breakdown"]["weights"]
        else:
            assert ids != [h["id"] for h in plain["results"]]
            assert weights["image"] == 0 and weights["keyword"] == 1
            keyword = [h["breakdown"]["s_keyword"] for h in body["results"]]
            assert keyword == sorted(keyword, reverse=True)  # ranked by the keyword term alone
    assert seen == {"control", "keywords"}
    anonymous = search(client, k=10)  # no shopper id: no experiment, the collection's fusion
    assert [h["id"] for h in anonymous["results"]] == [h["id"] for h in plain["results"]]


def test_a_variants_fusion_settings_are_checked(client: FlaskClient, admin: dict[str, str]) -> None:
    cases = (({"method": "borda"}, "fusion method"), ({"weights": {"colour": 1}}, "fusion weights"),
             ({"rrf_k": 0}, "rrf_k"), ({"speed": 1}, "fusion may set"))
    for fusion, words in cases:
        bad = {"id": "bad-fusion", "variants": [{"name": "a", "share": 0.5},
                                                 {"name": "b", "share": 0.5, "settings": {"fusion": fusion}}]}
        r = client.post("/api/v1/experiments", json=bad, headers=admin)
        assert r.status_code == 400 and words in r.json["message"], r.json
