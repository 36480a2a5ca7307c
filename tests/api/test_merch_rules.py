"""Rules on the real sample catalog: pin, hide, boost, bury, time windows, ordering, versions,
the preview, and a hidden product never / a pinned one always where it was pinned, on every page."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

Auth = dict[str, str]


@pytest.fixture
def admin(token: Callable[..., dict[str, Any]]) -> Auth:
    return {"Authorization": f"Bearer {token('admin')['access_token']}"}


def search(client: FlaskClient, **body: Any) -> dict[str, Any]:
    r = client.post("/api/v1/search", json={"text": "blue shirt", "k": 10, **body})
    assert r.status_code == 200, r.json
    return r.json  # type: ignore[no-any-return]


def ids(body: dict[str, Any]) -> list[str]:
    return [h["id"] for h in body["results"]]


def all_pages(client: FlaskClient, pages: int = 5, **body: Any) -> list[str]:
    out: list[str] = []
    for p in range(pages):
        out += ids(search(client, offset=p * 10, **body))
    return out


def add(client: FlaskClient, admin: Auth, rule: dict[str, Any]) -> dict[str, Any]:
    r = client.post("/api/v1/rules", json=rule, headers=admin)
    assert r.status_code == 201, r.json
    return r.json  # type: ignore[no-any-return]


def test_rules_need_the_admin_scope(client: FlaskClient, token: Callable[..., dict[str, Any]]) -> None:
    rule = {"name": "x", "consequences": {"banner": "hi"}}
    assert client.post("/api/v1/rules", json=rule).status_code == 401
    search_only = {"Authorization": f"Bearer {token('search')['access_token']}"}
    assert client.post("/api/v1/rules", json=rule, headers=search_only).status_code == 403


def test_a_pinned_product_is_where_it_was_pinned_and_a_hidden_one_never_appears(
    client: FlaskClient, admin: Auth
) -> None:
    before = all_pages(client)
    pinned, hidden = before[37], before[2]
    add(
        client,
        admin,
        {
            "name": "summer-sale",
            "conditions": {"query_contains": "shirt"},
            "consequences": {"pin": [{"product_id": pinned, "position": 3}], "hide": [hidden]},
        },
    )
    after = all_pages(client, pages=7)
    assert after[2] == pinned and after.count(pinned) == 1
    assert hidden not in after
    page1 = search(client)
    assert page1["results"][2]["breakdown"]["rules"] == ["pinned at 3 by rule 'summer-sale'"]
    assert page1["applied_rules"][0]["name"] == "summer-sale"
    for offset in range(0, 60, 7):  # pages that do not start on a multiple of 10 agree too
        page = ids(search(client, offset=offset, k=7))
        assert hidden not in page
        assert page == after[offset : offset + 7]
    other = search(client, text="black shoes", k=50)
    assert other["applied_rules"] == [] and hidden in ids(other) + ids(
        search(client, text="shirt", rules=False, k=50)
    )
    assert all("rules" not in h["breakdown"] for h in other["results"])


def test_a_product_outside_the_results_can_be_pinned(client: FlaskClient, admin: Auth) -> None:
    far = all_pages(client, pages=10, text="socks")[-1]
    add(
        client,
        admin,
        {
            "name": "pin-far",
            "conditions": {"query_equals": "Blue  Shirt"},
            "consequences": {"pin": [{"product_id": far, "position": 1}]},
        },
    )
    assert ids(search(client))[0] == far


def genders(body: dict[str, Any]) -> list[str]:
    return [h["product"].get("gender", "") for h in body["results"]]


def test_boost_and_bury_by_filter(client: FlaskClient, admin: Auth) -> None:
    plain = genders(search(client, k=50))
    assert plain.index("Men") < max(i for i, g in enumerate(plain) if g == "Women")  # mixed to begin with
    add(
        client,
        admin,
        {"name": "women-first", "consequences": {"boost": [{"filters": {"gender": "Women"}, "weight": 1.0}]}},
    )
    boosted = genders(search(client, k=50))
    women = [i for i, g in enumerate(boosted) if g == "Women"]
    assert women == list(range(len(women))) and women  # a full-weight boost puts every woman first
    client.patch(
        "/api/v1/rules/women-first",
        headers=admin,
        json={"consequences": {"bury": [{"filters": {"gender": "Women"}, "weight": 1.0}]}},
    )
    buried = search(client, k=50)
    assert "Women" not in genders(buried)[:10]
    notes = [
        h["breakdown"].get("rules", []) for h in buried["results"] if h["product"].get("gender") == "Women"
    ]
    assert all(n[0].startswith("buried by rule 'women-first'") for n in notes)


def test_time_windows_and_segments(client: FlaskClient, admin: Auth) -> None:
    now = time.time()
    add(
        client,
        admin,
        {"name": "later", "conditions": {"start": now + 3600}, "consequences": {"banner": "soon"}},
    )
    add(
        client,
        admin,
        {
            "name": "now",
            "conditions": {"start": now - 60, "end": now + 3600},
            "consequences": {"banner": "today"},
        },
    )
    add(client, admin, {"name": "past", "conditions": {"end": now - 1}, "consequences": {"banner": "gone"}})
    add(
        client, admin, {"name": "vip", "conditions": {"segments": ["vip"]}, "consequences": {"banner": "vip"}}
    )
    assert search(client)["banners"] == ["today"]
    assert search(client, segment="vip")["banners"] == ["today", "vip"]


def test_rules_apply_in_priority_order(client: FlaskClient, admin: Auth) -> None:
    first = ids(search(client))
    add(
        client,
        admin,
        {
            "name": "b-second",
            "priority": 2,
            "consequences": {"pin": [{"product_id": first[5], "position": 1}], "banner": "b"},
        },
    )
    add(
        client,
        admin,
        {
            "name": "a-first",
            "priority": 1,
            "consequences": {
                "pin": [{"product_id": first[6], "position": 1}],
                "banner": "a",
                "redirect": "/sale",
            },
        },
    )
    body = search(client)
    assert [r["name"] for r in body["applied_rules"]] == ["a-first", "b-second"]
    assert ids(body)[:2] == [first[6], first[5]]  # the later rule's pin goes just after
    assert body["banners"] == ["a", "b"] and body["redirect"] == "/sale"


def test_understood_and_filter_conditions(client: FlaskClient, admin: Auth) -> None:
    add(
        client,
        admin,
        {
            "name": "blue",
            "conditions": {"understood": {"colour": "Blue"}},
            "consequences": {"banner": "blue!"},
        },
    )
    add(
        client,
        admin,
        {
            "name": "men",
            "conditions": {"filters": {"gender": "Men"}},
            "consequences": {"add_filter": {"season": "Summer"}},
        },
    )
    assert search(client)["banners"] == ["blue!"]
    assert "banners" not in search(client, text="shirt")
    filtered = search(client, text="shirt", filters={"gender": "Men"}, k=20)
    assert filtered["results"] and all(h["product"]["season"] == "Summer" for h in filtered["results"])


def test_rules_are_versioned_and_deleted(client: FlaskClient, admin: Auth) -> None:
    assert add(client, admin, {"name": "v", "consequences": {"banner": "one"}})["version"] == 1
    r = client.patch("/api/v1/rules/v", json={"consequences": {"banner": "two"}}, headers=admin)
    assert r.json["version"] == 2 and r.json["updated_by"]
    got = client.get("/api/v1/rules/v", headers=admin).json
    assert [(h["version"], h["action"]) for h in got["history"]] == [(2, "update"), (1, "create")]
    assert got["history"][1]["rule"]["consequences"] == {"banner": "one"}
    assert (
        client.post(
            "/api/v1/rules", json={"name": "v", "consequences": {"banner": "x"}}, headers=admin
        ).status_code
        == 400
    )
    assert client.delete("/api/v1/rules/v", headers=admin).status_code == 204
    assert client.get("/api/v1/rules/v", headers=admin).status_code == 404
    assert "banners" not in search(client)


@pytest.mark.parametrize(
    ("rule", "says"),
    [
        ({"name": "x"}, "at least one consequence"),
        ({"name": "bad name!", "consequences": {"banner": "b"}}, "name"),
        ({"name": "x", "consequences": {"pin": [{"product_id": "1", "position": 0}]}}, "position"),
        ({"name": "x", "consequences": {"boost": [{"filters": {"gender": "Men"}, "weight": 3}]}}, "weight"),
        (
            {"name": "x", "conditions": {"colour": "red"}, "consequences": {"banner": "b"}},
            "unknown condition",
        ),
        ({"name": "x", "conditions": {"filters": {"nope": 1}}, "consequences": {"banner": "b"}}, "nope"),
        ({"name": "x", "consequences": {"redirect": "javascript:alert(1)"}}, "redirect"),
    ],
)
def test_bad_rules_get_a_clear_400(client: FlaskClient, admin: Auth, rule: dict[str, Any], says: str) -> None:
    r = client.post("/api/v1/rules", json=rule, headers=admin)
    assert r.status_code == 400 and says in r.json["message"]


def test_preview_shows_before_and_after_without_saving(client: FlaskClient, admin: Auth) -> None:
    first = ids(search(client))
    draft = {"name": "draft", "consequences": {"hide": [first[0]]}}
    r = client.post(
        "/api/v1/rules/preview", json={"search": {"text": "blue shirt"}, "rule": draft}, headers=admin
    )
    assert r.status_code == 200, r.json
    assert r.json["before"]["results"][0]["id"] == first[0]
    assert first[0] not in [h["id"] for h in r.json["after"]["results"]]
    assert client.get("/api/v1/rules", headers=admin).json == {"rules": []}


def test_pages_beyond_the_pool_still_lose_hidden_products(client: FlaskClient, admin: Auth) -> None:
    deep = ids(search(client, offset=100, k=20))
    assert deep
    add(client, admin, {"name": "deep-hide", "consequences": {"hide": deep[:3]}})
    after = ids(search(client, offset=100, k=20))
    assert after == deep[3:]


def test_a_search_no_reordering_rule_matches_keeps_the_core_ranking(client: FlaskClient, admin: Auth) -> None:
    plain = ids(search(client, text="black shoes"))
    add(
        client,
        admin,
        {
            "name": "dresses-only",
            "conditions": {"query_contains": "dress"},
            "consequences": {"hide": [plain[0]]},
        },
    )
    add(client, admin, {"name": "everywhere", "consequences": {"banner": "free delivery"}})
    body = search(client, text="black shoes")
    assert ids(body) == plain  # not re-ranked from the pool: the same page as without rules
    assert body["banners"] == ["free delivery"] and [r["name"] for r in body["applied_rules"]] == [
        "everywhere"
    ]
    assert plain[0] not in ids(search(client, text="red dress", k=50))
