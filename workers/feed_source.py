"""Reading a feed from a file or a URL: size-capped (``VITRINE_FEED_MAX_BYTES``, read in chunks),
public addresses only (plus ``VITRINE_FETCH_ALLOW_HOSTS``), one-line errors, and a Shopify
``products.json`` URL followed page by page: by its ``Link: <...>; rel="next"`` header (cursor
pagination, ``page_info``, as Shopify pages today) while pages carry one, else ``?page=2``, ...
until a page comes back empty.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from errors import VitrineError
from settings.queue import QueueSettings

MAX_PAGES = 1000
Fetch = Callable[[str], bytes]
PageFetch = Callable[[str], tuple[bytes, str | None]]  # a page's body and its Link header
LINK = re.compile(r"<([^>]*)>((?:\s*;\s*[^;,]*)*)")


class FeedSourceError(VitrineError):
    """The feed cannot be read from where it was named; the message is one line."""


def feed_fetcher(settings: QueueSettings) -> PageFetch:
    """GET a feed URL under the image fetcher's safety rules, capped at the feed size limit;
    the page and its ``Link`` header."""
    from indexer.media import FetchPolicy, fetch_image_bytes
    from workers.allow import AllowList

    policy = FetchPolicy(timeout_s=max(30.0, settings.fetch_timeout_s), max_bytes=settings.feed_max_bytes)
    allow = AllowList.parse(settings.fetch_allow_hosts)

    def get(url: str) -> tuple[bytes, str | None]:
        headers: dict[str, str] = {}
        data = fetch_image_bytes(url, allow.policy_for(url, policy), headers=headers)
        return data, headers.get("link")

    return get


def next_link(url: str, header: str | None) -> str | None:
    """The ``rel="next"`` target of a ``Link`` header, resolved against the page's URL."""
    for target, params in LINK.findall(header or ""):
        rels = re.findall(r';\s*rel\s*=\s*"?([^";]*)"?', params, re.IGNORECASE)
        if any("next" in r.casefold().split() for r in rels):
            return urljoin(url, target.strip())
    return None


def _one_line(source: str, error: Exception) -> FeedSourceError:
    text = str(error).replace("image_url", "the feed URL").replace("the image at the feed URL", "the feed")
    return FeedSourceError(f"cannot read feed {source}: {text}")


def _get(fetch: PageFetch, url: str) -> tuple[bytes, str | None]:
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


def _shopify_pages(url: str, first: bytes, link: str | None, fetch: PageFetch, max_bytes: int) -> bytes:
    """All pages of a Shopify ``products.json`` URL as one document: by ``Link`` rel="next" while
    the pages give one (a cursor; ``?page=`` is ignored there), else by ``?page=``."""
    products = _products(first)
    if products is None or not products:
        return first
    seen = {p.get("id") for p in products if isinstance(p, dict)}
    total = len(first)
    cursor, visited = next_link(url, link), {url}
    linked = link is not None and cursor is not None
    for page in range(2, MAX_PAGES + 1):
        if linked and (cursor is None or cursor in visited):
            break  # the last page has no next link; a loop of links ends too
        target = cursor if linked and cursor is not None else _page_url(url, page)
        visited.add(target)
        data, link = _get(fetch, target)
        cursor = next_link(target, link)
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


def _linkless(fetch: Fetch) -> PageFetch:
    """A fetch that gives bodies only (a caller's own): pages by ``?page=`` alone."""
    return lambda url: (fetch(url), None)


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
        pages = feed_fetcher(settings) if fetch is None else _linkless(fetch)
        data, link = _get(pages, source)
        if urlsplit(source).path.endswith("products.json"):
            data = _shopify_pages(source, data, link, pages, limit)
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
