"""Search: the request model, the core (``Searcher``: encode, candidates, re-rank, explain) and
the ``SearchService`` every view goes through (request checks, images, taste, sort, paging,
facets, outfits). See docs/architecture.md for the path a search takes."""

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
