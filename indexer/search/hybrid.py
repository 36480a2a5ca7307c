"""The hybrid ranking of a text query: candidates from the dense vectors, the ``keywords``
sparse vector and a dense search under the understood conditions; every candidate scored on
``s_image``, ``s_text``, ``s_keyword`` and ``s_attributes``; the terms fused
(indexer/search/fusion.py); filter mode keeps only products with every understood attribute.

    dense (image + text prefetch) --+
    keywords (BM25, IDF by Qdrant) --+--> union --> terms --> [filter mode] --> fuse --> page
    dense under understood filters --+   (filter mode)
"""

from __future__ import annotations

import time

import numpy as np

from indexer.filters import FilterSpec
from indexer.rerank import rerank
from indexer.search.candidates import Candidates, DenseCandidates, union
from indexer.search.catalog_facts import FactsCache, ProductFacts, product_facts
from indexer.search.fusion import Fusion
from indexer.search.matching import FULL, Matcher
from indexer.search.model import Query, SearchResult
from indexer.search.ranking import Explainer, Scored
from indexer.search.reading import Reading
from indexer.store.protocol import VectorStore


class HybridRanker:
    """Ranks text queries with keyword retrieval and query understanding over one store."""

    def __init__(self, dense: DenseCandidates, store: VectorStore, facts: FactsCache,
                 explainer: Explainer) -> None:
        self.dense = dense
        self.store = store
        self.facts = facts
        self.explainer = explainer

    def rank(
        self, vector: np.ndarray, filters: FilterSpec, reading: Reading, fusion: Fusion, keywords: int,
        limit: int, query: Query, alpha: float, started: tuple[float, float],
    ) -> SearchResult:
        """Rank a text query: ``keywords`` candidates from the keyword vector (0: none), ``limit``
        from each dense search."""
        t0, t1 = started
        candidates, keyword_scores = self.candidates(vector, filters, reading, keywords, limit, query.exact)
        t2 = time.perf_counter()
        facts = self.product_facts(candidates.product_ids)
        matcher = Matcher(reading)
        matrix = matcher.matrix(facts)
        notices: tuple[str, ...] = ()
        if reading.mode == "filter" and matcher:
            keep, notices = _hard_filter(matrix, matcher)
            candidates, facts, matrix = _subset(candidates, keep), [facts[i] for i in keep], matrix[keep]
        terms = self.terms(vector, candidates, keyword_scores, matcher.score(matrix))
        score = fusion.fuse(terms)
        weights = dict(fusion.weights)
        scored = Scored(
            terms["image"], terms["text"],
            {"keyword": (weights["keyword"], terms["keyword"]),
             "attributes": (weights["attributes"], terms["attributes"])},
            score, fusion=fusion.method, formula=fusion.formula, weights=weights,
            reasons=lambda i: matcher.explain(facts[i]),
        )
        hits = self.explainer.page(candidates, scored, filters, alpha, query.offset, query.k, query.defer)
        t3 = time.perf_counter()
        timings = {"encode_ms": (t1 - t0) * 1000, "candidates_ms": (t2 - t1) * 1000,
                   "rerank_ms": (t3 - t2) * 1000, "total_ms": (t3 - t0) * 1000}
        return SearchResult(hits, candidates.considered, timings, filters, notices)

    def pool(self, vector: np.ndarray, reading: Reading, keywords: int, limit: int
             ) -> tuple[list[str], dict[str, np.ndarray]]:
        """The candidates of a boost-mode text query (no filters) and their four terms, before
        fusion: what ``benchmarks.fusion_grid`` fuses under many weightings."""
        candidates, keyword_scores = self.candidates(vector, FilterSpec(), reading, keywords, limit, False)
        matcher = Matcher(reading)
        matrix = matcher.matrix(self.product_facts(candidates.product_ids))
        return candidates.product_ids, self.terms(vector, candidates, keyword_scores, matcher.score(matrix))

    def candidates(
        self, vector: np.ndarray, filters: FilterSpec, reading: Reading, keywords: int, limit: int,
        exact: bool,
    ) -> tuple[Candidates, dict[str, float]]:
        """The union of the three candidate searches, and the keyword scores. The dense and
        keyword searches are one store call where the store allows it, so their time is one
        (the caller's candidates_ms)."""
        scores: dict[str, float] = {}
        if keywords:
            first, scores = self.dense.fetch_with_keywords(vector, filters, limit, exact,
                                                           reading.keyword_text, keywords)
        else:
            first = self.dense.fetch(vector, filters, limit, exact)
        found = [first]
        # Filter mode keeps only products with every understood attribute, so it searches among
        # those too (the dense and keyword candidates may hold few of them); boost mode gains
        # nothing measurable from it on the relevance benchmark and saves the search.
        narrowed = reading.prefilter(filters) if reading.mode == "filter" and reading.active else None
        if narrowed is not None:
            found.append(self.dense.fetch(vector, narrowed, limit, exact))
        return union(found), scores

    def product_facts(self, product_ids: list[str]) -> list[ProductFacts | None]:
        """Each candidate's facts: from the catalog facts, else (written since they were read)
        from its payload."""
        known = self.facts.get().products
        out: list[ProductFacts | None] = [known.get(pid) for pid in product_ids]
        missing = [pid for pid, f in zip(product_ids, out, strict=True) if f is None]
        if missing:
            read = {p.product_id: product_facts(p.payload) for p in self.store.get(missing)}
            out = [f if f is not None else read.get(pid) for pid, f in zip(product_ids, out, strict=True)]
        return out

    @staticmethod
    def terms(vector: np.ndarray, candidates: Candidates, keyword_scores: dict[str, float],
              attributes: np.ndarray) -> dict[str, np.ndarray]:
        core = rerank(vector, candidates.images, candidates.texts, 0.5, 0.5)
        keyword = np.array([keyword_scores.get(pid, 0.0) for pid in candidates.product_ids], dtype=np.float32)
        return {"image": core.s_image, "text": core.s_text, "keyword": keyword, "attributes": attributes}


def _hard_filter(matrix: np.ndarray, matcher: Matcher) -> tuple[list[int], tuple[str, ...]]:
    """The candidates with every understood attribute; when none has them all, those with the
    most (relaxing the rest), with a notice saying so."""
    full = (matrix >= FULL).sum(axis=1)
    wanted = matrix.shape[1]
    if len(full) and full.max() == wanted:
        return [int(i) for i in np.flatnonzero(full == wanted)], ()
    names = ", ".join(matcher.names())
    notice = f"no product matches all of {names}; showing the closest items"
    if len(full) and full.max() > 0:
        return [int(i) for i in np.flatnonzero(full == full.max())], (notice,)
    return list(range(len(full))), (notice,)


def _subset(candidates: Candidates, keep: list[int]) -> Candidates:
    return Candidates([candidates.product_ids[i] for i in keep], candidates.images[keep],
                      candidates.texts[keep], candidates.considered, candidates.mark, candidates.seconds)
