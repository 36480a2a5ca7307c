"""The admin dashboard in a real browser: sign in, and numbers that match the API."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from ui_helpers import search, shot


def _call(url: str, body: dict[str, Any] | None = None, token: str | None = None) -> tuple[int, Any]:
    """(status, JSON) of one API call, with the standard library only."""
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as e:
        with e:
            return e.code, json.load(e)


def _token(server: str, client_id: str, secret: str) -> tuple[int, Any]:
    return _call(f"{server}/api/v1/auth/token", {"client_id": client_id, "client_secret": secret})


def _stats(server: str, client_id: str, secret: str) -> dict[str, Any]:
    _, pair = _token(server, client_id, secret)
    return _call(f"{server}/api/v1/admin/stats", token=pair["access_token"])[1]  # type: ignore[no-any-return]


def test_admin_login_and_dashboard_numbers_match_the_api(
    new_page: Callable[..., Any], server: str, admin_credentials: tuple[str, str]
) -> None:
    shop = new_page()
    for text in ("admin check shirt", "admin check shirt", "admin check watch"):
        search(shop, text)
    page = new_page("/admin")
    client_id, secret = admin_credentials
    page.fill("#client-id", client_id)
    page.fill("#client-secret", "wrong")
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#login-error:has-text('wrong secret')")
    page.fill("#client-secret", secret)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#top-table tbody tr td")
    page.wait_for_function("() => document.querySelector('#dash-status').textContent.startsWith('Updated')")
    api = _stats(server, client_id, secret)
    assert page.inner_text("#kpi-total") == str(api["totals"]["searches"])
    assert page.inner_text("#kpi-hour") == str(api["searches_last_hour"])
    assert page.inner_text("#kpi-points") == str(api["index"]["points"])
    assert page.inner_text("#kpi-model") == api["index"]["serving_model"]
    rows = page.locator("#top-table tbody tr").evaluate_all(
        "rs => rs.map(r => [r.cells[0].textContent, Number(r.cells[1].textContent)])")
    assert rows == [[q["query"], q["searches"]] for q in api["top_queries"]]
    assert ["admin check shirt", 2] in rows
    bars = page.locator("#spm-chart rect").evaluate_all("rs => rs.map(r => Number(r.dataset.value))")
    assert bars == [m["searches"] for m in api["searches_per_minute"]]
    latency = page.locator("#latency-table tbody tr").evaluate_all(
        "rs => rs.map(r => [r.cells[0].textContent, r.cells[1].textContent])")
    assert ["total", f"{api['latency_ms']['total']['p50']:.1f}"] in latency
    assert page.inner_text("[data-queue=queued] strong") == str(api["queue"]["queued"])
    shot(page, "10-admin", full_page=True)

    # client management: create one, see its secret once, sign in with it, delete it
    page.fill("#client-name", "ui storefront")
    page.click("#client-form button[type=submit]")
    page.wait_for_selector("#new-client-secret")
    new_id = page.inner_text("#new-client-id")
    new_secret = page.inner_text("#new-client-secret")
    status, pair = _token(server, new_id, new_secret)
    assert status == 200 and pair["scope"] == "search"
    row = page.locator("#clients-table tbody tr", has_text=new_id)
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button").click()
    page.wait_for_function(
        f"() => !document.querySelector('#clients-table').textContent.includes('{new_id}')")

    page.click("#logout")
    page.wait_for_selector("#login-view", state="visible", timeout=10_000)
    assert page.locator("#login-view").is_visible()


def test_a_search_client_cannot_open_the_dashboard(
    new_page: Callable[..., Any], ui_redis: Any
) -> None:
    from api.clients import create_client

    client_id, secret = create_client(ui_redis, ("search",), "no admin")
    page = new_page("/admin")
    page.fill("#client-id", client_id)
    page.fill("#client-secret", secret)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#login-error:has-text('no admin scope')")
    assert not page.locator("#dashboard").is_visible()
