"""Reading a feed from a file or a URL: size-capped (``VITRINE_FEED_MAX_BYTES``, read in chunks),
public addresses only (plus ``VITRINE_FETCH_ALLOW_HOSTS``), one-line errors, and a Shopify
``products.json`` URL followed page by page (``?page=2``, ...) until a page comes back empty.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from errors import VitrineError
from settings.queue import QueueSettings

MAX_PAGES = 1000
Fetch = Callable[[str], bytes]


class FeedSourceError(VitrineError):
    """The feed cannot be read from where it was named; the message is one line."""


def feed_fetcher(settings: QueueSettings) -> Fetch:
    """GET a feed URL under the image fetcher's safety rules, capped at the feed size limit."""
    from indexer.media import FetchPolicy, fetch_image_bytes
    from workers.allow import AllowList

    policy = FetchPolicy(timeout_s=max(30.0, settings.fetch_timeout_s), max_bytes=settings.feed_max_bytes)
    allow = AllowList.parse(settings.fetch_allow_hosts)
    return lambda url: fetch_image_bytes(url, allow.policy_for(url, policy))


def _one_line(source: str, error: Exception) -> FeedSourceError:
    text = str(error).replace("image_url", "the feed URL").replace("the image at the feed URL", "the feed")
    return FeedSourceError(f"cannot read feed {source}: {text}")


def _get(fetch: Fetch, url: str) -> bytes:
    try:
        return fetch(url)
    except VitrineError as e:  # unsafe, unreachable, refused, too large: the reason, one line
        raise _one_line(url, e) from None
    except OSError as e:
        raise _one_line(url, e) from None


def _page_url(url: str, page: int) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "page"] + [("page", str(page))]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _shopify_pages(url: str, first: bytes, fetch: Fetch, max_bytes: int) -> bytes:
    """All pages of a Shopify ``products.json`` URL as one document."""
    products = _products(first)
    if products is None or not products:
        return first
    seen = {p.get("id") for p in products if isinstance(p, dict)}
    total = len(first)
    for page in range(2, MAX_PAGES + 1):
        data = _get(fetch, _page_url(url, page))
        total += len(data)
        if total > max_bytes:
            raise FeedSourceError(f"cannot read feed {url}: its pages are larger than {max_bytes:,} bytes")
        more = _products(data) or []
        fresh = [p for p in more if isinstance(p, dict) and p.get("id") not in seen]
        if not fresh:  # an empty page, or a server that ignores ?page= and repeats page 1
            break
        seen.update(p.get("id") for p in fresh)
        products.extend(fresh)
    return json.dumps({"products": products}).encode()


def _products(data: bytes) -> list[dict[str, object]] | None:
    try:
        doc = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    items = doc.get("products") if isinstance(doc, dict) else None
    return items if isinstance(items, list) else None


def read_feed(source: str, settings: QueueSettings, fetch: Fetch | None = None) -> str:
    """A feed's text from a file path or an http(s) URL.

    Raises:
        FeedSourceError: missing file, unreachable/private/refused URL, or over the size limit.
    """
    limit = settings.feed_max_bytes
    too_large = FeedSourceError(f"feed {source} is larger than VITRINE_FEED_MAX_BYTES ({limit:,} bytes)")
    if "://" in source and not source.startswith(("http://", "https://")):
        raise FeedSourceError(f"cannot read feed {source}: a feed is a file or an http(s) URL")
    if source.startswith(("http://", "https://")):
        fetch = fetch or feed_fetcher(settings)
        data = _get(fetch, source)
        if urlsplit(source).path.endswith("products.json"):
            data = _shopify_pages(source, data, fetch, limit)
    else:
        path = Path(source)
        try:
            if path.stat().st_size > limit:
                raise too_large
            data = path.read_bytes()
        except OSError as e:
            raise FeedSourceError(f"cannot read feed {source}: {e.strerror or e}") from None
    if len(data) > limit:
        raise too_large
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise FeedSourceError(f"feed {source} is not UTF-8 text (byte {e.start})") from None
