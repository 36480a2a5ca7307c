"""The API serves through the LiveIndex: a re-index with another model is picked up."""

from __future__ import annotations

from pathlib import Path

import redis
from api_test_helpers import settle

from api.app import create_app
from encoder import Encoder
from indexer import EdgeStore, Settings, index_entries
from indexer.catalog import CatalogEntry
from indexer.reindex import reindex
from settings.api import ApiSettings
from tests.conftest import make_tiny_model


def test_search_follows_a_reindex_to_another_model(
    tmp_path: Path, encoder: Encoder, tiny_model_dir: Path, catalog_entries: list[CatalogEntry],
    redis_client: redis.Redis, api_settings: ApiSettings,
) -> None:
    store = EdgeStore(tmp_path / "data")
    index_entries(encoder, store, catalog_entries[:40], spec=str(tiny_model_dir))
    app = create_app(Settings(data_dir=tmp_path / "data"), api_settings=api_settings, encoder=encoder,
                     store=store, redis=redis_client)
    client = app.test_client()
    before = client.post("/api/v1/search", json={"text": "blue shirt", "k": 3}).json
    assert before["model"] == encoder.model_id

    spec_b = make_tiny_model(tmp_path / "model-b", seed=1)
    encoder_b = Encoder.load(str(spec_b), device="cpu")
    live = app.extensions["vitrine"].live
    reindex(live, encoder_b, str(spec_b))

    after = client.post("/api/v1/search", json={"text": "blue shirt", "k": 3})
    assert after.status_code == 200, after.json
    assert after.json["model"] == encoder_b.model_id
    assert after.json["page"]["total_matching"] == 40
    ready = client.get("/api/v1/ready").json
    assert ready["checks"]["model"]["id"] == encoder_b.model_id
    settle(app)
    live.close()
