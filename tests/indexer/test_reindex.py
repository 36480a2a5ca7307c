"""Re-indexing with another model while searches and writes go on, and following a switch."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from qdrant_client import QdrantClient

from encoder import Encoder
from indexer import ClientStore, EdgeStore, Query, Settings, index_entries
from indexer.catalog import CatalogEntry
from indexer.live import LiveIndex
from indexer.reindex import reindex
from indexer.store.aliases import resolve_edge_alias
from tests.conftest import make_tiny_model


@pytest.fixture(scope="module")
def other_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Encoder]:
    directory = make_tiny_model(tmp_path_factory.mktemp("models") / "tiny-clip-b", seed=1)
    return directory, Encoder.load(str(directory), device="cpu")


def test_reindex_switches_without_failing_a_search(
    tmp_path: Path,
    encoder: Encoder,
    tiny_model_dir: Path,
    other_model: tuple[Path, Encoder],
    catalog_entries: list[CatalogEntry],
) -> None:
    spec_b, encoder_b = other_model
    settings = Settings(data_dir=tmp_path)
    store = EdgeStore(tmp_path)
    index_entries(encoder, store, catalog_entries[:60], spec=str(tiny_model_dir))
    live = LiveIndex(settings, encoder, store)
    errors: list[Exception] = []
    models_seen: set[str] = set()
    stop = threading.Event()

    def search_forever() -> None:
        while not stop.is_set():
            try:
                view = live.current()
                result = view.searcher.search(Query(text="blue shirt", k=5))
                assert len(result.hits) == 5
                models_seen.add(view.encoder.model_id)
            except Exception as e:  # any failure at all is what this test looks for
                errors.append(e)

    searchers = [threading.Thread(target=search_forever) for _ in range(2)]
    for t in searchers:
        t.start()
    # products written while the copy runs must reach the new collection too
    writer = threading.Thread(
        target=lambda: index_entries(live.current().encoder, live.current().store, catalog_entries[60:80])
    )
    writer.start()
    report = reindex(live, encoder_b, str(spec_b))
    writer.join()
    stop.set()
    for t in searchers:
        t.join()

    assert errors == []
    assert encoder.model_id in models_seen
    view = live.current()
    assert view.encoder.model_id == encoder_b.model_id
    assert view.store.info().model == encoder_b.model_id
    assert view.store.count() == 80  # the 60 copied and the 20 written during the copy
    assert report.copied >= 60 and report.skipped == []
    assert resolve_edge_alias(tmp_path, "products") == report.target
    hits = view.searcher.search(Query(text="blue shirt", k=5)).hits
    assert hits and all(h.breakdown["s_text"] is not None for h in hits)
    live.close()
    # a process started after the switch opens the new collection by its name
    reopened = EdgeStore(tmp_path)
    assert reopened.physical == report.target and reopened.info().model == encoder_b.model_id
    reopened.close()


def test_another_process_follows_the_switch(
    encoder: Encoder,
    tiny_model_dir: Path,
    other_model: tuple[Path, Encoder],
    catalog_entries: list[CatalogEntry],
) -> None:
    spec_b, encoder_b = other_model
    client = QdrantClient(":memory:")
    settings = Settings()
    writer_store = ClientStore(client=client, collection="products")
    index_entries(encoder, writer_store, catalog_entries[:30], spec=str(tiny_model_dir))
    assert writer_store.physical != "products"  # the name is an alias from the start
    serving = LiveIndex(settings, encoder, ClientStore(client=client, collection="products"), check_every_s=0)
    maintenance = LiveIndex(settings, encoder, writer_store)
    report = reindex(maintenance, encoder_b, str(spec_b))
    view = serving.current()  # the other "process" notices the alias moved and loads model B
    assert view.store.physical == report.target
    assert view.encoder.model_id == encoder_b.model_id
    assert view.searcher.search(Query(text="shoes", k=3)).hits
    assert view.store.count() == 30
