"""Shopify pages linked by ``Link: <...>; rel="next"`` (cursor pagination with ``page_info``),
read from a local server that ignores ``?page=`` as Shopify's cursor endpoints do."""

from __future__ import annotations

import base64
import http.server
import json
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

from settings.queue import QueueSettings
from tests.conftest import SHARED_FEEDS, local_http_server
from workers.feed_source import next_link, read_feed
from workers.feeds import parse_feed

FEED = SHARED_FEEDS / "shopify-fashion-products.json"
pytestmark = pytest.mark.skipif(not FEED.is_file(), reason="the shared feeds are not on this machine")
PER_PAGE = 7


def _cursor(start: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"last": start}).encode()).decode()


@pytest.fixture
def cursor_shop() -> Iterator[tuple[str, list[str]]]:
    """The shared Shopify dump, 7 products a page, each page linking the next by an opaque
    ``page_info`` cursor (and the previous one, as Shopify does); the paths asked are logged."""
    products = json.loads(FEED.read_text())["products"]
    asked: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            info = parse_qs(urlsplit(self.path).query).get("page_info")
            start = json.loads(base64.urlsafe_b64decode(info[0]))["last"] if info else 0
            body = json.dumps({"products": products[start: start + PER_PAGE]}).encode()
            links = []
            if start:
                links.append(f'</products.json?limit={PER_PAGE}&page_info={_cursor(start - PER_PAGE)}>; '
                             'rel="previous"')
            if start + PER_PAGE < len(products):
                links.append(f'<http://{self.headers["Host"]}/products.json?limit={PER_PAGE}'
                             f'&page_info={_cursor(start + PER_PAGE)}>; rel="next"')
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            if links:
                self.send_header("Link", ", ".join(links))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    with local_http_server(Handler) as server:
        yield f"http://127.0.0.1:{server.server_address[1]}/products.json?limit={PER_PAGE}", asked


def test_a_shopify_url_is_followed_by_its_link_headers(cursor_shop: tuple[str, list[str]]) -> None:
    url, asked = cursor_shop
    settings = QueueSettings.from_env({"VITRINE_FETCH_ALLOW_HOSTS": "127.0.0.1"})
    feed = parse_feed(read_feed(url, settings), url)
    assert len(feed.products) == 30 and feed.variants == 164  # all five pages, none twice
    assert len(asked) == 5 and all("page_info=" in p for p in asked[1:])
    assert not any("page=" in p.replace("page_info=", "") for p in asked)  # no ?page= guessing


def test_next_link_reads_the_header_as_shopify_writes_it() -> None:
    page = "https://shop.example/products.json?limit=50"
    header = ('<https://shop.example/products.json?limit=50&page_info=abc>; rel="previous", '
              '</products.json?limit=50&page_info=def>; rel="next"')
    assert next_link(page, header) == "https://shop.example/products.json?limit=50&page_info=def"
    assert next_link(page, '<https://shop.example/p?x=1>; rel="previous"') is None
    assert next_link(page, None) is None and next_link(page, "garbage") is None
