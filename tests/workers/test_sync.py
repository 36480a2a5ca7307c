"""Feed sync: Merchant Center and Shopify feeds, and only the difference is enqueued."""

from __future__ import annotations

import dataclasses
import functools
import http.server
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from workers import Ingestion, WorkerContext
from workers.feeds import FeedError, parse_merchant_center, parse_shopify
from workers.sync import sync_feed
from workers.worker import make_worker

GMC = (
    "id\ttitle\timage_link\tprice\tcolor\tgender\tproduct_type\tcustom_label_0\n"
    "S1\tLinen Shirt\t{base}/10000.jpg\t29.99 USD\tWhite\tmale\tApparel > Topwear > Shirts\tcasual\n"
    "S2\tLeather Belt\t{base}/10001.jpg\t15,50 EUR\tBrown\tunisex\tAccessories > Belts\t\n"
    "S3\tNo price\t{base}/10002.jpg\tfree\tRed\tfemale\tApparel\t\n"
    "S4\t\t{base}/10003.jpg\t9.99 USD\tRed\tfemale\tApparel\t\n"
)


def test_merchant_center_mapping() -> None:
    feed = parse_merchant_center(GMC.format(base="https://cdn.example/img"), "feed.tsv")
    assert [p.id for p in feed.products] == ["S1", "S2"]
    shirt, belt = feed.products
    assert (shirt.category, shirt.sub_category, shirt.article_type) == ("Apparel", "Topwear", "Shirts")
    assert (shirt.price, shirt.colour, shirt.gender, shirt.occasion) == (29.99, "White", "Men", "Casual")
    assert belt.price == 15.5 and belt.gender == "Unisex" and belt.occasion is None
    assert belt.image == "https://cdn.example/img/10001.jpg"
    reasons = {e.line: e.reason for e in feed.errors}
    assert "price 'free' is not a number" in reasons[4] and reasons[5] == "missing title"


def test_shopify_mapping() -> None:
    doc = {
        "products": [
            {
                "id": 101,
                "title": "Summer Dress",
                "product_type": "Dress",
                "tags": "Women, summer, party",
                "images": [{"src": "https://cdn.example/d.jpg"}],
                "variants": [{"price": "49.00"}, {"price": "39.00"}],
                "options": [{"name": "Color", "values": ["Red"]}],
            },
            {"id": 102, "title": "No image", "images": []},
            "not an object",
        ]
    }
    feed = parse_shopify(json.dumps(doc))
    dress = feed.products[0]
    assert (dress.id, dress.price, dress.colour, dress.occasion, dress.season, dress.gender) == (
        "101",
        39.0,
        "Red",
        "Party",
        "Summer",
        "Women",
    )
    assert [e.reason for e in feed.errors] == ["missing image", "each product must be an object"]
    with pytest.raises(FeedError, match="'products' list"):
        parse_shopify('{"items": []}')


