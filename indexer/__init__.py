"""Indexer: the product schema, catalog import, Qdrant stores, filters, re-ranking and search.

Names are imported on first use (PEP 562) so that importing a light part of the package
(``vitrine --help``, settings, filters) does not load torch or the Qdrant client."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lazy import lazy_exports

if TYPE_CHECKING:
    from indexer.catalog import CatalogError, CatalogReport, RowError, read_catalog
    from indexer.errors import (
        FilterError,
        IndexerError,
        ModelMismatchError,
        NotFoundError,
        QueryError,
        StoreError,
    )
    from indexer.filters import FilterSpec, parse_cli_filters, parse_filters
    from indexer.ingest import product_text
    from indexer.pipeline import IndexReport, index_entries
    from indexer.schema import FILTER_FIELDS, Product, point_id
    from indexer.search import Hit, Query, Searcher, SearchResult
    from indexer.store.backends import open_store
    from indexer.store.client import ClientStore
    from indexer.store.edge import EdgeStore
    from indexer.store.protocol import StoredPoint, VectorStore
    from settings.core import Settings

_EXPORTS = {
    "CatalogError": "indexer.catalog",
    "CatalogReport": "indexer.catalog",
    "RowError": "indexer.catalog",
    "read_catalog": "indexer.catalog",
    "FilterError": "indexer.errors",
    "IndexerError": "indexer.errors",
    "ModelMismatchError": "indexer.errors",
    "NotFoundError": "indexer.errors",
    "QueryError": "indexer.errors",
    "StoreError": "indexer.errors",
    "FilterSpec": "indexer.filters",
    "parse_cli_filters": "indexer.filters",
    "parse_filters": "indexer.filters",
    "product_text": "indexer.ingest",
    "IndexReport": "indexer.pipeline",
    "index_entries": "indexer.pipeline",
    "FILTER_FIELDS": "indexer.schema",
    "Product": "indexer.schema",
    "point_id": "indexer.schema",
    "Hit": "indexer.search",
    "Query": "indexer.search",
    "Searcher": "indexer.search",
    "SearchResult": "indexer.search",
    "open_store": "indexer.store.backends",
    "ClientStore": "indexer.store.client",
    "EdgeStore": "indexer.store.edge",
    "StoredPoint": "indexer.store.protocol",
    "VectorStore": "indexer.store.protocol",
    "Settings": "settings.core",
}

__all__ = [
    "FILTER_FIELDS",
    "CatalogError",
    "CatalogReport",
    "ClientStore",
    "EdgeStore",
    "FilterError",
    "FilterSpec",
    "Hit",
    "IndexReport",
    "IndexerError",
    "ModelMismatchError",
    "NotFoundError",
    "Product",
    "Query",
    "QueryError",
    "RowError",
    "SearchResult",
    "Searcher",
    "Settings",
    "StoreError",
    "StoredPoint",
    "VectorStore",
    "index_entries",
    "open_store",
    "parse_cli_filters",
    "parse_filters",
    "point_id",
    "product_text",
    "read_catalog",
]


# Import an exported name from its module on first use, then keep it here.
__getattr__ = lazy_exports(__name__, _EXPORTS, globals())
