"""Choosing the backend: Qdrant Edge by default, a Qdrant server when QDRANT_URL is set, and the
embedded store through its host when VITRINE_STORE_SOCKET is set."""

from __future__ import annotations

from indexer.store.edge import EdgeStore
from indexer.store.protocol import VectorStore
from settings.core import Settings


def open_store(settings: Settings) -> VectorStore:
    """Open the configured collection (it is created on first write)."""
    if settings.qdrant_url:
        # Imported here: the Qdrant client takes seconds to import, and the embedded store
        # (the default, and every one-shot command on it) does not need it.
        from indexer.store.client import ClientStore

        return ClientStore(
            settings.qdrant_url, api_key=settings.qdrant_api_key, collection=settings.collection,
            shards=settings.shards, replication_factor=settings.replication_factor, hnsw_m=settings.hnsw_m,
        )
    if settings.store_socket:
        from indexer.store.remote import RemoteStore

        return RemoteStore(settings.store_socket, settings.collection)
    return EdgeStore(settings.data_dir, settings.collection, hnsw_m=settings.hnsw_m,
                     search_threads=settings.search_threads)
