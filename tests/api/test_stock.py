"""Stock end to end: stored, returned, filterable, hidden from search by default, and changed
at once by PATCH without re-embedding."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
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

N = 8


@pytest.fixture
def store(tmp_path: Path, encoder: Encoder, catalog_entries: list[CatalogEntry]) -> Iterator[EdgeStore]:
    store = EdgeStore(tmp_path / "data")
    index_entries(encoder, store, catalog_entries[:N])
    yield store
    store.close()


@pytest.fixture
def app(tmp_path: Path, encoder: Encoder, store: EdgeStore, redis_client: redis.Redis,
        api_settings: ApiSettings) -> Iterator[Flask]:
    app = create_app(Settings(data_dir=tmp_path / "data"), api_settings=api_settings, encoder=encoder,
                     store=store, redis=redis_client)
    app.testing = True
    yield app
    settle(app)


def _found(client: FlaskClient, **body: Any) -> set[str]:
    response = client.post("/api/v1/search", json={"text": "clothes", "k": 50, **body})
    assert response.status_code == 200, response.json
    return {r["product"]["id"] for r in response.json["results"]}


def test_out_of_stock_is_hidden_from_search_until_patched_back(
    client: FlaskClient, token: Callable[..., dict[str, Any]], store: EdgeStore,
    catalog_entries: list[CatalogEntry],
) -> None:
    headers = {"Authorization": f"Bearer {token('ingest')['access_token']}"}
    pid = catalog_entries[0].product.id
    everyone = {e.product.id for e in catalog_entries[:N]}
    assert _found(client) == everyone  # no stock data: every product counts as available
    before = store.get([pid], with_vectors=True)[0]

    assert client.patch(f"/api/v1/products/{pid}", json={"stock": 0}, headers=headers).status_code == 200
    product = client.get(f"/api/v1/products/{pid}").json["product"]
    assert (product["stock"], product["in_stock"]) == (0, False)  # still readable by id
    assert _found(client) == everyone - {pid}  # at once, no re-indexing
    assert _found(client, include_out_of_stock=True) == everyone
    assert _found(client, filters={"in_stock": False}) == {pid}
    assert pid not in _found(client, filters={"in_stock": True})
    response = client.post("/api/v1/search", json={"text": "x", "include_out_of_stock": "yes"})
    assert response.status_code == 400 and "include_out_of_stock" in response.json["message"]

    patched = client.patch(f"/api/v1/products/{pid}", json={"availability": "in stock"}, headers=headers)
    assert patched.status_code == 200
    assert _found(client) == everyone
    after = store.get([pid], with_vectors=True)[0]
    np.testing.assert_array_equal(before.image, after.image)  # payload only: no re-embedding
    bad = client.patch(f"/api/v1/products/{pid}", json={"availability": "maybe"}, headers=headers)
    assert bad.status_code == 400 and "availability must be one of" in bad.json["message"]
