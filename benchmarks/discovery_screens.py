"""Screenshots of discovery in the shop (docs/screenshots/): suggestions with thumbnails, and a
page refined by "more like this" / "less like this", over an indexed data directory served by
``vitrine serve``, in Debian's Chromium.

    python -m benchmarks.discovery_screens --data-dir /tmp/vitrine-relevance --collection relevance
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

from benchmarks.api_load import start_server
from benchmarks.suggest import start_redis

OUT = Path(__file__).resolve().parents[1] / "docs" / "screenshots"


def shoot(base: str, chromium: str, text: str) -> dict[str, object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(base_url=base, viewport={"width": 1280, "height": 900})
        page.goto("/")
        page.click("#q")
        page.keyboard.type("whit", delay=60)
        page.wait_for_selector("#suggest-list li")
        page.keyboard.press("ArrowDown")
        page.wait_for_function("() => document.querySelectorAll('#suggest-previews img').length === 3")
        page.wait_for_timeout(500)
        page.screenshot(path=str(OUT / "discovery-suggestions.png"))
        page.keyboard.press("Escape")
        page.fill("#q", text)
        with page.expect_response(lambda r: r.url.endswith("/shopper/search")):
            page.press("#q", "Enter")
        page.wait_for_timeout(800)
        page.screenshot(path=str(OUT / "discovery-recommend-1-search.png"))
        ids = page.eval_on_selector_all("#results .card", "c => c.map(x => x.dataset.id)")
        liked, disliked = ids[0], ids[1]
        with page.expect_response(lambda r: r.url.endswith("/recommend")):
            page.click(f'#results .card[data-id="{liked}"] [data-steer="more"]')
        page.wait_for_timeout(300)
        with page.expect_response(lambda r: r.url.endswith("/recommend")) as answer:
            page.click(f'#results .card[data-id="{disliked}"] [data-steer="less"]')
        page.wait_for_timeout(800)
        page.screenshot(path=str(OUT / "discovery-recommend-2-refined.png"))
        body = answer.value.json()
        browser.close()
    return {"text": text, "liked": liked, "disliked": disliked,
            "top": [(r["id"], r["product"]["title"], r["breakdown"]["pulled_by"])
                    for r in body["results"][:5]]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.discovery_screens")
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--collection", default="products")
    parser.add_argument("--text", default="blue shirt")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="vitrine-screens-") as tmp:
        redis_proc, redis_url = start_redis(tmp)
        os.environ["VITRINE_COLLECTION"] = args.collection
        proc, base = start_server(args.data_dir, None, redis_url, threads=8)
        try:
            print(json.dumps(shoot(base, args.chromium, args.text), indent=1))
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            redis_proc.terminate()
            redis_proc.wait(timeout=10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
