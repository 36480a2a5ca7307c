"""Search: the request model, the core (``Searcher``: encode, candidates, re-rank, explain) and
the ``SearchService`` every view goes through (request checks, images, taste, sort, paging,
facets, outfits). See docs/architecture.md for the path a search takes.

Names are imported on first use (PEP 562) so that importing a light part of the package
(``vitrine --help``, settings, filters) does not load torch or the Qdrant client."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lazy import lazy_exports

if TYPE_CHECKING:
    from indexer.search.encoding import DirectEncoder, QueryEncoder
    from indexer.search.engine import Searcher
    from indexer.search.model import (
        MAX_K,
        MAX_OFFSET,
        MAX_TEXT,
        POOL,
        SORTS,
        Hit,
        Page,
        Query,
        SearchPage,
        SearchRequest,
        SearchResult,
        SimilarBy,
        SimilarRequest,
    )
    from indexer.search.service import SearchService

_EXPORTS = {
    "DirectEncoder": "indexer.search.encoding",
    "QueryEncoder": "indexer.search.encoding",
    "Searcher": "indexer.search.engine",
    "MAX_K": "indexer.search.model",
    "MAX_OFFSET": "indexer.search.model",
    "MAX_TEXT": "indexer.search.model",
    "POOL": "indexer.search.model",
    "SORTS": "indexer.search.model",
    "Hit": "indexer.search.model",
    "Page": "indexer.search.model",
    "Query": "indexer.search.model",
    "SearchPage": "indexer.search.model",
    "SearchRequest": "indexer.search.model",
    "SearchResult": "indexer.search.model",
    "SimilarBy": "indexer.search.model",
    "SimilarRequest": "indexer.search.model",
    "SearchService": "indexer.search.service",
}

__all__ = [
    "MAX_K",
    "MAX_OFFSET",
    "MAX_TEXT",
    "POOL",
    "SORTS",
    "DirectEncoder",
    "Hit",
    "Page",
    "Query",
    "QueryEncoder",
    "SearchPage",
    "SearchRequest",
    "SearchResult",
    "SearchService",
    "Searcher",
    "SimilarBy",
    "SimilarRequest",
]


# Import an exported name from its module on first use, then keep it here.
__getattr__ = lazy_exports(__name__, _EXPORTS, globals())
