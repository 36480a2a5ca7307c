"""Errors raised by the indexer.

    IndexerError
     +-- FilterError        a filter names an unknown field or carries a bad value (400)
     +-- QueryError         a search request is malformed (400)
     +-- NotFoundError      a product id that is not in the collection (404)
     +-- StoreError         the vector store cannot be opened or refused an operation
          +-- ModelMismatchError  the collection was built with another model
"""

from __future__ import annotations


class IndexerError(Exception):
    """Base class of every error the indexer raises."""

    status_code = 500


class FilterError(IndexerError, ValueError):
    """A filter a caller sent is invalid; the message names what is valid instead."""

    status_code = 400


class NotFoundError(IndexerError, LookupError):
    """The product asked for is not in the collection."""

    status_code = 404


class StoreError(IndexerError):
    """The vector store failed or cannot be reached."""

    status_code = 503


class ModelMismatchError(StoreError):
    """Query vectors from one model cannot be compared with stored vectors from another."""

    status_code = 409


class QueryError(IndexerError, ValueError):
    """A search request is malformed (no query, alpha out of range, k too large)."""

    status_code = 400
