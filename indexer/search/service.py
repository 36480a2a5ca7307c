"""``SearchService``: the one way every view searches.

A view turns its input into a ``SearchRequest`` (or ``SimilarRequest``) and shapes the
``SearchPage`` it gets back; everything between happens here, top-down and once:

    check the request -> take the image (as given, uploaded, or fetched from a URL)
    -> read a text-only query (understood attributes, typos, notices: ``reading.read_query``)
    -> the core (encode, candidates, re-rank, explain: ``Searcher``; a read text query takes the
       hybrid ranking, docs/hybrid.md) over a pool or the page
    -> the taste term -> the sort -> the page -> facet counts

A service serves one generation of the index (one model, one store) for one request or job.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from indexer.errors import FetchFailed
from indexer.media import accept_image
from indexer.schema import Product
from indexer.search.diversity import check_diversity, diversify
from indexer.search.engine import Searcher
from indexer.search.facets import FacetCounter
from indexer.search.model import (
    MAX_OFFSET,
    POOL,
    Hit,
    Page,
    Query,
    QueryImageSource,
    SearchPage,
    SearchRequest,
    SearchResult,
    SimilarRequest,
    check_query,
    check_request,
    check_similar,
)
from indexer.search.outfits import Suggestion, complete_the_look
from indexer.search.reading import Reading, check_understanding, read_query
from indexer.search.taste import Taste, apply_taste, build_taste
from indexer.search.variants import expand_variants
from indexer.store.protocol import VectorStore

Fetcher = Callable[[str], bytes]


def sort_key(sort: str) -> Callable[[Hit], tuple[bool, float]]:
    """How a sort orders hits; missing prices or years sort last whatever the direction."""
    if sort == "price_asc":
        return lambda h: (h.product.price is None, h.product.price or 0.0)
    if sort == "price_desc":
        return lambda h: (h.product.price is None, -(h.product.price or 0.0))
    return lambda h: (h.product.year is None, -(h.product.year or 0))


@dataclass(frozen=True)
class SearchService:
    """Search, similar items, taste and complete-the-look over one searcher's store."""

    searcher: Searcher
    facets: FacetCounter | None = None
    fetch: Fetcher | None = None
    max_image_bytes: int = 8 * 1024 * 1024

    @property
    def store(self) -> VectorStore:
        return self.searcher.store

    @property
    def model_id(self) -> str:
        return self.searcher.encoder.model_id

    def search(self, request: SearchRequest) -> SearchPage:
        """Answer one search request.

        Raises:
            QueryError, FilterError: the request is malformed (the message says what is valid).
            MediaError: the image or image URL was refused.
        """
        request = self._diverse(request)  # before the checks: a deep page simply goes without
        check_request(request)
        mode = request.understand or self.searcher.settings.understand
        ignore = check_understanding(mode, request.ignore)
        timings: dict[str, float] = {}
        image = self._image(request, timings)
        reading = self._read(request.text, image is None, mode, ignore, timings)
        pooled = request.pooled
        text = reading.search_text if reading is not None else request.text
        query = Query(text=text, image=image, alpha=request.alpha, filters=request.filters,
                      exact=request.exact, k=POOL if pooled else request.k,
                      offset=0 if pooled else request.offset, defer=pooled, depth=request.depth)
        fusion = self.searcher.fusion.override(request.fusion) if request.fusion else None
        result = self.searcher.run(query, check_query(query, self.searcher.settings.default_alpha), reading,
                                   fusion)
        timings.update(result.timings)
        hits = self._personal(result.hits, request.taste, timings)
        if request.diversity:
            t = time.perf_counter()
            hits = diversify(self.store, hits, request.diversity)
            timings["diversity_ms"] = (time.perf_counter() - t) * 1000
        merch = None
        if request.merch is not None:
            t = time.perf_counter()
            understood = reading.understood_json() if reading is not None else None
            hits, merch = request.merch.apply(self.store, hits, request, understood, pooled)
            timings["merch_ms"] = (time.perf_counter() - t) * 1000
        if request.sort != "relevance":
            hits = sorted(hits, key=sort_key(request.sort))
        if pooled:
            hits = hits[request.offset : request.offset + request.k]
        hits = [h.explained() for h in hits]  # the page's explanations only (a pool defers them)
        facets, total = self._facets(request.facets, result, timings)
        on_page = shown = len(hits)  # offsets count products; ungrouped, some may wait
        if not request.group:
            hits, shown = expand_variants(hits, result.filters, request.k)
        next_offset = request.offset + request.k
        last = POOL - 1 if pooled else MAX_OFFSET
        more = on_page == request.k and next_offset <= last and (total is None or next_offset < total)
        if shown < on_page:  # the page filled with variants: the next starts at the first left out
            next_offset, more = request.offset + shown, True
        page = Page(k=request.k, offset=request.offset, returned=len(hits),
                    next_offset=next_offset if more else None, total_matching=total)
        told = (*reading.notices, *result.notices) if reading is not None else result.notices
        return SearchPage(result=SearchResult(hits, result.candidates, result.timings, result.filters),
                          page=page, timings=timings, facets=facets, had_image=image is not None,
                          understood=reading.understood_json() if reading is not None else None,
                          notices=told, did_you_mean=reading.did_you_mean if reading is not None else None,
                          merch=merch)

    def _diverse(self, request: SearchRequest) -> SearchRequest:
        """The diversity the request gets: asked or the default, on a relevance-ordered page
        within the first POOL (a sorted page, or one deeper than POOL, keeps the core's order)."""
        asked = self.searcher.settings.diversity if request.diversity is None else request.diversity
        diversity = check_diversity(asked)
        if request.sort != "relevance" or request.offset + request.k > POOL:
            diversity = 0.0
        return replace(request, diversity=diversity)

    def _read(self, text: str | None, text_only: bool, mode: str, ignore: frozenset[str],
              timings: dict[str, float]) -> Reading | None:
        """How a text-only query is read (composed and image queries rank as they always have)."""
        if not text or not text_only:
            return None
        t = time.perf_counter()
        facts = self.searcher.facts.get() if mode != "off" else None
        reading = read_query(text, facts, mode, ignore)
        timings["understand_ms"] = (time.perf_counter() - t) * 1000
        return reading

    def similar(self, request: SimilarRequest) -> SearchPage:
        """Products like one product; with a taste, re-ordered within the POOL most similar."""
        check_similar(request)
        if request.taste is None:
            result = self.searcher.run_similar(request)
            hits = result.hits
        else:
            result = self.searcher.run_similar(replace(request, k=POOL - 1, offset=0))
            hits = apply_taste(self.store, result.hits, request.taste)
            hits = hits[request.offset : request.offset + request.k]
        page = Page(k=request.k, offset=request.offset, returned=len(hits))
        return SearchPage(result=SearchResult(hits, result.candidates, result.timings, result.filters),
                          page=page, timings=dict(result.timings))

    def taste(self, favorites: list[tuple[str, float]], clicks: list[tuple[str, float]]) -> Taste | None:
        """The taste of a shopper's (product id, timestamp) favourites and clicks, now."""
        return build_taste(self.store, favorites, clicks, time.time())

    def complete_the_look(self, product_id: str) -> tuple[Product, list[Suggestion], str | None]:
        """The anchor, one suggestion per complementary slot, and a note when it has no slots."""
        return complete_the_look(self.store, product_id)

    def _image(self, request: SearchRequest, timings: dict[str, float]) -> QueryImageSource | None:
        if request.image_url:
            if self.fetch is None:
                raise FetchFailed("this service does not fetch image URLs")
            t = time.perf_counter()
            data = self.fetch(request.image_url)
            timings["fetch_ms"] = (time.perf_counter() - t) * 1000
            return accept_image(data, self.max_image_bytes)
        if request.upload is not None:
            return accept_image(request.upload, self.max_image_bytes)
        return request.image

    def _personal(self, hits: list[Hit], taste: Taste | None, timings: dict[str, float]) -> list[Hit]:
        if taste is None:
            return hits
        t = time.perf_counter()
        out = apply_taste(self.store, hits, taste)
        timings["taste_ms"] = (time.perf_counter() - t) * 1000
        return out

    def _facets(
        self, wanted: bool, result: SearchResult, timings: dict[str, float]
    ) -> tuple[dict[str, Any] | None, int | None]:
        if not wanted or self.facets is None:
            return None, None
        t = time.perf_counter()
        facets, total = self.facets.counts(self.store, result.filters)
        timings["facets_ms"] = (time.perf_counter() - t) * 1000
        return facets, total
