"""Indexer: the product schema, catalog import, Qdrant stores, filters, re-ranking and search."""

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
