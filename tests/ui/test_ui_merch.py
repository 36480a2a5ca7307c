"""Merchandising in a real browser: the storefront sends view and click events, the dashboard's
event numbers match GET /analytics/report, and the rules editor previews before and after."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from test_ui_admin import _call, _token
from ui_helpers import card_ids, search, shot


def _sign_in(page: Any, client_id: str, secret: str) -> None:
    page.fill("#client-id", client_id)
    page.fill("#client-secret", secret)
    page.click("#login-form button[type=submit]")


def test_storefront_events_reach_the_dashboard_and_match_the_api(
    new_page: Callable[..., Any], server: str, admin_credentials: tuple[str, str]
) -> None:
    shop = new_page()
    answer = search(shop, "merch check shirt")
    first = card_ids(shop)[0]
    with shop.expect_response(lambda r: r.url.endswith("/api/v1/events")) as sent:
        shop.click(f"li.card[data-id='{first}'] a.title")
    assert sent.value.status == 202
    client_id, secret = admin_credentials
    _, pair = _token(server, client_id, secret)
    _, report = _call(f"{server}/api/v1/analytics/report", token=pair["access_token"])
    mine = next(q for q in report["queries"] if q["query"] == "merch check shirt")
    assert mine["clicks"] >= 1 and answer["query_id"]
    page = new_page("/admin")
    _sign_in(page, client_id, secret)
    page.wait_for_function("() => document.querySelector('#an-searches').textContent !== '–'")
    _, report = _call(f"{server}/api/v1/analytics/report", token=pair["access_token"])
    assert page.inner_text("#an-searches") == str(report["overall"]["searches"])
    assert page.inner_text("#an-ctr") == f"{report['overall']['ctr'] * 100:.1f}%"
    rows = page.locator("#an-queries tbody tr").evaluate_all("rs => rs.map(r => r.cells[0].textContent)")
    assert rows == [q["query"] for q in report["queries"]]
    assert not page.js_errors
    shot(page, "11-admin-merch", full_page=True)


def test_rule_editor_previews_before_and_after(
    new_page: Callable[..., Any], admin_credentials: tuple[str, str]
) -> None:
    page = new_page("/admin")
    _sign_in(page, *admin_credentials)
    page.wait_for_selector("#preview-before li")
    before = page.locator("#preview-before li").all_inner_texts()
    page.fill("#preview-q", "shirt")
    rule = '{"name": "ui-hide", "consequences": {"banner": "Shirts week"}}'
    page.fill("#rule-json", rule)
    page.wait_for_selector("#preview-after li:has-text('Banner: Shirts week')")
    assert before and not page.js_errors
