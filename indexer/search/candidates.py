"""The candidate stage: which products the re-rank looks at, with their stored vectors.

A search asks each of its candidate sources in turn and re-ranks their union (``gather``).
Today there is one source, the fused query vector against the store's named dense vectors
(``DenseCandidates``); another (a sparse ``keywords`` vector, say) is one more class with a
``name`` and a ``fetch`` added to the searcher's ``sources``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from indexer.filters import FilterSpec
from indexer.schema import point_id
from indexer.store.change_log import CandidateIds, Mark
from indexer.store.protocol import TracksChanges, VectorStore
from indexer.store.vector_cache import CONTENT_HASH, VectorCache
from settings.core import Settings


@dataclass(frozen=True)
class Candidates:
    """Candidate products, in the order found, with their image and text vectors as rows.

    ``mark``: the change-log mark of the search, when the page's payloads may come from the
    vector cache (None: read them from the store).
    """

    product_ids: list[str]
    images: np.ndarray
    texts: np.ndarray
    considered: int
    mark: Mark | None = None
    seconds: float = 0.0


class CandidateSource(Protocol):
    """One way of finding candidates for a query vector."""

    name: str

    def fetch(self, vector: np.ndarray, filters: FilterSpec, limit: int, exact: bool) -> Candidates: ...


class DenseCandidates:
    """The query vector against the store's ``image`` and ``text`` vectors (Qdrant prefetches
    fused there), with vectors served from the vector cache."""

    name = "dense"

    def __init__(
        self, store: VectorStore, vectors: VectorCache, settings: Settings, *, tracked: bool
    ) -> None:
        self.store = store
        self.vectors = vectors
        self.settings = settings
        # Where the store tracks its writes, candidates come as point ids and the cache follows
        # the store's change log; otherwise each candidate's content hash is read.
        self.tracking: TracksChanges | None = (
            store if tracked and isinstance(store, TracksChanges) else None
        )

    def fetch(self, vector: np.ndarray, filters: FilterSpec, limit: int, exact: bool) -> Candidates:
        s = self.settings
        started = time.perf_counter()
        if self.tracking is not None:
            found = self.tracking.candidate_ids(
                vector, filters, limit, exact=exact, hnsw_ef=s.hnsw_ef, acorn=s.acorn,
                since=self.vectors.mark,
            )
            seconds = time.perf_counter() - started
            product_ids, images, texts = self.vectors.by_point(self.tracking, found)
            return Candidates(product_ids, images, texts, len(found.point_ids), found.mark, seconds)
        # Ids and content hashes only: vectors come from the cache, payloads only for the page.
        points = self.store.candidates(
            vector, filters, limit, exact=exact, hnsw_ef=s.hnsw_ef, acorn=s.acorn,
            with_vectors=False, payload_fields=("id", CONTENT_HASH),
        )
        seconds = time.perf_counter() - started
        kept, images, texts = self.vectors.vectors(self.store, points)
        return Candidates([p.product_id for p in kept], images, texts, len(points), None, seconds)

    def fetch_with_keywords(
        self, vector: np.ndarray, filters: FilterSpec, limit: int, exact: bool, keyword_text: str,
        keywords: int,
    ) -> tuple[Candidates, dict[str, float]]:
        """``fetch``'s candidates followed by the ``keywords`` best keyword matches not among them,
        and the keyword scores; where the store tracks its changes, both searches are one store
        call (one round trip through the store host, the main cost of a text search there)."""
        if self.tracking is None:
            found = self.fetch(vector, filters, limit, exact)
            hits = self.store.keyword_candidates(keyword_text, filters or None, keywords)
            seen = set(found.product_ids)
            new = [pid for pid, _ in hits if pid not in seen]
            return (union([found, self.for_ids(new)]) if new else found), dict(hits)
        s = self.settings
        started = time.perf_counter()
        dense, hits = self.tracking.text_candidate_ids(
            vector, filters, limit, keyword_text, keywords, exact=exact, hnsw_ef=s.hnsw_ef, acorn=s.acorn,
            since=self.vectors.mark,
        )
        seconds = time.perf_counter() - started
        seen = set(dense.point_ids)
        new = [p for p in dict.fromkeys(point_id(pid) for pid, _ in hits) if p not in seen]
        both = CandidateIds(dense.point_ids + new, dense.mark, dense.changed)
        product_ids, images, texts = self.vectors.by_point(self.tracking, both)
        return Candidates(product_ids, images, texts, len(both.point_ids), both.mark, seconds), dict(hits)

    def for_ids(self, product_ids: list[str]) -> Candidates:
        """The vectors of products found another way (the keyword vector), from the cache where
        it has them; products deleted meanwhile are left out."""
        started = time.perf_counter()
        if self.tracking is not None:
            mark, changed = self.tracking.changes_since(self.vectors.mark)
            found = CandidateIds([point_id(p) for p in product_ids], mark, changed)
            ids, images, texts = self.vectors.by_point(self.tracking, found)
            return Candidates(ids, images, texts, len(product_ids), mark, time.perf_counter() - started)
        points = self.store.get(product_ids, with_vectors=True)
        kept = [(p.product_id, p.image, p.text) for p in points if p.image is not None and p.text is not None]
        if not kept:
            empty = np.zeros((0, 0), np.float32)
            return Candidates([], empty, empty, len(product_ids), None, time.perf_counter() - started)
        seconds = time.perf_counter() - started
        return Candidates([pid for pid, _, _ in kept], np.stack([i for _, i, _ in kept]),
                          np.stack([t for _, _, t in kept]), len(product_ids), None, seconds)


def gather(
    sources: Sequence[CandidateSource], vector: np.ndarray, filters: FilterSpec, limit: int, exact: bool
) -> Candidates:
    """The union of the sources' candidates: a product found by several keeps its first place.
    ``seconds`` is the time spent in the store searches (the candidate stage's timing)."""
    return union([source.fetch(vector, filters, limit, exact) for source in sources])


def union(found: Sequence[Candidates]) -> Candidates:
    """Candidates found by several searches, each product once, at its first place."""
    found = [c for c in found if c.product_ids] or list(found[:1])
    if len(found) == 1:
        return found[0]
    # Rows of all the searches one after the other; each product keeps its first row.
    first: dict[str, int] = {}
    offset = 0
    for c in found:
        for i, pid in enumerate(c.product_ids):
            first.setdefault(pid, offset + i)
        offset += len(c.product_ids)
    rows = np.fromiter(first.values(), dtype=np.int64, count=len(first))
    marks = {c.mark for c in found}
    return Candidates(
        list(first),
        np.concatenate([c.images for c in found])[rows],
        np.concatenate([c.texts for c in found])[rows],
        sum(c.considered for c in found),
        marks.pop() if len(marks) == 1 else None,
        sum(c.seconds for c in found),
    )
