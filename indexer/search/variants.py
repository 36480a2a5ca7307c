"""Ungrouped results (``"group": false``): a product with variants answered as one hit per
matching variant.

Variants live inside their product's point (workers/variants.py), so Qdrant's grouping
(``group_by``) has nothing to group: the core ranks products, and a page of products is
expanded here, each product's hits in the feed's variant order, keeping the product's score.
A variant matches when it satisfies the request's filters on the fields a variant has of its
own (colour, size, price, sale price, stock); the product's other fields matched already.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from indexer.filters import AnyOf, Condition, FilterSpec
from indexer.search.model import Hit

VARIANT_FIELDS = ("colour", "size", "price", "sale_price", "in_stock")


def _holds(cond: Condition, value: Any) -> bool:
    if isinstance(cond, AnyOf) and isinstance(value, str):  # keywords match case-insensitively
        return value.casefold() in {str(v).casefold() for v in cond.values}
    return cond.matches(value)


def variant_matches(filters: FilterSpec, entry: Mapping[str, Any]) -> dict[str, Any] | None:
    """The variant-level filters this variant satisfies (with its values), or None when one of
    them fails. A field the variant lacks is the product's, already matched."""
    matched: dict[str, Any] = {}
    for name, cond in filters.conditions:
        if name not in VARIANT_FIELDS or name not in entry:
            continue
        if not _holds(cond, entry[name]):
            return None
        matched[name] = entry[name]
    return matched


def _variant_hits(hit: Hit, filters: FilterSpec) -> list[Hit]:
    entries = [e for e in hit.product.variants or () if isinstance(e, dict)]
    found = [(e, m) for e in entries if (m := variant_matches(filters, e)) is not None]
    if not found:  # no variants, or the product matched through its own fields: one hit
        return [hit]
    out = []
    for position, (entry, matched) in enumerate(found, 1):
        why = {"id": entry.get("id"), "of": hit.id, "position": position, "matching": len(found),
               "variants": len(entries), "matched_filters": matched}
        out.append(replace(hit, breakdown={**hit.breakdown, "variant": why}, variant=dict(entry)))
    return out


def expand_variants(hits: list[Hit], filters: FilterSpec, k: int) -> tuple[list[Hit], int]:
    """At most ``k`` hits, one per matching variant, and how many of ``hits`` (products) they
    cover. Only whole products are taken, so the next page starts at the first product left
    out; a first product with more than ``k`` matching variants shows its first ``k``."""
    out: list[Hit] = []
    used = 0
    for hit in hits:
        expanded = _variant_hits(hit, filters)
        if out and len(out) + len(expanded) > k:
            break
        out.extend(expanded[: k - len(out)])
        used += 1
        if len(out) >= k:
            break
    return out, used
