"""The storefront page in a real browser: search, photos, fusion, filters, product pages,
favourites, history, themes, a phone, the keyboard, and the loading/empty/error states."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from ui_helpers import CARDS, PHONE, card_ids, photo, png, search, settle, shot


def test_text_search_shows_results_with_explanations(page: Any) -> None:
    shot(page, "01-home")
    body = search(page, "black casual shirt")
    assert page.locator(CARDS).count() == len(body["results"]) > 0
    assert card_ids(page) == [r["id"] for r in body["results"]]
    assert "shown" in page.inner_text("#summary")
    first = page.locator(CARDS).first
    assert first.locator("img").get_attribute("loading") in ("eager", "lazy")
    assert page.locator(CARDS).nth(6).locator("img").get_attribute("loading") == "lazy"
    first.locator("summary", has_text="Why this result").click()
    why = first.locator("details.why table").inner_text()
    expected = body["results"][0]["breakdown"]
    assert "s_image" in why and f"{expected['s_text']:.3f}" in why
    shot(page, "02-results")
    assert page.js_errors == []


def test_photo_upload_searches_by_image(page: Any) -> None:
    with page.expect_response(lambda r: r.url.endswith("/shopper/search")) as answer:
        page.set_input_files("#photo", files=[photo("look.png", "navy")])
    assert answer.value.request.headers["content-type"].startswith("multipart/form-data")
    settle(page)
    assert page.locator("#image-chip").is_visible()
    assert page.locator(CARDS).count() > 0
    assert answer.value.json()["results"][0]["breakdown"]["alpha"] == 1.0  # photo alone
    assert "your photo" in page.inner_text("#summary")
    shot(page, "03-photo-search")


def test_fusion_slider_reorders_results(page: Any) -> None:
    page.set_input_files("#photo", files=[photo("red.png", "red")])
    settle(page)
    search(page, "white sports shoes")
    with page.expect_response(lambda r: r.url.endswith("/shopper/search")):
        page.fill("#fusion", "0")
    settle(page)
    words = card_ids(page)
    assert page.inner_text("#fusion-out") == "words only"
    with page.expect_response(lambda r: r.url.endswith("/shopper/search")) as answer:
        page.fill("#fusion", "100")
    settle(page)
    by_photo = card_ids(page)
    assert answer.value.json()["results"][0]["breakdown"]["alpha"] == 1.0
    assert words != by_photo


def test_a_filter_narrows_results_and_counts(page: Any) -> None:
    before = search(page, "shirt")
    total = before["page"]["total_matching"]
    colour = next(v for v, n in before["facets"]["colour"].items() if 0 < n < total)
    expected = before["facets"]["colour"][colour]
    box = page.locator('fieldset[data-facet="colour"] label', has_text=colour).first
    with page.expect_response(lambda r: r.url.endswith("/shopper/search")) as answer:
        box.locator("input").check()
    after = answer.value.json()
    settle(page)
    assert after["page"]["total_matching"] == expected < before["page"]["total_matching"]
    assert f"of {expected} matching" in page.inner_text("#summary")
    metas = page.locator(f"{CARDS} .meta").all_inner_texts()
    assert metas and all(m.startswith(colour) for m in metas)
    genders = after["facets"]["gender"]
    for value, n in genders.items():
        label = page.locator('fieldset[data-facet="gender"] label', has_text=value).first
        assert label.locator(".count").inner_text() == str(n)
    assert sum(genders.values()) == expected
    shot(page, "04-filtered")


def test_product_page_has_similar_items_and_complete_the_look(page: Any) -> None:
    search(page, "shirt")
    first = page.locator(CARDS).first
    product_id = first.get_attribute("data-id")
    first.locator(".title").click()
    page.wait_for_selector("#similar .card:not(.skeleton)")
    assert page.url.endswith(f"#/product/{product_id}")
    assert page.locator("article.product h1").inner_text()
    similar = page.locator("#similar .card").evaluate_all("cs => cs.map(c => c.dataset.id)")
    assert similar and product_id not in similar
    page.wait_for_selector("#look .card:not(.skeleton), p.status")
    assert page.locator("#look .card .reason").count() >= 1
    shot(page, "05-product", full_page=True)
    page.click("a.back")
    # going back is a hash change, rendered on the next event: wait for it rather than race it
    page.wait_for_selector("#search-view", state="visible", timeout=10_000)
    assert page.locator("#search-view").is_visible()


def test_favorite_survives_a_reload(page: Any) -> None:
    search(page, "watch")
    heart = page.locator(f"{CARDS} .fav").first
    product_id = heart.get_attribute("data-fav")
    with page.expect_response(lambda r: "/shopper/favorites/" in r.url):
        heart.click()
    assert heart.get_attribute("aria-pressed") == "true"
    assert page.inner_text("#fav-count") == "1"
    page.reload()
    page.wait_for_function("() => document.querySelector('#fav-count').textContent === '1'")
    page.click("#nav-favorites")
    page.wait_for_selector("#favorites .card")
    assert page.locator("#favorites .card").evaluate_all("cs => cs.map(c => c.dataset.id)") == [product_id]
    shot(page, "06-favorites")


def test_history_lists_and_clears_searches(page: Any) -> None:
    search(page, "red dress")
    search(page, "leather belt")
    page.click("#nav-history")
    page.wait_for_selector("#history li")
    assert page.locator("#history li strong").all_inner_texts() == ["leather belt", "red dress"]
    shot(page, "07-history")
    page.locator("#history li").nth(1).get_by_role("button", name="Search again").click()
    settle(page)
    assert page.input_value("#q") == "red dress" and page.locator(CARDS).count() > 0
    page.click("#nav-history")
    page.click("#clear-history")
    page.wait_for_selector("text=No searches yet")


def test_theme_follows_the_system_and_the_toggle_sticks(new_page: Callable[..., Any]) -> None:
    page = new_page(color_scheme="dark")
    background = "getComputedStyle(document.body).backgroundColor"
    dark = page.evaluate(background)
    assert page.get_attribute("#theme-toggle", "aria-label") == "Switch to light theme"
    page.click("#theme-toggle")
    light = page.evaluate(background)
    assert light != dark and page.get_attribute("html", "data-theme") == "light"
    page.reload()
    assert page.evaluate(background) == light
    page.click("#theme-toggle")
    search(page, "jacket")
    shot(page, "08-dark")


def test_phone_viewport(new_page: Callable[..., Any]) -> None:
    page = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    assert page.get_attribute("#photo", "capture") == "environment"
    search(page, "sandals")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    columns = page.evaluate(
        "getComputedStyle(document.querySelector('#results')).gridTemplateColumns.split(' ').length")
    assert columns == 2
    assert not page.locator("#facets").is_visible()
    page.click("#filters-toggle")
    page.wait_for_selector("#facets", state="visible", timeout=10_000)
    assert page.locator("#facets").is_visible()
    page.click("#filters-toggle")
    shot(page, "09-phone")


def test_keyboard_only_search_and_open(page: Any) -> None:
    page.keyboard.press("Tab")  # the skip link comes first
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.focus("#q")
    page.keyboard.type("blue jeans")
    with page.expect_response(lambda r: r.url.endswith("/shopper/search")):
        page.keyboard.press("Enter")
    settle(page)
    page.locator(f"{CARDS} .title").first.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("article.product h1")


def test_loading_empty_and_error_states(page: Any) -> None:
    page.click("#search-form button[type=submit]")
    assert "What are you looking for?" in page.inner_text("#status")
    page.route("**/api/v1/shopper/search", lambda route: route.fulfill(
        status=503, content_type="application/json",
        body='{"error": "store_unavailable", "message": "The catalog is being updated."}'))
    page.fill("#q", "coat")
    page.press("#q", "Enter")
    page.wait_for_selector(".status.error")
    assert "The catalog is being updated." in page.inner_text("#status")
    page.unroute("**/api/v1/shopper/search")
    page.route("**/api/v1/shopper/search", lambda route: route.fulfill(
        status=200, content_type="application/json",
        body=json.dumps({"results": [], "facets": {}, "page": {"next_offset": None, "total_matching": 0},
                         "timings": {"total_ms": 1}})))
    page.get_by_role("button", name="Try again").click()
    page.wait_for_selector("text=No matches")


def test_a_search_can_be_bookmarked(new_page: Callable[..., Any]) -> None:
    page = new_page()
    search(page, "leather watch")
    assert page.url.endswith("/?q=leather+watch")
    again = new_page("/?q=leather%20watch")
    again.wait_for_selector(CARDS)
    assert again.input_value("#q") == "leather watch"
    settle(again)
    assert card_ids(again) == card_ids(page)


def test_taste_shows_in_the_explanation_and_can_be_switched_off(page: Any) -> None:
    search(page, "black")
    for heart in page.locator(f"{CARDS} .fav").all()[:3]:
        with page.expect_response(lambda r: "/shopper/favorites/" in r.url):
            heart.click()
    body = search(page, "bag")
    assert body["personalization"]["taste"] is True
    first = page.locator(CARDS).first
    first.locator("summary").click()
    why = first.locator("details.why").inner_text()
    assert "Your taste" in why and "Taste contribution" in why and "w_taste * s_taste" in why
    shot(page, "11-taste-why")
    with page.expect_response(lambda r: r.url.endswith("/shopper/search")) as answer:
        page.uncheck("#taste")
    assert answer.value.json()["personalization"]["taste"] is False
    settle(page)
    page.locator(CARDS).first.locator("summary").click()
    assert "Your taste" not in page.locator(CARDS).first.locator("details.why").inner_text()
    page.reload()
    page.wait_for_function("() => !document.querySelector('#taste').checked")  # the switch is kept


DISPATCH_FILE = """([kind, b64]) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const data = new DataTransfer();
  data.items.add(new File([bytes], "dropped.png", { type: "image/png" }));
  const event = kind === "paste"
    ? new ClipboardEvent("paste", { clipboardData: data, bubbles: true })
    : new DragEvent("drop", { dataTransfer: data, bubbles: true, cancelable: true });
  document.querySelector(kind === "paste" ? "#q" : "#drop-zone").dispatchEvent(event);
}"""


def test_drop_and_paste_a_photo(page: Any) -> None:
    encoded = base64.b64encode(png("olive")).decode()
    for kind in ("drop", "paste"):
        with page.expect_response(lambda r: r.url.endswith("/shopper/search")) as answer:
            page.evaluate(DISPATCH_FILE, [kind, encoded])
        assert answer.value.request.headers["content-type"].startswith("multipart/form-data"), kind
        settle(page)
        assert page.inner_text("#image-name") == "dropped.png"
        assert page.locator(CARDS).count() > 0
        page.click("#image-clear")
        assert not page.locator("#image-chip").is_visible()


def test_understood_words_are_chips_that_can_be_removed(page: Any) -> None:
    body = search(page, "white shooes")
    assert body["did_you_mean"] == "white shoes"
    assert page.locator(".chip .chip-label", has_text="White").count() == 1
    assert "showing results for 'white shoes'" in page.inner_text(".notices")
    with page.expect_response(lambda r: r.url.endswith("/api/v1/shopper/search")) as answer:
        page.click("button[aria-label='Stop using White']")
    settle(page)
    assert answer.value.request.post_data_json["ignore"] == ["colour"]
    assert page.locator(".chip.ignored .chip-label", has_text="White").count() == 1
    page.click(".did-you-mean a")  # the corrected words go in the box
    settle(page)
    assert page.input_value("#q") == "white shoes"
    shot(page, "understood-chips")
    assert page.js_errors == []
