"""A catalog with several currencies: a price filter must name one (400 listing them)."""

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


@pytest.fixture
def app(tmp_path: Path, encoder: Encoder, redis_client: redis.Redis, api_settings: ApiSettings,
        catalog_entries: list[CatalogEntry]) -> Iterator[Flask]:
    store = EdgeStore(tmp_path / "data")
    priced = [
        dataclasses.replace(e, product=dataclasses.replace(
            e.product, price=float(10 + i), currency="USD" if i % 2 else "NGN"))
        for i, e in enumerate(catalog_entries[:8])
    ]
    index_entries(encoder, store, priced)
    app = create_app(Settings(data_dir=tmp_path / "data"), api_settings=api_settings, encoder=encoder,
                     store=store, redis=redis_client)
    app.testing = True
    yield app
    settle(app)
    store.close()


def test_price_filter_over_several_currencies_needs_one(client: FlaskClient) -> None:
    response = client.post("/api/v1/search", json={"text": "shirt", "filters": {"price": {"lte": 100}}})
    assert response.status_code == 400
    assert "NGN, USD" in response.json["message"] and "currency" in response.json["message"]
    ok = client.post("/api/v1/search", json={"text": "shirt", "k": 20, "sort": "price_asc",
                                             "filters": {"price": {"lte": 100}, "currency": "USD"}})
    assert ok.status_code == 200, ok.json
    found = [r["product"] for r in ok.json["results"]]
    assert found and {p["currency"] for p in found} == {"USD"}
    assert [p["price"] for p in found] == sorted(p["price"] for p in found)
