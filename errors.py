"""The root of every error Vitrine raises on purpose: ``except VitrineError`` catches them all,
and each package's own root catches that package's.

    VitrineError
     +-- SettingsError            a variable that does not parse, or an unsafe combination
     |                            (settings/; also a ValueError)
     +-- EncoderError             (encoder/errors.py)
     |    +-- ModelNotFoundError     weights or config missing on disk (never downloaded)
     |    +-- ModelSpecError         the model spec string cannot be understood
     |    +-- ImageDecodeError       an image could not be read or decoded
     +-- IndexerError             (indexer/errors.py)
     |    +-- FilterError            a filter names an unknown field or carries a bad value
     |    +-- QueryError             a search request is malformed
     |    +-- NotFoundError          a product id that is not in the collection
     |    +-- StoreError             the vector store cannot be opened or refused an operation
     |    |    +-- ModelMismatchError   the collection was built with another model
     |    |    +-- HostUnreachable      the store host does not answer (indexer/store/remote.py)
     |    +-- MediaError             an image or image URL from outside was refused
     |         +-- UnsafeUrl, FetchFailed, ImageTooLarge, UnsupportedImage, BadImage
     +-- CatalogError             a catalog cannot be read at all (indexer/catalog.py)
     +-- WireError                the store host's connection broke (indexer/store/wire.py; also a
     |                            ConnectionError)
     +-- IngestError              a product the workers cannot index (workers/jobs.py)
     +-- FeedError                a storefront feed cannot be read (workers/feeds.py)
     +-- TokenError               a bad, expired or revoked token (api/tokens.py)
     +-- ApiError                 an HTTP-level refusal (api/errors.py)
          +-- BadRequest, Unauthorized, Forbidden, PayloadTooLarge, UnsupportedMediaType,
              ServiceUnavailable

HTTP statuses are assigned in one place, ``api/errors.py``: the API's own errors carry theirs,
and it maps every other kind above to a status and a code. Nothing below the API knows HTTP.
"""

from __future__ import annotations


class VitrineError(Exception):
    """Base class of every error Vitrine raises on purpose."""


class SettingsError(VitrineError, ValueError):
    """A setting that does not parse, or settings that would make a component unsafe or unusable."""
