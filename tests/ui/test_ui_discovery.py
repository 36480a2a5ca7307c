"""Discovery in a real browser: suggestions under the search box (keyboard, thumbnails), more /
less like this refining the page, and shoppers also clicked on the product page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ui_helpers import CARDS, card_ids, search, settle, shot

LIST = "#suggest-list"
ITEMS = "#suggest-list li"


def _selected(page: Any) -> list[str]:
    return page.eval_on_selector_all(ITEMS, "li => li.map(x => x.getAttribute('aria-selected'))")  # type: ignore[no-any-return]


def test_suggestions_with_the_keyboard(page: Any) -> None:
    page.click("#q")
    with page.expect_response(lambda r: r.url.endswith("/suggest?q=watc")):
        page.keyboard.type("watc", delay=40)
    page.wait_for_function("() => [...document.querySelectorAll('#suggest-list .suggest-text')]"
                           ".every(x => x.textContent.toLowerCase().includes('watch'))")
    texts = page.eval_on_selector_all(ITEMS + " .suggest-text", "s => s.map(x => x.textContent)")
    assert texts and len(texts) <= 8 and all("watch" in t.casefold() for t in texts)
    assert page.get_attribute("#q", "aria-expanded") == "true"
    page.keyboard.press("ArrowDown")
    assert _selected(page)[0] == "true" and page.get_attribute("#q", "aria-activedescendant") == "suggest-0"
    page.wait_for_function("() => document.querySelectorAll('#suggest-previews img').length === 3")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowUp")
    assert _selected(page).index("true") == 1
    shot(page, "20-suggestions")
    page.keyboard.press("Escape")
    assert page.locator(LIST).is_hidden() and page.get_attribute("#q", "aria-expanded") == "false"
    with page.expect_response(lambda r: r.url.endswith("/suggest?q=watch")):
        page.keyboard.type("h", delay=40)  # typing again opens them again
    page.wait_for_selector(ITEMS)
    page.keyboard.press("ArrowDown")
    chosen = page.inner_text("#suggest-0 .suggest-text")
    with page.expect_response(lambda r: r.url.endswith("/api/v1/shopper/search")) as answer:
        page.keyboard.press("Enter")
    assert answer.value.request.post_data_json["text"] == chosen
    settle(page)
    assert page.input_value("#q") == chosen and page.locator(LIST).is_hidden()
    assert page.locator(CARDS).count() > 0
    assert page.js_errors == []


def test_enter_without_a_highlight_searches_what_was_typed(page: Any) -> None:
    page.click("#q")
    page.keyboard.type("black shirt", delay=20)
    page.wait_for_selector(ITEMS)
    with page.expect_response(lambda r: r.url.endswith("/api/v1/shopper/search")) as answer:
        page.keyboard.press("Enter")
    assert answer.value.request.post_data_json["text"] == "black shirt"


def test_more_and_less_like_this_refine_the_page(page: Any) -> None:
    search(page, "shirt")
    first, second = card_ids(page)[:2]
    with page.expect_response(lambda r: r.url.endswith("/api/v1/recommend")) as answer:
        page.click(f'{CARDS}[data-id="{first}"] [data-steer="more"]')
    body = answer.value.json()
    sent = answer.value.request.post_data_json
    assert sent == {"positive": [first], "negative": [], "k": 24, "text": "shirt"}
    settle(page)
    assert card_ids(page) == [r["id"] for r in body["results"]] and first not in card_ids(page)
    assert "1 more like, 0 less like" in page.inner_text("#steer-bar")
    target = card_ids(page)[0]
    with page.expect_response(lambda r: r.url.endswith("/api/v1/recommend")) as answer:
        page.click(f'{CARDS}[data-id="{target}"] [data-steer="less"]')
    settle(page)
    assert target not in card_ids(page)
    reasons = page.eval_on_selector_all(".steer-reason", "r => r.map(x => x.textContent)")
    assert reasons and all(f"#{first}" in r and f"#{target}" in r for r in reasons)
    assert page.input_value("#q") == "shirt"  # refined without retyping
    shot(page, "21-more-less-like-this")
    page.click("#steer-clear")
    settle(page)
    assert page.locator("#steer-bar").is_hidden() and second in card_ids(page)
    assert page.js_errors == []


def test_product_page_shows_shoppers_also_clicked(new_page: Callable[..., Any]) -> None:
    page = new_page("/#/product/10000")
    page.wait_for_selector("#also-clicked .card")
    assert 0 < page.locator("#also-clicked .card").count() <= 4
    assert "10000" not in page.eval_on_selector_all("#also-clicked .card", "c => c.map(x => x.dataset.id)")
    assert page.js_errors == []
