"""The embedded backend's queries: filters in Qdrant Edge's terms, and the candidate, keyword and
recommendation searches ``EdgeStore`` runs on its shard (a mix-in, so that edge.py keeps the
collection's life cycle and writes)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import qdrant_edge as qe

from indexer.filters import AnyOf, FilterSpec, NoneOf, stored_condition
from indexer.schema import PREDICTED_SUFFIX
from indexer.store.change_log import CandidateIds, ChangeLog, Mark
from indexer.store.keywords import KEYWORD_MODEL, KEYWORDS, ranked_hits
from indexer.store.product_ids import ProductIds
from indexer.store.protocol import IMAGE, VECTOR_NAMES, StoredPoint, stored_point

RRF_K = 60

def edge_filter(spec: FilterSpec | None) -> qe.Filter | None:
    """A FilterSpec as a Qdrant Edge filter."""
    if not spec:
        return None
    must: list[Any] = []
    for name, cond in (stored_condition(n, c) for n, c in spec.conditions):
        if isinstance(cond, AnyOf):
            values = list(cond.values)
            match = qe.MatchValue(values[0]) if len(values) == 1 else qe.MatchAny(values)
            condition = qe.FieldCondition(key=name, match=match)
            if spec.uses_predicted(name, cond):
                twin = qe.FieldCondition(key=f"{name}{PREDICTED_SUFFIX}", match=match)
                condition = qe.Filter(should=[condition, twin])
            must.append(condition)
        elif isinstance(cond, NoneOf):  # a missing field matches: only listed values are out
            must.append(qe.Filter(must_not=[qe.FieldCondition(key=name, match=qe.MatchValue(v))
                                            for v in cond.values]))
        else:
            rng = qe.RangeFloat(gte=cond.gte, lte=cond.lte, gt=cond.gt, lt=cond.lt)
            must.append(qe.FieldCondition(key=name, range=rng))
    return qe.Filter(must=must)



def _vec(v: np.ndarray) -> list[float]:
    return [float(x) for x in np.asarray(v, dtype=np.float32)]


class EdgeQueries:
    """The searches of ``EdgeStore`` (edge.py), over its ``shard``."""

    product_ids: ProductIds

    if TYPE_CHECKING:  # provided by EdgeStore
        changes: ChangeLog

        @property
        def shard(self) -> qe.EdgeShard: ...

        def has_keywords(self) -> bool: ...

    def _candidate_request(
        self, query: np.ndarray, filters: FilterSpec, limit: int, exact: bool, hnsw_ef: int | None,
        acorn: bool, with_vectors: bool, payload: bool | list[str],
    ) -> qe.QueryRequest:
        flt = edge_filter(filters)
        # max_selectivity 1.0: ACORN for any filter (Qdrant's default 0.4 skips the ~50% ones
        # where plain filtered HNSW loses the most recall).
        acorn_params = qe.AcornSearchParams(enable=True, max_selectivity=1.0) if acorn and flt else None
        params = qe.SearchParams(hnsw_ef=hnsw_ef, exact=exact, acorn=acorn_params)
        vec = np.asarray(query, dtype=np.float32).tolist()
        prefetches = [
            qe.Prefetch(limit=limit, query=qe.Query.Nearest(vec, using=name), filter=flt, params=params)
            for name in VECTOR_NAMES
        ]
        return qe.QueryRequest(
            limit=2 * limit, query=qe.Fusion.Rrf(k=RRF_K), prefetches=prefetches,
            with_payload=payload, with_vector=with_vectors,
        )

    def candidates(
        self,
        query: np.ndarray,
        filters: FilterSpec,
        limit: int,
        *,
        exact: bool = False,
        hnsw_ef: int | None = None,
        acorn: bool = False,
        with_vectors: bool = True,
        payload_fields: Sequence[str] | None = None,
    ) -> list[StoredPoint]:
        payload = True if payload_fields is None else list(payload_fields)
        request = self._candidate_request(query, filters, limit, exact, hnsw_ef, acorn, with_vectors, payload)
        return [stored_point(h) for h in self.shard.query(request)]

    def recommend(
        self, positives: Sequence[np.ndarray], negatives: Sequence[np.ndarray], filters: FilterSpec | None,
        limit: int, using: str = IMAGE,
    ) -> list[StoredPoint]:
        """Qdrant's recommendation query (best-score strategy) on one named vector, exact, with
        vectors (indexer/search/recommend.py explains each hit from them)."""
        query = qe.RecommendQuery([_vec(v) for v in positives], [_vec(v) for v in negatives])
        request = qe.QueryRequest(
            limit=limit, query=qe.Query.RecommendBestScore(query, using=using), filter=edge_filter(filters),
            params=qe.SearchParams(exact=True), with_payload=True, with_vector=True,
        )
        return [stored_point(h) for h in self.shard.query(request)]

    def keyword_candidates(
        self, text: str, filters: FilterSpec | None, limit: int
    ) -> list[tuple[str, float]]:
        """The ``limit`` best keyword matches of ``text`` under ``filters``: (product id, BM25
        score), best first; none when the collection has no keyword vector or the text no words."""
        query = KEYWORD_MODEL.query(text)
        if not query or not self.has_keywords() or limit <= 0:
            return []
        nearest, flt = qe.Query.Nearest(query.to_edge(), using=KEYWORDS), edge_filter(filters)

        def search(n: int, threshold: float | None) -> list[tuple[str, float]]:
            # Point ids only: the products are named from memory (product_ids.py).
            request = qe.QueryRequest(limit=n, query=nearest, filter=flt, score_threshold=threshold,
                                      with_payload=False, with_vector=False)
            hits = self.shard.query(request)
            names = self.product_ids.name([str(h.id) for h in hits], self._read_product_ids)
            return [(name, float(h.score)) for name, h in zip(names, hits, strict=True) if name is not None]

        return ranked_hits(search, limit)

    def _read_product_ids(self, point_ids: list[str]) -> dict[str, str]:
        records = self.shard.retrieve(point_ids, with_payload=["id"], with_vector=False)
        return {str(r.id): str((r.payload or {}).get("id")) for r in records}

    def candidate_ids(
        self,
        query: np.ndarray,
        filters: FilterSpec,
        limit: int,
        *,
        exact: bool = False,
        hnsw_ef: int | None = None,
        acorn: bool = False,
        since: Mark | None = None,
    ) -> CandidateIds:
        """``candidates`` as point ids only, with the points written since ``since``."""
        # The mark is read before the search: a write racing it shows up as changed next time.
        mark, changed = self.changes.since(since)
        request = self._candidate_request(query, filters, limit, exact, hnsw_ef, acorn, False, False)
        return CandidateIds([str(h.id) for h in self.shard.query(request)], mark, changed)

    def text_candidate_ids(
        self,
        query: np.ndarray,
        filters: FilterSpec,
        limit: int,
        keyword_text: str,
        keyword_limit: int,
        *,
        exact: bool = False,
        hnsw_ef: int | None = None,
        acorn: bool = False,
        since: Mark | None = None,
    ) -> tuple[CandidateIds, list[tuple[str, float]]]:
        """``candidate_ids`` and ``keyword_candidates`` together (protocol.TracksChanges)."""
        found = self.candidate_ids(query, filters, limit, exact=exact, hnsw_ef=hnsw_ef, acorn=acorn,
                                   since=since)
        return found, self.keyword_candidates(keyword_text, filters or None, keyword_limit)
