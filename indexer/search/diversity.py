"""Diverse result pages: maximal marginal relevance over the most relevant hits.

Qdrant's MMR formula (``qdrant_edge.Mmr`` / the server's ``mmr`` query), applied to the hits
of the re-rank, so that it keeps the hybrid score as relevance (Qdrant's own MMR would rank by
one vector's similarity and drop the fusion, the understood attributes and the taste term):

    pick next = argmax (1 - diversity) * relevance(p) - diversity * max_{s picked} cos(p, s)

with ``relevance`` the hit's score scaled to 0..1 over the pool and ``cos`` the image vectors'
cosine. On top, with any diversity above 0, a hit that is a near-duplicate of one already
picked (image cosine above NEAR_DUPLICATE, or the same ``item_group_id`` where the catalog
has one) waits until no other hit is left: the same photo from several sellers, or one product
in several colours, does not fill the first page. Each hit's breakdown gets
``diversity``, ``s_similar`` (its max cosine to the hits above it) and ``diversity_penalty``
(``diversity * s_similar``), and ``relevance_rank`` (its rank before this re-rank).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from indexer.errors import QueryError
from indexer.search.model import Hit
from indexer.store.protocol import VectorStore

NEAR_DUPLICATE = 0.98
GROUP_FIELD = "item_group_id"


def check_diversity(value: float) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0.0 <= float(value) <= 1.0:
        raise QueryError(f"diversity must be a number from 0 (off) to 1, got {value!r}")
    return float(value)


def _scaled(scores: np.ndarray) -> np.ndarray:
    spread = float(scores.max() - scores.min()) if len(scores) else 0.0
    return (scores - scores.min()) / spread if spread > 0 else np.ones_like(scores)


def mmr_order(
    scores: np.ndarray, vectors: np.ndarray, diversity: float, groups: Sequence[str | None] | None = None
) -> tuple[list[int], np.ndarray]:
    """The MMR order of ``len(scores)`` items and each item's max cosine to the items before it.

    ``vectors`` are unit rows (one per item); ``groups`` optional group ids (None: none)."""
    n = len(scores)
    relevance = _scaled(np.asarray(scores, dtype=np.float64))
    sims = vectors @ vectors.T
    max_sim = np.full(n, -1.0)  # no item picked yet: nothing to be similar to
    duplicate = np.zeros(n, dtype=bool)
    taken = np.zeros(n, dtype=bool)
    similar_at_pick = np.zeros(n)
    order: list[int] = []
    for _ in range(n):
        value = (1 - diversity) * relevance - diversity * np.maximum(max_sim, 0.0)
        value = np.where(taken, -np.inf, value)
        fresh = ~taken & ~duplicate
        pick = int(np.argmax(np.where(fresh, value, -np.inf))) if fresh.any() else int(np.argmax(value))
        order.append(pick)
        taken[pick] = True
        similar_at_pick[pick] = max(float(max_sim[pick]), 0.0)
        max_sim = np.maximum(max_sim, sims[pick])
        duplicate |= sims[pick] > NEAR_DUPLICATE
        if groups is not None and groups[pick] is not None:
            duplicate |= np.array([g == groups[pick] for g in groups])
    return order, similar_at_pick


def diversify(store: VectorStore, hits: list[Hit], diversity: float) -> list[Hit]:
    """``hits`` (best first) in MMR order, their breakdowns saying what diversity cost them."""
    if diversity <= 0 or len(hits) < 2:
        return hits
    points = {p.product_id: p for p in store.get([h.id for h in hits], with_vectors=True)}
    usable = [h for h in hits if h.id in points and points[h.id].image is not None]
    if len(usable) < 2:
        return hits
    vectors = np.stack([np.asarray(points[h.id].image, dtype=np.float64) for h in usable])
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    groups = [_group(points[h.id].payload) for h in usable]
    order, similar = mmr_order(np.array([h.score for h in usable]), vectors, diversity,
                               groups if any(g is not None for g in groups) else None)
    rank = {h.id: i + 1 for i, h in enumerate(hits)}
    out = []
    for i in order:
        hit = usable[i]
        breakdown = {**hit.breakdown, "diversity": diversity, "s_similar": round(float(similar[i]), 6),
                     "diversity_penalty": round(diversity * float(similar[i]), 6),
                     "relevance_rank": rank[hit.id]}
        out.append(replace(hit, breakdown=breakdown))
    return out


def _group(payload: dict[str, object]) -> str | None:
    value = payload.get(GROUP_FIELD)
    return str(value) if value not in (None, "") else None
