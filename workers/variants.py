"""Variants: the rows of one Merchant Center ``item_group_id`` (or one Shopify product's
``variants``) become one product whose payload lists them.

The product is what search shows once: the group's title, the cheapest variant's price, in
stock when any variant is, its colour when all variants share one (else the payload lists every
variant colour, so a colour filter matches the product through any of them), and the photo of
the first variant in stock.
"""

from __future__ import annotations

from typing import Any

VARIANT_KEYS = ("id", "size", "colour", "price", "sale_price", "in_stock", "image")


def variant(raw: dict[str, Any], size: Any) -> dict[str, Any]:
    """One variant's entry in the payload (fields it lacks are left out)."""
    entry = {**{k: raw.get(k) for k in VARIANT_KEYS}, "size": size or None}
    return {k: v for k, v in entry.items() if v not in (None, "")}


def merge(group_id: str, rows: list[dict[str, Any]], sizes: list[Any]) -> dict[str, Any]:
    """The product of a group of variant rows (already mapped to product fields)."""
    variants = [variant(raw, size) for raw, size in zip(rows, sizes, strict=True)]
    priced = [raw for raw in rows if raw.get("price") is not None]
    cheapest = min(priced, key=lambda raw: raw["price"]) if priced else rows[0]
    colours = list(dict.fromkeys(str(r["colour"]) for r in rows if r.get("colour")))
    stock = [r.get("in_stock") for r in rows if r.get("in_stock") is not None]
    shown = next((r for r in rows if r.get("in_stock") is not False), rows[0])
    return {
        **rows[0],
        "id": group_id,
        "image": shown.get("image") or rows[0].get("image"),
        "colour": colours[0] if len(colours) == 1 else None,
        "in_stock": any(stock) if stock else None,
        "stock": None,
        **{k: cheapest.get(k) for k in ("price", "currency", "list_price", "sale_price")},
        "variants": variants if len(rows) > 1 else None,
    }


def shopify_variants(item: dict[str, Any], product_image: str | None) -> list[dict[str, Any]]:
    """A Shopify product's variants: option values named Color/Colour and Size, the variant's own
    photo (``featured_image``, or an image listing its id) else the product's."""
    names = [str(o.get("name", "")).casefold() for o in item.get("options") or [] if isinstance(o, dict)]
    by_variant = {
        vid: img.get("src")
        for img in item.get("images") or [] if isinstance(img, dict)
        for vid in img.get("variant_ids") or []
    }
    out = []
    for v in item.get("variants") or []:
        if not isinstance(v, dict):
            continue
        options = {name: v.get(f"option{i + 1}") for i, name in enumerate(names)}
        featured = v.get("featured_image")
        image = (featured or {}).get("src") if isinstance(featured, dict) else None
        entry = {
            "id": str(v.get("id")) if v.get("id") is not None else None,
            "colour": options.get("color") or options.get("colour"),
            "size": options.get("size"),
            "in_stock": v.get("available") if isinstance(v.get("available"), bool) else None,
            "image": image or by_variant.get(v.get("id")) or product_image,
        }
        out.append(entry)
    return out
