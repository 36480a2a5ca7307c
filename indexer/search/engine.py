"""The search core: encode -> filtered candidates -> exact re-rank -> explained page.

``Searcher`` runs ranked retrievals over one store with one model. ``SearchService``
(indexer/search/service.py) puts the request around it: image fetching, sorting, the taste
term, paging and facets.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from encoder import Encoder, normalize
from indexer.errors import ModelMismatchError, NotFoundError, QueryError
from indexer.filters import FilterSpec
from indexer.search.candidates import CandidateSource, DenseCandidates, gather
from indexer.search.catalog_facts import FactsCache
from indexer.search.encoding import DirectEncoder, QueryEncoder, encode_query
from indexer.search.fusion import Fusion
from indexer.search.hybrid import HybridRanker
from indexer.search.model import Query, SearchResult, SimilarRequest, check_query, check_similar
from indexer.search.ranking import Explainer, ScoreTerm, score
from indexer.search.reading import UNDERSTAND_MODES, Reading
from indexer.search.values import KnownValues
from indexer.store.protocol import VectorStore
from indexer.store.vector_cache import VectorCache
from settings.core import Settings

SIMILAR_ALPHA = {"image": 1.0, "text": 0.0, "both": 0.5}


class Searcher:
    """Runs queries against one store with one encoder; safe to share between threads."""

    def __init__(
        self, encoder: Encoder, store: VectorStore, settings: Settings | None = None, *,
        query_encoder: QueryEncoder | None = None, change_log: bool = True,
        terms: Sequence[ScoreTerm] = (), vectors: VectorCache | None = None,
    ) -> None:
        """``query_encoder``: what embeds queries (default: ``encoder`` itself, uncached).
        ``change_log``: where the store tracks its writes (the embedded store), take candidates
        as point ids and keep vectors by the store's change log instead of reading each
        candidate's content hash (False: the content-hash path every store supports).
        ``terms``: extra re-rank score terms (none by default). ``vectors``: the vector cache
        (default: one of ``settings.vector_cache_mb``)."""
        self.encoder = encoder
        self.query_encoder = query_encoder or DirectEncoder(encoder)
        self.store = store
        self.settings = settings or Settings()
        self.values = KnownValues(store)
        if vectors is None:
            vectors = VectorCache(self.settings.vector_cache_mb * 1024 * 1024)
        self.vectors = vectors
        self.sources: list[CandidateSource] = [
            DenseCandidates(store, self.vectors, self.settings, tracked=change_log)
        ]
        self.terms = list(terms)
        self._explainer = Explainer(store, self.vectors, self.settings)
        s = self.settings
        if s.understand not in UNDERSTAND_MODES:
            raise QueryError(f"VITRINE_UNDERSTAND must be one of {', '.join(UNDERSTAND_MODES)}, "
                             f"got {s.understand!r}")
        self.fusion = Fusion(s.fusion, {"image": s.fusion_w_image, "text": s.fusion_w_text,
                                        "keyword": s.fusion_w_keyword, "attributes": s.fusion_w_attributes},
                             s.rrf_k)
        self.facts = FactsCache(store)
        self._has_keywords = store.has_keywords()  # a re-index brings a new store and searcher
        self.hybrid = HybridRanker(self.sources[0], store, self.facts, self._explainer)  # type: ignore[arg-type]
        info = store.info()
        if info.model is not None and info.model != encoder.model_id:
            raise ModelMismatchError(
                f"the collection was built with model {info.model} but the loaded model is "
                f"{encoder.model_id}; set VITRINE_MODEL to the collection's model or re-index"
            )

    def known_values(self, name: str, refresh: bool = False) -> dict[str, str]:
        """Lower-cased -> stored spelling of every value a keyword payload field has."""
        return self.values.of(name, refresh)

    def canonical_filters(self, spec: FilterSpec) -> FilterSpec:
        """Map keyword values to the collection's spelling ("casual" -> "Casual").

        Raises:
            FilterError: a value the field never takes, naming the values it does take.
        """
        return self.values.canonical(spec)

    def search(self, query: Query) -> SearchResult:
        """Check and run one query.

        Raises:
            QueryError, FilterError: bad input (the message says what is valid).
            ImageDecodeError: the query image cannot be decoded.
        """
        return self.run(query, check_query(query, self.settings.default_alpha))

    def run(self, query: Query, alpha: float, reading: Reading | None = None,
            fusion: Fusion | None = None) -> SearchResult:
        """Run a query already checked (``check_query`` gave ``alpha``). With a ``reading`` of
        its text (``indexer.search.reading``) a text-only query is ranked by the hybrid: dense,
        keyword and understood candidates, their terms fused (``fusion``, default ``self.fusion``)."""
        t0 = time.perf_counter()
        filters = self.canonical_filters(query.filters)
        vector, alpha = encode_query(self.query_encoder, query, alpha)
        t1 = time.perf_counter()
        if reading is not None and query.image is None:
            limit = self._limit(query.k, query.offset, query.depth)
            keywords = self.settings.keyword_candidates if self.keywords_on() else 0
            return self.hybrid.rank(vector, filters, reading, fusion or self.fusion, keywords, limit, query,
                                    alpha, (t0, t1))
        return self._rank(vector, filters, query.k, query.offset, query.exact, alpha, t0, t1, query.defer,
                          query.depth)

    def _limit(self, k: int, offset: int, depth: int | None) -> int:
        """Candidates per vector: ``depth`` when given (never below the settings' minimum), else
        enough for the page with oversampling."""
        s = self.settings
        return max(s.candidates, depth if depth is not None else s.oversample * (k + offset))

    def keywords_on(self) -> bool:
        """Whether text queries take keyword candidates (the setting, and the collection has
        the keyword vector: one built before it has not)."""
        return self.settings.keywords and self._has_keywords

    def similar(self, request: SimilarRequest) -> SearchResult:
        """Products like ``request.product_id`` by its stored image vector, text vector, or both.

        Raises:
            QueryError: a bad ``by``, ``k`` or ``offset``. NotFoundError: no such product.
        """
        check_similar(request)
        return self.run_similar(request)

    def run_similar(self, request: SimilarRequest) -> SearchResult:
        """``similar`` for a request already checked."""
        t0 = time.perf_counter()
        found = self.store.get([request.product_id], with_vectors=True)
        image = found[0].image if found else None
        text = found[0].text if found else None
        if image is None or text is None:
            raise NotFoundError(f"no product with id {request.product_id!r}")
        vectors = {"image": image, "text": text, "both": image + text}
        spec = self.canonical_filters(request.filters)
        t1 = time.perf_counter()
        k = request.k
        # one extra so that the anchor itself can be dropped without shortening the page
        result = self._rank(normalize(vectors[request.by]), spec, k + 1, request.offset, False,
                            SIMILAR_ALPHA[request.by], t0, t1)
        hits = [h for h in result.hits if h.id != str(request.product_id)][:k]
        return SearchResult(hits, result.candidates, result.timings, spec)

    def _rank(
        self, vector: np.ndarray, filters: FilterSpec, k: int, offset: int, exact: bool, alpha: float,
        t0: float, t1: float, defer: bool = False, depth: int | None = None,
    ) -> SearchResult:
        s = self.settings
        limit = self._limit(k, offset, depth)
        candidates = gather(self.sources, vector, filters, limit, exact)
        t2 = t1 + candidates.seconds
        scored = score(vector, candidates, s, self.terms)
        hits = self._explainer.page(candidates, scored, filters, alpha, offset, k, defer)
        t3 = time.perf_counter()
        timings = {
            "encode_ms": (t1 - t0) * 1000,
            "candidates_ms": (t2 - t1) * 1000,
            "rerank_ms": (t3 - t2) * 1000,
            "total_ms": (t3 - t0) * 1000,
        }
        return SearchResult(hits, candidates.considered, timings, filters)
