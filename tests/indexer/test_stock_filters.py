"""``in_stock`` filters mean the same on both backends, and a feed's availability reaches it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from qdrant_client import QdrantClient

from indexer import ClientStore, EdgeStore, Product, VectorStore, parse_filters
from indexer.filters import FilterSpec, hide_out_of_stock
from indexer.store.protocol import StoredPoint
from tests.conftest import SHARED_FEEDS
from workers.feeds import parse_feed

FEEDS = SHARED_FEEDS


@pytest.mark.parametrize("backend", ["edge", "qdrant-client"])
def test_in_stock_filters_on_both_backends(backend: str, tmp_path: Path) -> None:
    store: VectorStore = (EdgeStore(tmp_path / "data") if backend == "edge"
                          else ClientStore(client=QdrantClient(":memory:"), collection="products"))
    store.ensure_collection(4, "m")
    vector = np.ones(4, dtype=np.float32)
    products = [Product(id="gone", title="Sold out", image="a.jpg", in_stock=False, stock=0),
                Product(id="here", title="Available", image="b.jpg", in_stock=True),
                Product(id="plain", title="No stock data", image="c.jpg")]
    store.upsert([StoredPoint(p.id, p.to_payload(), vector, vector) for p in products])

    def ids(spec: FilterSpec) -> set[str]:
        return {p.product_id for p in store.candidates(vector, spec, 10, with_vectors=False)}

    assert ids(hide_out_of_stock(FilterSpec())) == {"here", "plain"}  # unknown counts as available
    assert ids(parse_filters({"in_stock": False})) == {"gone"}
    assert ids(parse_filters({"in_stock": True})) == {"here"}
    assert ids(parse_filters({"in_stock": [True, False]})) == {"gone", "here", "plain"}
    assert store.get(["gone"])[0].payload["in_stock"] is False
    store.close()


@pytest.mark.skipif(not FEEDS.is_dir(), reason="the shared feeds are not on this machine")
def test_feeds_availability_becomes_in_stock() -> None:
    with (FEEDS / "merchant-center-dropship.tsv").open(encoding="utf-8-sig") as f:
        head = "".join(f.readlines()[:40])
    dropship = parse_feed(head, "dropship")
    assert dropship.products and all(p.in_stock is False for p in dropship.products)  # "out of stock"
    shopify = parse_feed((FEEDS / "shopify-fashion-products.json").read_text(), "shopify")
    sold_out = [p for p in shopify.products if p.in_stock is False]
    assert len(shopify.products) == 30 and len(sold_out) == 1  # every variant unavailable
