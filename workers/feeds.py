"""Storefront product feeds: Google Merchant Center CSV/TSV and Shopify ``products.json``.

Both are mapped onto the Product schema. Merchant Center columns read: ``id``,
``title``, ``image_link``, ``price`` ("29.99 USD"), ``brand``, ``color``, ``gender``
(male/female/unisex), ``product_type`` ("Apparel > Topwear > Shirts") and, when
present, ``custom_label_0`` as the occasion and ``custom_label_1`` as the season.
Shopify: ``id``, ``title``, ``vendor`` (the brand), ``product_type``, ``images[0].src``,
the lowest variant price, the single value of a Color/Colour option, and tags naming an
occasion, a season or a gender ("casual", "summer", "women").
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from errors import VitrineError
from indexer.catalog import RowError, build_product
from indexer.categories import categorise
from indexer.money import parse_money
from indexer.schema import Product
from workers.tagging import DEFAULT_LABELS
from workers.variants import merge, shopify_variants

OCCASIONS = {o.casefold(): o for o in DEFAULT_LABELS["occasion"]}
SEASONS = {s.casefold(): s for s in ("Spring", "Summer", "Fall", "Winter")} | {"autumn": "Fall"}
GENDERS = {"male": "Men", "men": "Men", "female": "Women", "women": "Women", "unisex": "Unisex",
           "boys": "Boys", "girls": "Girls"}
AVAILABLE = {"in stock": True, "out of stock": False, "preorder": True, "backorder": True,
             "available for order": True, "discontinued": False}


class FeedError(VitrineError):
    """The feed as a whole cannot be read (unknown format, broken JSON, no header)."""


@dataclass
class Feed:
    """Products read from a feed, and the entries that could not be used."""

    products: list[Product] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    duplicates: list[RowError] = field(default_factory=list)
    rows: int = 0  # rows (or Shopify products) read
    variants: int = 0  # variants folded into their products


def _price(value: Any) -> float | None:
    money = parse_money(value)
    return None if money is None else money.as_float()


def prices(price: Any, sale: Any) -> dict[str, Any]:
    """``price`` and ``sale_price`` texts as the product's price fields: ``price`` is what a
    shopper pays (the sale price when it is lower), ``list_price`` the regular one during a
    sale, and one ``currency`` for both.

    Raises:
        ValueError: an unreadable amount, or two currencies for one product.
    """
    regular, reduced = parse_money(price), parse_money(sale)
    currencies = {m.currency for m in (regular, reduced) if m is not None and m.currency}
    if len(currencies) > 1:
        raise ValueError(f"price {price!r} and sale_price {sale!r} are in different currencies")
    on_sale = reduced is not None and (regular is None or reduced.amount < regular.amount)
    pays = reduced if on_sale else regular
    return {
        "price": None if pays is None else pays.as_float(),
        "currency": next(iter(currencies), None),
        "list_price": regular.as_float() if on_sale and regular is not None else None,
        "sale_price": reduced.as_float() if on_sale and reduced is not None else None,
    }


def _in_stock(value: str | None) -> bool | None:
    """Merchant Center ``availability`` ("in stock", "out_of_stock", ...); None when absent."""
    key = (value or "").strip().lower().replace("_", " ")
    return AVAILABLE.get(key) if key else None


def _add(feed: Feed, source: str, line: int, raw: dict[str, Any]) -> None:
    try:
        feed.products.append(build_product(raw, image_root=None))
    except ValueError as e:
        feed.errors.append(RowError(source, line, str(e), str(raw.get("id") or "") or None))


def parse_merchant_center(text: str, source: str = "feed") -> Feed:
    """A Merchant Center feed: tab- or comma-separated (detected from the header), or XML."""
    if text.lstrip().startswith("<"):
        from workers.feed_xml import FeedXmlError, xml_rows

        try:
            return merchant_center_rows(xml_rows(text, source), source)
        except FeedXmlError as e:
            raise FeedError(str(e)) from None
    header = text.split("\n", 1)[0]
    delimiter = "\t" if header.count("\t") > header.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    if not reader.fieldnames or not {"id", "title", "image_link"} <= set(reader.fieldnames):
        raise FeedError(f"{source}: a Merchant Center feed needs the columns id, title and image_link")
    return merchant_center_rows(((reader.line_num, row) for row in reader), source)


def _mc_product(row: dict[str, Any]) -> dict[str, Any]:
    """One Merchant Center row as product fields.

    Raises:
        ValueError: a price that cannot be read.
    """
    return {
        "id": row.get("id"),
        "title": row.get("title"),
        "image": row.get("image_link"),
        "brand": row.get("brand") or None,
        "colour": row.get("color") or None,
        "gender": GENDERS.get((row.get("gender") or "").strip().casefold()),
        **prices(row.get("price"), row.get("sale_price")),
        "occasion": OCCASIONS.get((row.get("custom_label_0") or "").strip().casefold()),
        "season": SEASONS.get((row.get("custom_label_1") or "").strip().casefold()),
        "in_stock": _in_stock(row.get("availability")),
        **categorise(row.get("google_product_category"), row.get("product_type")),
    }


def merchant_center_rows(rows: Iterable[tuple[int, dict[str, Any]]], source: str) -> Feed:
    """Rows (line, column -> text) into products: rows sharing an ``item_group_id`` become one
    product with ``variants``; a repeated id is reported once per repeat and left out."""
    feed = Feed()
    groups: dict[str, list[tuple[int, dict[str, Any], Any]]] = {}
    seen: set[str] = set()
    for line, row in rows:
        feed.rows += 1
        row_id = (row.get("id") or "").strip()
        if row_id and row_id in seen:
            feed.duplicates.append(RowError(source, line, f"id {row_id} repeats an earlier row", row_id))
            continue
        seen.add(row_id)
        try:
            raw = _mc_product(row)
        except ValueError as e:
            feed.errors.append(RowError(source, line, str(e), row_id or None))
            continue
        group = (row.get("item_group_id") or "").strip() or row_id
        groups.setdefault(group, []).append((line, raw, row.get("size")))
    for group_id, members in groups.items():
        if len(members) == 1:
            _add(feed, source, members[0][0], members[0][1])
            continue
        feed.variants += len(members)
        raws = [raw for _, raw, _ in members]
        _add(feed, source, members[0][0], merge(group_id, raws, [size for _, _, size in members]))
    return feed


def _tags(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(t).strip() for t in value]
    return [t.strip() for t in str(value or "").split(",") if t.strip()]


def _shopify_in_stock(variants: Any) -> bool | None:
    """Any variant ``available``; None when no variant says."""
    flags = [v.get("available") for v in variants or [] if isinstance(v, dict)]
    flags = [f for f in flags if isinstance(f, bool)]
    return any(flags) if flags else None


def parse_shopify(text: str, source: str = "products.json") -> Feed:
    """A Shopify ``products.json`` document (``{"products": [...]}``)."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise FeedError(f"{source}: not valid JSON ({e.msg} at line {e.lineno})") from None
    items = doc.get("products") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        raise FeedError(f"{source}: a Shopify feed is an object with a 'products' list")
    feed = Feed()
    for index, item in enumerate(items, start=1):
        feed.rows += 1
        if not isinstance(item, dict):
            feed.errors.append(RowError(source, index, "each product must be an object"))
            continue
        try:
            tags = {t.casefold() for t in _tags(item.get("tags"))}
            images = item.get("images") or []
            image = images[0].get("src") if images and isinstance(images[0], dict) else None
            offers = [prices(v.get("compare_at_price") or v.get("price"), v.get("price"))
                      for v in item.get("variants") or [] if isinstance(v, dict)]
            offer = min((o for o in offers if o["price"] is not None), key=lambda o: o["price"], default={})
            variants = [
                {k: v for k, v in {**entry, "price": o["price"], "sale_price": o["sale_price"]}.items()
                 if v is not None}
                for entry, o in zip(shopify_variants(item, image), offers, strict=True)
            ]
            colours = list(dict.fromkeys(v["colour"] for v in variants if v.get("colour"))) or next(
                (list(o.get("values") or []) for o in item.get("options") or []
                 if isinstance(o, dict) and str(o.get("name", "")).casefold() in ("color", "colour")),
                [],
            )
            raw = {
                "id": item.get("id"),
                "title": item.get("title"),
                "image": image,
                "brand": item.get("vendor") or None,
                **offer,
                "colour": colours[0] if len(colours) == 1 else None,
                "variants": variants if len(variants) > 1 else None,
                "occasion": next((OCCASIONS[t] for t in tags if t in OCCASIONS), None),
                "season": next((SEASONS[t] for t in tags if t in SEASONS), None),
                "gender": next((GENDERS[t] for t in tags if t in GENDERS), None),
                "in_stock": _shopify_in_stock(item.get("variants")),
                **categorise(None, item.get("product_type")),
            }
        except (ValueError, AttributeError, TypeError) as e:
            feed.errors.append(RowError(source, index, str(e), str(item.get("id") or "") or None))
            continue
        feed.variants += len(variants)
        _add(feed, source, index, raw)
    return feed


def parse_feed(text: str, source: str) -> Feed:
    """Detect the format (JSON: Shopify; otherwise Merchant Center) and parse it."""
    if text.lstrip().startswith(("{", "[")):
        return parse_shopify(text, source)
    return parse_merchant_center(text, source)