class _QuietFiles(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def image_server(catalog_dir: Path) -> Iterator[str]:
    """The catalog photos over HTTP on loopback, as a storefront CDN would serve them."""
    handler = functools.partial(_QuietFiles, directory=str(catalog_dir / "images"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_sync_enqueues_only_the_difference(
    context: WorkerContext, ingestion: Ingestion, image_server: str, tmp_path: Path
) -> None:
    feed = tmp_path / "feed.tsv"
    feed.write_text(GMC.format(base=image_server))
    first = sync_feed(context.redis, str(feed), context.queue_settings)
    assert (first.new, first.changed, first.removed, len(first.errors)) == (["S1", "S2"], [], [], 2)
    make_worker(context).work(burst=True, with_scheduler=False, logging_level="WARNING")
    assert context.store.count() == 2

    again = sync_feed(context.redis, str(feed), context.queue_settings)
    assert (again.new, again.changed, again.removed, again.unchanged, again.jobs) == ([], [], [], 2, [])

    lines = GMC.format(base=image_server).splitlines()
    lines[1] = lines[1].replace("29.99 USD", "19.99 USD")  # S1 changed
    del lines[2]  # S2 removed
    lines.append(f"S5\tWool Scarf\t{image_server}/10004.jpg\t12 USD\tGrey\tfemale\tAccessories > Scarves\t")
    feed.write_text("\n".join(lines) + "\n")
    third = sync_feed(context.redis, str(feed), context.queue_settings)
    assert (third.new, third.changed, third.removed) == (["S5"], ["S1"], ["S2"])
    make_worker(context).work(burst=True, with_scheduler=False, logging_level="WARNING")
    stored = {p.product_id: p.payload for p in context.store.get(["S1", "S2", "S5"])}
    assert set(stored) == {"S1", "S5"} and stored["S1"]["price"] == 19.99
    assert ingestion.counts()["failed"] == 0


class _FlakyHost(http.server.ThreadingHTTPServer):
    """Serves catalog photos, or 503 for every request while ``down``."""

    daemon_threads = True
    down = False


@pytest.fixture
def flaky_host(catalog_dir: Path) -> Iterator[_FlakyHost]:
    images = catalog_dir / "images"

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.server.down:  # type: ignore[attr-defined]  # _FlakyHost
                self.send_error(503)
                return
            data = (images / self.path.lstrip("/")).read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = _FlakyHost(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def test_an_update_whose_image_failed_is_sent_again_by_the_next_sync(
    context: WorkerContext, ingestion: Ingestion, flaky_host: _FlakyHost, tmp_path: Path
) -> None:
    base = f"http://127.0.0.1:{flaky_host.server_address[1]}"
    # the host breaker (workers/hosts.py) skips a failing host for a while: keep that short here
    context.queue_settings = dataclasses.replace(context.queue_settings, host_cooldown_s=1)
    feed = tmp_path / "feed.tsv"
    rows = GMC.format(base=base).splitlines()[:3]  # S1 and S2
    feed.write_text("\n".join(rows) + "\n")
    sync_feed(context.redis, str(feed), context.queue_settings)
    make_worker(context).work(burst=True, with_scheduler=False, logging_level="WARNING")
    assert context.store.get(["S1"])[0].payload["price"] == 29.99

    # the price drops while the image host is down: the job fails, its retries too
    rows[1] = rows[1].replace("29.99 USD", "9.99 USD")
    rows.append(f"S6\tCanvas Tote\t{base}/10005.jpg\t20 USD\tBeige\tunisex\tAccessories > Bags\t")  # new
    feed.write_text("\n".join(rows) + "\n")
    flaky_host.down = True
    changed = sync_feed(context.redis, str(feed), context.queue_settings)
    assert (changed.changed, changed.new) == (["S1"], ["S6"])
    make_worker(context).work(burst=True, with_scheduler=False, logging_level="WARNING")
    assert ingestion.counts()["failed"] >= 1
    assert context.store.get(["S1"])[0].payload["price"] == 29.99 and not context.store.get(["S6"])

    # the host is back: the next sync sends both again, naming why they failed
    flaky_host.down = False
    time.sleep(1.2)  # the breaker's cool-down
    again = sync_feed(context.redis, str(feed), context.queue_settings)
    assert sorted(pid for pid, _ in again.retried) == ["S1", "S6"] and len(again.jobs) == 1
    assert all("503" in reason or "is down" in reason for _, reason in again.retried)
    make_worker(context).work(burst=True, with_scheduler=False, logging_level="WARNING")
    assert context.store.get(["S1"])[0].payload["price"] == 9.99
    assert context.store.get(["S6"])[0].payload["title"] == "Canvas Tote"
    # now confirmed: nothing more to send
    settled = sync_feed(context.redis, str(feed), context.queue_settings)
    assert (settled.unchanged, settled.retried, settled.jobs) == (3, [], [])
