"""Feed formats and transport: Merchant Center XML (RSS and Atom), Shopify pages from a URL,
the feed size cap, and one-line errors for URLs that cannot be read."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner

from cli.main import cli
from settings.queue import QueueSettings
from tests.conftest import SHARED_FEEDS
from workers.feed_source import FeedSourceError, read_feed
from workers.feeds import parse_feed

FEEDS = SHARED_FEEDS
pytestmark = pytest.mark.skipif(not FEEDS.is_dir(), reason="the shared feeds are not on this machine")

ATOM = """<?xml version="1.0"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:g="http://base.google.com/ns/1.0">
  <title>Shop</title>
  <entry>
    <g:id>A1</g:id><title>Wool Coat</title><link href="https://shop.example/a1"/>
    <g:image_link>https://cdn.example/a1.jpg</g:image_link>
    <g:price>1.299,00 EUR</g:price><g:availability>out of stock</g:availability>
    <g:shipping><g:price>5.00 EUR</g:price></g:shipping>
  </entry>
</feed>"""


def test_merchant_center_xml_rss_and_atom() -> None:
    rss = parse_feed((FEEDS / "merchant-center-apparel.xml").read_text(), "apparel.xml")
    [watch] = rss.products
    assert (rss.rows, rss.variants, watch.id, watch.price, watch.currency) == (2, 2, "dz1", 105.29, "USD")
    assert {v["colour"] for v in watch.variants or []} == {"Black", "White/Yellow"}
    atom = parse_feed(ATOM, "atom.xml")
    [coat] = atom.products
    # the shipping price (a nested g:price) is not the product's price
    assert (coat.id, coat.title, coat.price, coat.currency, coat.in_stock) == ("A1", "Wool Coat", 1299.0,
                                                                             "EUR", False)


@pytest.fixture
def shop() -> Iterator[str]:
    """The shared Shopify dump served 10 products a page, as /products.json?page=N."""
    products = json.loads((FEEDS / "shopify-fashion-products.json").read_text())["products"]

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            page = int(parse_qs(urlsplit(self.path).query).get("page", ["1"])[0])
            body = json.dumps({"products": products[(page - 1) * 10: page * 10]}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/products.json"
    server.shutdown()
    server.server_close()


def test_a_shopify_url_is_read_page_by_page(shop: str) -> None:
    settings = QueueSettings.from_env({"VITRINE_FETCH_ALLOW_HOSTS": "127.0.0.1"})
    feed = parse_feed(read_feed(shop, settings), shop)
    assert len(feed.products) == 30 and feed.variants == 164


def test_feed_urls_that_cannot_be_read_say_why_in_one_line(shop: str, tmp_path: Path) -> None:
    settings = QueueSettings()
    cases = {
        shop: "non-public address",  # loopback, not allowed
        "http://no-such-host.invalid/feed.tsv": "does not resolve",
        "ftp://example.com/feed.tsv": "a file or an http\\(s\\) URL",
    }
    for url, reason in cases.items():
        with pytest.raises(FeedSourceError, match=reason) as caught:
            read_feed(url, settings)
        assert "\n" not in str(caught.value) and "image" not in str(caught.value)
    small = QueueSettings.from_env(
        {"VITRINE_FEED_MAX_BYTES": "1000", "VITRINE_FETCH_ALLOW_HOSTS": "127.0.0.1"}
    )
    with pytest.raises(FeedSourceError, match="VITRINE_FEED_MAX_BYTES"):
        read_feed(str(FEEDS / "merchant-center-variants.csv"), small)
    with pytest.raises(FeedSourceError, match="larger than 1,000 bytes"):
        read_feed(shop, small)


def test_vitrine_sync_of_an_unreachable_url_is_one_line(redis_url: str) -> None:
    result = CliRunner().invoke(cli, ["sync", "http://no-such-host.invalid/products.json"],
                                env={"VITRINE_REDIS_URL": redis_url})
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "does not resolve" in result.output and len(result.output.strip().splitlines()) == 1
