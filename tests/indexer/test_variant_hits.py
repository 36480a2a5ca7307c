"""Ungrouped pages: whole products only, so the next page starts at the first product left out."""

from __future__ import annotations

from indexer.filters import parse_filters
from indexer.schema import Product
from indexer.search.model import Hit
from indexer.search.variants import expand_variants


def _hit(pid: str, colours: list[str]) -> Hit:
    variants = [{"id": f"{pid}-{i}", "colour": c, "in_stock": True} for i, c in enumerate(colours)]
    product = Product(id=pid, title=pid, image="x.jpg", variants=variants or None)
    return Hit(pid, 1.0, {}, product)


def test_a_page_takes_whole_products_and_says_how_many() -> None:
    hits = [_hit("A", ["Red", "Blue"]), _hit("B", ["Red", "Red"]), _hit("C", [])]
    out, used = expand_variants(hits, parse_filters({}), 3)
    assert [h.breakdown.get("variant", {}).get("id", h.id) for h in out] == ["A-0", "A-1"] and used == 1
    out, used = expand_variants(hits, parse_filters({"colour": "red"}), 3)
    assert [h.variant["id"] if h.variant else h.id for h in out] == ["A-0", "B-0", "B-1"] and used == 2
    out, used = expand_variants(hits[:1], parse_filters({}), 1)  # more variants than the page
    assert len(out) == 1 and used == 1
