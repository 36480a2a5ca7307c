"""Hybrid search: encode -> fuse -> Qdrant filtered candidates -> FAISS re-rank -> explain."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from encoder import Encoder, fuse, normalize
from encoder.images import ImageSource
from indexer.errors import FilterError, ModelMismatchError, NotFoundError, QueryError
from indexer.filters import AnyOf, FilterSpec
from indexer.rerank import ranking, rerank
from indexer.schema import KEYWORD_FIELDS, PREDICTED_SUFFIX, TAGGED_FIELDS, Product
from indexer.settings import Settings
from indexer.store.change_log import Mark
from indexer.store.protocol import TracksChanges, VectorStore
from indexer.store.vector_cache import CONTENT_HASH, VectorCache

MAX_K = 100
MAX_OFFSET = 1000
MAX_TEXT = 500
VALUES_REFRESH_S = 5.0
SimilarBy = Literal["image", "text", "both"]


@dataclass(frozen=True, kw_only=True)
class Query:
    """One search: text, image or both, with filters and a page."""

    text: str | None = None
    image: ImageSource | None = None
    alpha: float | None = None  # None: the configured default when both are given
    filters: FilterSpec = field(default_factory=FilterSpec)
    k: int = 10
    offset: int = 0
    exact: bool = False


@dataclass(frozen=True)
class Hit:
    """One ranked product with the explanation of its score."""

    id: str
    score: float
    breakdown: dict[str, Any]
    product: Product

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "score": round(self.score, 6),
            "breakdown": self.breakdown,
            "product": self.product.to_payload(),
        }


@dataclass(frozen=True)
class SearchResult:
    """Ranked hits, how many candidates were considered, and the time per stage (ms)."""

    hits: list[Hit]
    candidates: int
    timings: dict[str, float]
    filters: FilterSpec

    def to_json(self) -> dict[str, Any]:
        return {
            "results": [h.to_json() for h in self.hits],
            "candidates": self.candidates,
            "filters": self.filters.to_json(),
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }


class Searcher:
    """Runs queries against one store with one encoder; safe to share between threads."""

    def __init__(
        self, encoder: Encoder, store: VectorStore, settings: Settings | None = None, *,
        change_log: bool = True,
    ) -> None:
        """``change_log``: where the store tracks its writes (the embedded store), take candidates
        as point ids and keep vectors by the store's change log instead of reading each
        candidate's content hash (False: the content-hash path every store supports)."""
        self.encoder = encoder
        self.store = store
        self.settings = settings or Settings()
        self._values: dict[str, dict[str, str]] = {}
        self._values_at: dict[str, tuple[float, int]] = {}
        self._values_lock = threading.Lock()
        self.vectors = VectorCache(self.settings.vector_cache_mb * 1024 * 1024)
        self._tracked = change_log and isinstance(store, TracksChanges)
        info = store.info()
        if info.model is not None and info.model != encoder.model_id:
            raise ModelMismatchError(
                f"the collection was built with model {info.model} but the loaded model is "
                f"{encoder.model_id}; set VITRINE_MODEL to the collection's model or re-index"
            )

    # -- filters ------------------------------------------------------------------------------

    def known_values(self, name: str, refresh: bool = False) -> dict[str, str]:
        """Lower-cased -> stored spelling of every value a keyword payload field has.

        ``refresh`` (a value not seen yet: it may have been ingested since) re-reads them when
        the collection's size changed or VALUES_REFRESH_S passed, so a stream of invalid values
        costs a count each, not a facet count over the collection under this lock."""
        with self._values_lock:
            if refresh and name in self._values:
                read_at, size = self._values_at[name]
                refresh = time.monotonic() - read_at >= VALUES_REFRESH_S or self.store.count() != size
            if refresh or name not in self._values:
                size = self.store.count()
                counts = self.store.facets(name, FilterSpec(), limit=10_000)
                self._values[name] = {str(v).casefold(): str(v) for v in counts}
                self._values_at[name] = (time.monotonic(), size)
            return self._values[name]

    def _accepted_values(self, name: str, spec: FilterSpec, refresh: bool = False) -> dict[str, str]:
        known = dict(self.known_values(name, refresh))
        if spec.include_predicted and name in TAGGED_FIELDS:
            # catalog spellings win over predicted ones for the same word
            known = {**self.known_values(f"{name}{PREDICTED_SUFFIX}", refresh), **known}
        return known

    def canonical_filters(self, spec: FilterSpec) -> FilterSpec:
        """Map keyword values to the collection's spelling ("casual" -> "Casual").

        Raises:
            FilterError: a value the field never takes, naming the values it does take.
        """
        out = spec
        for name, cond in spec.conditions:
            if name not in KEYWORD_FIELDS or not isinstance(cond, AnyOf):
                continue
            values = []
            for value in cond.values:
                key = str(value).casefold()
                known = self._accepted_values(name, spec)
                if key not in known:
                    # it may have been ingested since the values were read
                    known = self._accepted_values(name, spec, refresh=True)
                if key not in known:
                    valid = ", ".join(sorted(known.values())[:60]) or "none yet"
                    raise FilterError(f"no product has {name} {value!r}; valid values: {valid}")
                values.append(known[key])
            out = out.with_condition(name, AnyOf(tuple(dict.fromkeys(values))))
        return out

    # -- search -------------------------------------------------------------------------------

    def _validate(self, query: Query) -> float:
        if not query.text and query.image is None:
            raise QueryError("a search needs text, an image, or both")
        if query.text is not None and len(query.text) > MAX_TEXT:
            raise QueryError(f"text is longer than {MAX_TEXT} characters")
        if not 1 <= query.k <= MAX_K:
            raise QueryError(f"k must be between 1 and {MAX_K}, got {query.k}")
        if not 0 <= query.offset <= MAX_OFFSET:
            raise QueryError(f"offset must be between 0 and {MAX_OFFSET}, got {query.offset}")
        alpha = self.settings.default_alpha if query.alpha is None else query.alpha
        if not 0.0 <= alpha <= 1.0:
            raise QueryError(f"alpha must be between 0 and 1, got {alpha}")
        return alpha

    def encode(self, query: Query, alpha: float) -> tuple[np.ndarray, float]:
        """The fused query vector, and the alpha actually applied (0 or 1 for one modality)."""
        e_text = self.encoder.embed_text(query.text) if query.text else None
        e_image = self.encoder.embed_image(query.image) if query.image is not None else None
        if e_image is None:
            alpha = 0.0
        elif e_text is None:
            alpha = 1.0
        return fuse(e_image, e_text, alpha), alpha

    def search(self, query: Query) -> SearchResult:
        """Run one query.

        Raises:
            QueryError, FilterError: bad input (the message says what is valid).
            ImageDecodeError: the query image cannot be decoded.
        """
        alpha = self._validate(query)
        t0 = time.perf_counter()
        filters = self.canonical_filters(query.filters)
        vector, alpha = self.encode(query, alpha)
        t1 = time.perf_counter()
        return self._rank(vector, filters, query.k, query.offset, query.exact, alpha, t0, t1)

    def similar(
        self,
        product_id: str,
        by: SimilarBy = "image",
        filters: FilterSpec | None = None,
        k: int = 10,
        offset: int = 0,
    ) -> SearchResult:
        """Products like ``product_id`` by its stored image vector, text vector, or both."""
        if not 1 <= k <= MAX_K:
            raise QueryError(f"k must be between 1 and {MAX_K}, got {k}")
        t0 = time.perf_counter()
        found = self.store.get([product_id], with_vectors=True)
        if not found:
            raise NotFoundError(f"no product with id {product_id!r}")
        anchor = found[0]
        assert anchor.image is not None and anchor.text is not None
        vectors = {"image": anchor.image, "text": anchor.text, "both": anchor.image + anchor.text}
        if by not in vectors:
            raise QueryError(f"similar items are found by image, text or both, not {by!r}")
        alpha = {"image": 1.0, "text": 0.0, "both": 0.5}[by]
        spec = self.canonical_filters(filters or FilterSpec())
        t1 = time.perf_counter()
        # one extra so that the anchor itself can be dropped without shortening the page
        result = self._rank(normalize(vectors[by]), spec, k + 1, offset, False, alpha, t0, t1)
        hits = [h for h in result.hits if h.id != str(product_id)][:k]
        return SearchResult(hits, result.candidates, result.timings, spec)

    def _rank(
        self,
        vector: np.ndarray,
        filters: FilterSpec,
        k: int,
        offset: int,
        exact: bool,
        alpha: float,
        t0: float,
        t1: float,
    ) -> SearchResult:
        s = self.settings
        limit = max(s.candidates, s.oversample * (k + offset))
        if self._tracked:
            # Point ids only; the cache knows which of its vectors the store has rewritten.
            found = self.store.candidate_ids(  # type: ignore[attr-defined]
                vector, filters, limit, exact=exact, hnsw_ef=s.hnsw_ef, acorn=s.acorn,
                since=self.vectors.mark,
            )
            t2 = time.perf_counter()
            considered = len(found.point_ids)
            product_ids, images, texts = self.vectors.by_point(self.store, found)  # type: ignore[arg-type]
            mark: Mark | None = found.mark
        else:
            # Ids and content hashes only: vectors come from the cache, payloads only for the page.
            points = self.store.candidates(
                vector, filters, limit, exact=exact, hnsw_ef=s.hnsw_ef, acorn=s.acorn,
                with_vectors=False, payload_fields=("id", CONTENT_HASH),
            )
            t2 = time.perf_counter()
            considered = len(points)
            points, images, texts = self.vectors.vectors(self.store, points)
            product_ids = [p.product_id for p in points]
            mark = None
        hits = self._explain(vector, product_ids, images, texts, filters, alpha, offset, k, mark)
        t3 = time.perf_counter()
        timings = {
            "encode_ms": (t1 - t0) * 1000,
            "candidates_ms": (t2 - t1) * 1000,
            "rerank_ms": (t3 - t2) * 1000,
            "total_ms": (t3 - t0) * 1000,
        }
        return SearchResult(hits, considered, timings, filters)

    def _explain(
        self, vector: np.ndarray, product_ids: list[str], images: np.ndarray, texts: np.ndarray,
        filters: FilterSpec, alpha: float, offset: int, k: int, mark: Mark | None,
    ) -> list[Hit]:
        """Re-rank every candidate, then explain only the page asked for (building each hit
        costs more than scoring it). ``mark``: the change-log mark of the candidate search,
        when the page's payloads may come from the vector cache."""
        if not product_ids:
            return []
        s = self.settings
        scores = rerank(vector, images, texts, s.w_image, s.w_text)
        order = ranking(scores.score)
        hits: list[Hit] = []
        start = offset
        while len(hits) < k and start < len(order):
            # The page's payloads, read now; a product deleted since the candidate search is
            # skipped and the next one takes its place.
            chunk = [int(i) for i in order[start : start + k - len(hits)]]
            start += len(chunk)
            page = [product_ids[i] for i in chunk]
            if mark is not None:
                payloads = self.vectors.payloads(self.store, page, mark)
            else:
                payloads = {p.product_id: p.payload for p in self.store.get(page)}
            for idx in chunk:
                payload = payloads.get(product_ids[idx])
                if payload is None:
                    continue
                breakdown = {
                    "s_image": round(float(scores.s_image[idx]), 6),
                    "s_text": round(float(scores.s_text[idx]), 6),
                    "alpha": alpha,
                    "weights": {"image": s.w_image, "text": s.w_text},
                    "formula": "score = w_image * s_image + w_text * s_text",
                    "candidate_rank": idx + 1,
                    "matched_filters": filters.matched(payload),
                }
                product = Product.from_payload(payload)
                hits.append(Hit(product_ids[idx], float(scores.score[idx]), breakdown, product))
        return hits
