"""Brand: derived from titles for the sample catalog, read from real storefront feeds and from a
catalog's own column, stored, filtered and counted as a facet."""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pytest

from encoder import Encoder
from indexer import EdgeStore, FilterError, Query, Searcher, index_entries, parse_filters, read_catalog
from indexer.catalog import CatalogEntry
from indexer.filters import parse_cli_filters
from workers.feeds import parse_feed


def _feeds_dir(catalog_dir: Path) -> Path:
    path = Path(os.environ.get("VITRINE_FEEDS", catalog_dir.parent / "feeds"))
    if not (path / "shopify-fashion-products.json").is_file():
        pytest.skip(f"the shared storefront feeds are not at {path} (set VITRINE_FEEDS)")
    return path


def test_sample_catalog_brands_come_from_titles(catalog_dir: Path) -> None:
    products = read_catalog(catalog_dir).products
    branded = [p for p in products if p.brand]
    assert len(branded) >= len(products) - 5  # "test dispName" names no brand
    assert all(p.title.casefold().replace(" ", "").startswith(p.brand.casefold().replace(" ", "")[:3])
               for p in branded)
    counts = Counter(p.brand for p in branded)
    assert {"Puma", "Nike", "Fastrack", "ADIDAS", "Red Tape"} <= set(counts)
    by_id = {p.id: p for p in products}
    assert by_id["10000"].title.startswith("Palm Tree Girls") and by_id["10000"].brand == "Palm Tree"
    assert by_id["10043"].title.startswith("Puma Men") and by_id["10043"].brand == "Puma"


def test_a_catalog_that_names_brands_is_taken_at_its_word(tmp_path: Path, catalog_dir: Path) -> None:
    image = str(catalog_dir / "images" / "10000.jpg")
    rows = [
        {"id": "a", "title": "Puma Men Black T-shirt", "image": image, "brand": "Acme"},
        {"id": "b", "title": "Nike Women Shoes", "image": image},  # the catalog leaves it out
    ]
    (tmp_path / "products.jsonl").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    assert [p.brand for p in read_catalog(tmp_path).products] == ["Acme", None]
    (tmp_path / "products.jsonl").write_text(json.dumps(rows[1]), encoding="utf-8")
    assert [p.brand for p in read_catalog(tmp_path).products] == ["Nike"]


def test_shopify_vendor_is_the_brand(catalog_dir: Path) -> None:
    path = _feeds_dir(catalog_dir) / "shopify-fashion-products.json"
    text = path.read_text(encoding="utf-8")
    feed = parse_feed(text, path.name)
    vendors = {str(p["id"]): p["vendor"].strip() for p in json.loads(text)["products"]}  # "Woven "
    assert feed.products and all(p.brand == vendors[p.id] for p in feed.products)
    assert Counter(p.brand for p in feed.products)["Naif"] >= 10


@pytest.mark.parametrize("name", ["merchant-center-variants.csv", "merchant-center-dropship.tsv"])
def test_merchant_center_brand_column(catalog_dir: Path, name: str) -> None:
    path = _feeds_dir(catalog_dir) / name
    feed = parse_feed(path.read_text(encoding="utf-8"), path.name)
    expected = "CRESCENT" if name.endswith(".csv") else "Generic"
    assert feed.products and {p.brand for p in feed.products} == {expected}


def test_brand_filter_and_facet(
    indexed_store: EdgeStore, encoder: Encoder, catalog_entries: list[CatalogEntry]
) -> None:
    expected = Counter(e.product.brand for e in catalog_entries if e.product.brand)
    spec = parse_filters({"brand": ["Puma", "Clarks"]})
    assert indexed_store.count(spec) == expected["Puma"] + expected["Clarks"] > 0
    assert indexed_store.count(parse_cli_filters(["brand=Puma,Clarks"])) == indexed_store.count(spec)
    facets = indexed_store.facets("brand", parse_filters(None), limit=500)
    assert facets == dict(expected)
    hits = Searcher(encoder, indexed_store).search(Query(text="shoes", filters=spec, k=10)).hits
    assert hits and all(h.product.brand in ("Puma", "Clarks") for h in hits)
    with pytest.raises(FilterError):
        parse_filters({"brand": {"gte": 1}})


def test_brand_is_stored_and_returned(
    tmp_path: Path, encoder: Encoder, catalog_entries: list[CatalogEntry]
) -> None:
    store = EdgeStore(tmp_path)
    index_entries(encoder, store, catalog_entries[:5])
    stored = store.get([e.product.id for e in catalog_entries[:5]])
    assert [p.payload["brand"] for p in stored] == [e.product.brand for e in catalog_entries[:5]]
    store.close()
