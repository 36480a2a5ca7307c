"""Variants: one product per item_group_id, found once, through any variant's colour, showing
that variant's photo; facets count products."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from api_test_helpers import settle
from flask import Flask
from flask.testing import FlaskClient

from api.app import create_app
from encoder import Encoder
from indexer import EdgeStore, Settings, index_entries
from indexer.catalog import CatalogEntry
from settings.api import ApiSettings
from tests.conftest import SHARED_FEEDS
from workers.feeds import parse_feed

FEED = SHARED_FEEDS / "merchant-center-variants.csv"
DRESS = "clad6pg5z00eu012gfz7hfm92"
SOLD_OUT = "M00679529736280"  # the Tan XS variant
pytestmark = pytest.mark.skipif(not FEED.is_file(), reason="the shared feeds are not on this machine")


@pytest.fixture
def app(tmp_path: Path, encoder: Encoder, redis_client: redis.Redis, api_settings: ApiSettings,
        catalog_entries: list[CatalogEntry]) -> Iterator[Flask]:
    feed = parse_feed(FEED.read_text(encoding="utf-8-sig"), FEED.name)
    [dress] = feed.products
    # the feed's photo is on the internet: embed a local catalog photo in its place
    # one variant sold out (Tan XS), as happens in a live feed: ungrouped results leave it out
    variants = [{**v, "in_stock": v["id"] != SOLD_OUT} for v in dress.variants or []]
    local = dataclasses.replace(dress, image=catalog_entries[0].product.image, variants=variants)
    store = EdgeStore(tmp_path / "data")
    others = [e for e in catalog_entries[1:6] if e.product.colour not in ("Black", "Tan")]
    index_entries(encoder, store, [CatalogEntry(2, local), *others])
    app = create_app(Settings(data_dir=tmp_path / "data"), api_settings=api_settings, encoder=encoder,
                     store=store, redis=redis_client)
    app.testing = True
    yield app
    settle(app)
    store.close()


def test_the_variant_rows_are_one_product() -> None:
    feed = parse_feed(FEED.read_text(encoding="utf-8-sig"), FEED.name)
    assert (feed.rows, len(feed.products), feed.variants) == (8, 1, 8)
    [dress] = feed.products
    assert dress.id == "clad6pg5z00eu012gfz7hfm92" and dress.title == "Joelle Sweater Dress"
    assert dress.variants is not None and {v["size"] for v in dress.variants} >= {"XS", "S"}
    assert dress.colour is None and dress.to_payload()["colour"] == ["Black", "Tan"]


def test_a_colour_filter_finds_the_product_once_with_that_variants_photo(client: FlaskClient) -> None:
    feed = parse_feed(FEED.read_text(encoding="utf-8-sig"), FEED.name)
    tan_photo = next(v["image"] for v in feed.products[0].variants or [] if v.get("colour") == "Tan")
    response = client.post("/api/v1/search", json={"text": "sweater dress", "k": 20,
                                                   "filters": {"colour": "tan"}})
    assert response.status_code == 200, response.json
    [hit] = response.json["results"]
    assert hit["product"]["id"] == "clad6pg5z00eu012gfz7hfm92" and hit["product"]["image"] == tan_photo
    everything = client.post("/api/v1/search", json={"text": "sweater dress", "k": 20}).json
    ids = [r["product"]["id"] for r in everything["results"]]
    assert ids.count("clad6pg5z00eu012gfz7hfm92") == 1  # never once per variant
    colours = everything["facets"]["colour"]
    counts = colours if isinstance(colours, dict) else {c["value"]: c["count"] for c in colours}
    assert counts["Black"] == 1 and counts["Tan"] == 1  # products, not variants


def test_a_feed_products_image_route_points_at_its_photo(client: FlaskClient) -> None:
    feed = parse_feed(FEED.read_text(encoding="utf-8-sig"), FEED.name)
    store = client.application.extensions["vitrine"].live.current().store
    store.set_payload(feed.products[0].id, {"image": feed.products[0].image})  # as a feed stores it
    response = client.get(f"/api/v1/products/{feed.products[0].id}/image")
    assert response.status_code == 302 and response.headers["Location"] == feed.products[0].image


def test_ungrouped_a_colour_filter_answers_each_matching_variant_in_stock(client: FlaskClient) -> None:
    feed = parse_feed(FEED.read_text(encoding="utf-8-sig"), FEED.name)
    tan = {v["id"]: v for v in feed.products[0].variants or [] if v.get("colour") == "Tan"}
    body = {"text": "sweater dress", "k": 20, "filters": {"colour": "tan"}, "group": False}
    hits = client.post("/api/v1/search", json=body).json["results"]
    assert {h["product"]["variant"] for h in hits} == set(tan) - {SOLD_OUT} and len(hits) == 3
    for hit in hits:
        entry = tan[hit["product"]["variant"]]
        assert hit["id"] == DRESS and hit["variant"]["id"] == entry["id"]
        assert (hit["product"]["colour"], hit["product"]["size"]) == ("Tan", entry["size"])
        assert hit["product"]["image"] == entry["image"] and hit["product"]["in_stock"] is True
        assert hit["product"]["title"] == "Joelle Sweater Dress"  # the product's own fields
        why = hit["breakdown"]["variant"]
        assert (why["of"], why["matching"], why["variants"]) == (DRESS, 3, 8)
        assert why["matched_filters"]["colour"] == "Tan"
    with_sold_out = client.post("/api/v1/search", json={**body, "include_out_of_stock": True}).json
    sold = [h for h in with_sold_out["results"] if h["product"]["variant"] == SOLD_OUT]
    assert len(with_sold_out["results"]) == 4 and sold[0]["product"]["in_stock"] is False


def test_ungrouped_results_fill_the_page_with_variants_and_grouped_ones_do_not(client: FlaskClient) -> None:
    body = {"text": "sweater dress", "k": 20}
    grouped = client.post("/api/v1/search", json=body).json
    ungrouped = client.post("/api/v1/search", json={**body, "group": False}).json
    ids = [h["id"] for h in ungrouped["results"]]
    assert ids.count(DRESS) == 7  # the 8 variants but the sold-out one
    others = [h["id"] for h in grouped["results"] if h["id"] != DRESS]
    assert [i for i in ids if i != DRESS] == others  # products without variants: once, same order
    assert "variant" not in grouped["results"][0]
    small = client.post("/api/v1/search", json={**body, "k": 3, "group": False}).json
    assert len(small["results"]) == 3
    assert client.post("/api/v1/search", json={**body, "group": "no"}).status_code == 400
