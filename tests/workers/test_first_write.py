"""A deployment fed only through the queue: the first write creates the collection, on both
backends, and several workers racing to create it all succeed."""

from __future__ import annotations

import dataclasses
import sys
import threading
from pathlib import Path

import pytest
import redis
from qdrant_client import QdrantClient

from encoder import Encoder
from indexer import ClientStore, EdgeStore, Settings, VectorStore, parse_filters
from indexer.catalog import CatalogEntry
from indexer.live import LiveIndex
from tests.workers.conftest import media_copy
from workers import Ingestion, QueueSettings, build_context, set_context
from workers.worker import make_worker


def _feed_one_product(
    store: VectorStore, encoder: Encoder, connection: redis.Redis, queue_settings: QueueSettings,
    tmp_path: Path, catalog_dir: Path, entry: CatalogEntry,
) -> Ingestion:
    # As the API's embedded workers are built: the serving index is passed in, and nothing
    # created the collection beforehand.
    settings = Settings(data_dir=tmp_path / "data")
    ctx = build_context(settings, queue_settings, index=LiveIndex(settings, encoder, store, check_every_s=-1),
                        connection=connection)
    set_context(ctx)
    try:
        image = media_copy(catalog_dir, ctx.media_dir, entry.product.id)
        product = dataclasses.replace(entry.product, image=image)
        ingestion = Ingestion(connection, queue_settings)
        ingestion.enqueue(product)
        make_worker(ctx).work(burst=True, with_scheduler=False, logging_level="WARNING")
        return ingestion
    finally:
        set_context(None)


@pytest.mark.parametrize("backend", ["edge", "qdrant-client"])
def test_first_write_creates_the_collection(
    backend: str, tmp_path: Path, encoder: Encoder, connection: redis.Redis, queue_settings: QueueSettings,
    catalog_dir: Path, catalog_entries: list[CatalogEntry],
) -> None:
    store: VectorStore = (
        EdgeStore(tmp_path / "data") if backend == "edge"
        else ClientStore(client=QdrantClient(":memory:"), collection="products")
    )
    try:
        assert store.info().points == 0 and store.info().dim is None  # nothing there yet
        entry = catalog_entries[0]
        ingestion = _feed_one_product(
            store, encoder, connection, queue_settings, tmp_path, catalog_dir, entry
        )
        assert ingestion.counts()["failed"] == 0
        info = store.info()
        assert (info.points, info.dim, info.model, info.keywords) == (1, encoder.dim, encoder.model_id, True)
        # the payload indexes exist: a keyword filter and the keyword vector both answer
        assert [p.product_id for p in store.get([entry.product.id])] == [entry.product.id]
        assert store.count(parse_filters({"gender": entry.product.gender})) == 1
        words = entry.product.title.split()[0]
        assert [pid for pid, _ in store.keyword_candidates(words, None, 5)] == [entry.product.id]
    finally:
        store.close()


@pytest.mark.parametrize("attempt", range(10))
def test_racing_workers_all_create_or_find_the_collection(encoder: Encoder, attempt: int) -> None:
    client = QdrantClient(":memory:")
    stores = [ClientStore(client=client, collection="products") for _ in range(16)]
    start = threading.Barrier(len(stores))
    errors: list[BaseException] = []

    def create(store: ClientStore) -> None:
        start.wait()
        try:
            store.ensure_collection(encoder.dim, encoder.model_id, "default")
        except BaseException as e:  # collected: the assertion below names it
            errors.append(e)

    threads = [threading.Thread(target=create, args=(s,)) for s in stores]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often, so checks and creations interleave
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    assert errors == []
    assert all(s.info().dim == encoder.dim for s in stores)
