"""Feed categories through the shipped table: case and plurals folded, unmapped values kept."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from indexer import EdgeStore, Product
from indexer.categories import categorise, load_table, unmapped_types
from indexer.store.protocol import StoredPoint
from tests.conftest import SHARED_FEEDS
from workers.feeds import parse_feed

SHOPIFY = SHARED_FEEDS / "shopify-fashion-products.json"


def test_free_values_and_taxonomy_paths_meet_in_the_catalogs_categories() -> None:
    pants = categorise(None, "pants")
    assert pants == {**categorise(None, "Pants"), "product_type": "pants"}
    assert (pants["category"], pants["sub_category"], pants["article_type"]) == ("Apparel", "Bottomwear",
                                                                                 "Trousers")
    assert categorise("Lady Dresses", None)["sub_category"] == categorise(None, "Dress")["sub_category"]
    watch = categorise("Apparel & Accessories > Jewelry > Watches", None)
    assert watch["category"] == "Accessories" and watch["article_type"] == "Watches"
    assert categorise(None, "Green Labor Law Poster") == {"product_type": "Green Labor Law Poster"}


@pytest.mark.skipif(not SHOPIFY.is_file(), reason="the shared feeds are not on this machine")
def test_a_real_shopify_feed_gets_only_catalog_sub_categories() -> None:
    feed = parse_feed(SHOPIFY.read_text(), SHOPIFY.name)
    known = {sub for _, sub, _ in load_table().values()}
    subs = {p.sub_category for p in feed.products if p.sub_category}
    assert subs <= known and "pants" not in subs and "Dress" in subs


def test_unmapped_types_are_counted(tmp_path: Path) -> None:
    store = EdgeStore(tmp_path / "data")
    store.ensure_collection(4, "m")
    v = np.ones(4, dtype=np.float32)
    rows = [Product(id=str(i), title="x", image="x.jpg", **categorise(None, t))  # type: ignore[arg-type]
            for i, t in enumerate(["Poster", "Poster", "Dress"])]
    store.upsert([StoredPoint(p.id, p.to_payload(), v, v) for p in rows])
    assert unmapped_types(store) == {"Poster": 2}
    store.close()
