"""Errors raised by the indexer (a branch of the tree drawn in errors.py; the API maps them to
HTTP statuses in api/errors.py).

    IndexerError
     +-- FilterError        a filter names an unknown field or carries a bad value
     +-- QueryError         a search request is malformed
     +-- NotFoundError      a product id that is not in the collection
     +-- StoreError         the vector store cannot be opened or refused an operation
     |    +-- ModelMismatchError  the collection was built with another model
     +-- MediaError         an image or image URL from outside was refused (indexer.media)
          +-- UnsafeUrl         the URL points somewhere we will not fetch from
          +-- FetchFailed       the URL could not be fetched
          +-- ImageTooLarge     more bytes than allowed
          +-- UnsupportedImage  not JPEG, PNG or WEBP by content
          +-- BadImage          empty, corrupt, truncated or a decompression bomb
"""

from __future__ import annotations

from errors import VitrineError


class IndexerError(VitrineError):
    """Base class of every error the indexer raises."""


class FilterError(IndexerError, ValueError):
    """A filter a caller sent is invalid; the message names what is valid instead."""


class NotFoundError(IndexerError, LookupError):
    """The product asked for is not in the collection."""


class StoreError(IndexerError):
    """The vector store failed or cannot be reached."""


class ModelMismatchError(StoreError):
    """Query vectors from one model cannot be compared with stored vectors from another."""


class QueryError(IndexerError, ValueError):
    """A search request is malformed (no query, alpha out of range, k too large)."""


class MediaError(IndexerError, ValueError):
    """An image or image URL from outside was refused; the message says why."""


class UnsafeUrl(MediaError):
    """The URL has a wrong scheme, carries credentials, or resolves to a non-public address."""


class FetchFailed(MediaError):
    """The URL did not resolve, answered an error, redirected too often or was too slow."""


class ImageTooLarge(MediaError):
    """The image is larger than allowed."""


class UnsupportedImage(MediaError):
    """The image is not JPEG, PNG or WEBP by its content."""


class BadImage(MediaError):
    """The image is empty, corrupt, truncated, or has too many pixels."""
