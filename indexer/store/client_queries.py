"""The server backend's queries: filters in qdrant-client's terms, and the candidate, keyword and
recommendation searches ``ClientStore`` runs on its collection (a mix-in, so that client.py keeps
the collection's life cycle, aliases and writes)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from qdrant_client import QdrantClient, models

from indexer.filters import AnyOf, FilterSpec, NoneOf, stored_condition
from indexer.schema import PREDICTED_SUFFIX
from indexer.store.keywords import KEYWORD_MODEL, KEYWORDS, ranked_hits
from indexer.store.protocol import IMAGE, VECTOR_NAMES, StoredPoint, stored_point


def client_filter(spec: FilterSpec | None) -> models.Filter | None:
    """A FilterSpec as a qdrant-client filter."""
    if not spec:
        return None
    must: list[Any] = []
    for name, cond in (stored_condition(n, c) for n, c in spec.conditions):
        if isinstance(cond, AnyOf):
            values = list(cond.values)
            match = (
                models.MatchValue(value=values[0]) if len(values) == 1 else models.MatchAny(any=values)
            )
            condition: Any = models.FieldCondition(key=name, match=match)
            if spec.uses_predicted(name, cond):
                twin = models.FieldCondition(key=f"{name}{PREDICTED_SUFFIX}", match=match)
                condition = models.Filter(should=[condition, twin])
            must.append(condition)
        elif isinstance(cond, NoneOf):  # a missing field matches: only listed values are out
            must.append(models.Filter(must_not=[
                models.FieldCondition(key=name, match=models.MatchValue(value=v)) for v in cond.values
            ]))
        else:
            rng = models.Range(gte=cond.gte, lte=cond.lte, gt=cond.gt, lt=cond.lt)
            must.append(models.FieldCondition(key=name, range=rng))
    return models.Filter(must=must)


class ClientQueries:
    """The searches of ``ClientStore`` (client.py), through its ``client`` and ``_call``."""

    if TYPE_CHECKING:  # provided by ClientStore
        client: QdrantClient

        @property
        def collection(self) -> str: ...

        def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any: ...

        def has_keywords(self) -> bool: ...

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
        flt = client_filter(filters)
        acorn_params = models.AcornSearchParams(enable=True, max_selectivity=1.0) if acorn and flt else None
        params = models.SearchParams(hnsw_ef=hnsw_ef, exact=exact, acorn=acorn_params)
        vec = np.asarray(query, dtype=np.float32).tolist()
        prefetch = [
            models.Prefetch(query=vec, using=name, filter=flt, limit=limit, params=params)
            for name in VECTOR_NAMES
        ]
        response = self._call(
            "search",
            self.client.query_points,
            self.collection,
            prefetch=prefetch,
            query=models.FusionQuery(fusion=models.Fusion.RRF),
            limit=2 * limit,
            with_payload=True if payload_fields is None else list(payload_fields),
            with_vectors=with_vectors,
        )
        return [stored_point(h) for h in response.points]

    def recommend(
        self, positives: Sequence[np.ndarray], negatives: Sequence[np.ndarray], filters: FilterSpec | None,
        limit: int, using: str = IMAGE,
    ) -> list[StoredPoint]:
        """Qdrant's recommendation query (best-score strategy) on one named vector, with vectors
        (indexer/search/recommend.py explains each hit from them); the server's HNSW answers it."""
        query = models.RecommendQuery(recommend=models.RecommendInput(
            positive=[np.asarray(v, dtype=np.float32).tolist() for v in positives],
            negative=[np.asarray(v, dtype=np.float32).tolist() for v in negatives],
            strategy=models.RecommendStrategy.BEST_SCORE,
        ))
        response = self._call(
            "recommend", self.client.query_points, self.collection, query=query, using=using,
            query_filter=client_filter(filters), limit=limit,
            with_payload=True, with_vectors=True,
        )
        return [stored_point(h) for h in response.points]

    def keyword_candidates(
        self, text: str, filters: FilterSpec | None, limit: int
    ) -> list[tuple[str, float]]:
        """The ``limit`` best keyword matches of ``text`` under ``filters``: (product id, BM25
        score), best first; none when the collection has no keyword vector or the text no words."""
        query = KEYWORD_MODEL.query(text)
        if not query or limit <= 0 or not self.has_keywords():
            return []
        sparse, flt = models.SparseVector(**query.to_dict()), client_filter(filters)

        def search(n: int, threshold: float | None) -> list[tuple[str, float]]:
            response = self._call(
                "search keywords", self.client.query_points, self.collection, query=sparse,
                using=KEYWORDS, query_filter=flt, limit=n, score_threshold=threshold,
                with_payload=["id"], with_vectors=False,
            )
            return [(str((h.payload or {}).get("id")), float(h.score)) for h in response.points]

        return ranked_hits(search, limit)
