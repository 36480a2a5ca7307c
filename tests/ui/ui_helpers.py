"""Helpers for the browser tests (importable from the test modules, unlike conftest)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from PIL import Image

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "ui"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--no-first-run", "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
CARDS = "#results .card:not(.skeleton)"


def shot(page: Any, name: str, full_page: bool = False) -> None:
    """Save a screenshot under test-artifacts/ui/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)


def search(page: Any, text: str) -> dict[str, Any]:
    """Type ``text`` and press Enter; returns the API's answer once the cards are shown."""
    page.fill("#q", text)
    with page.expect_response(lambda r: r.url.endswith("/api/v1/shopper/search")) as answer:
        page.press("#q", "Enter")
    body: dict[str, Any] = answer.value.json()
    settle(page)
    return body


def settle(page: Any) -> None:
    """Wait until no search is in flight and the result list is drawn."""
    page.wait_for_function("() => !document.querySelector('#results[aria-busy]')")


def card_ids(page: Any) -> list[str]:
    return page.eval_on_selector_all(CARDS, "cards => cards.map(c => c.dataset.id)")  # type: ignore[no-any-return]


def png(colour: str = "black", size: tuple[int, int] = (64, 64)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def photo(name: str, colour: str) -> dict[str, Any]:
    """A file for ``set_input_files``: a plain PNG of one colour."""
    return {"name": name, "mimeType": "image/png", "buffer": png(colour)}
