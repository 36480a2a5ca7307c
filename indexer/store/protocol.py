"""The vector-store protocol both Qdrant backends satisfy, and the types they exchange."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from indexer.filters import FilterSpec
from indexer.store.change_log import CandidateIds, Mark

IMAGE = "image"
TEXT = "text"
VECTOR_NAMES = (IMAGE, TEXT)
VERSION_FIELD = "ingest_seq"


@dataclass
class StoredPoint:
    """One product as stored: its payload and, when asked for, its two vectors."""

    product_id: str
    payload: dict[str, Any]
    image: np.ndarray | None = None
    text: np.ndarray | None = None
    score: float | None = None  # the candidate-stage score, when it came from a search
    sources: list[str] = field(default_factory=list)  # which prefetches found it


@dataclass(frozen=True, kw_only=True)
class CollectionInfo:
    """What a store knows about its collection."""

    points: int
    dim: int | None
    model: str | None
    backend: str
    location: str
    model_spec: str | None = None
    keywords: bool = False  # whether the collection has the ``keywords`` sparse vector


@runtime_checkable
class VectorStore(Protocol):
    """A Qdrant collection of products with named ``image`` and ``text`` vectors."""

    backend: str
    name: str  # the logical collection name (an alias once re-indexed)
    physical: str  # the collection this object reads and writes

    def ensure_collection(self, dim: int, model: str, spec: str | None = None) -> None:
        """Create the collection (vectors and payload indexes) if missing, recording the
        model's identity and the spec that loads it.

        Raises:
            ModelMismatchError: it exists with another model or dimension.
        """

    def info(self) -> CollectionInfo: ...

    def upsert(self, points: Sequence[StoredPoint]) -> None:
        """Write points (with both vectors) and return once the write is durable."""

    def upsert_versioned(self, points: Sequence[StoredPoint]) -> None:
        """Like ``upsert``, but a point only replaces a stored one whose ``ingest_seq`` payload
        is lower or missing: of two submissions of one product, the later always wins, whatever
        order their jobs finish in."""

    def delete(self, product_ids: Sequence[str]) -> None: ...

    def get(self, product_ids: Sequence[str], with_vectors: bool = False) -> list[StoredPoint]:
        """The stored points among ``product_ids`` (missing ids are left out), in input order."""

    def count(self, filters: FilterSpec | None = None) -> int: ...

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
        """Prefetch ``limit`` nearest on each named vector under ``filters``; return the union
        (fused by reciprocal rank, best first) with vectors unless ``with_vectors`` is False, and
        the whole payload or only ``payload_fields`` (which should include ``id``)."""

    def has_keywords(self) -> bool:
        """Whether the collection has the ``keywords`` sparse vector (indexer/store/keywords.py).
        One created before it has not, and keeps working on its dense vectors alone."""

    def keyword_candidates(
        self, text: str, filters: FilterSpec | None, limit: int
    ) -> list[tuple[str, float]]:
        """The ``limit`` products whose keyword document best matches ``text`` (BM25, IDF over
        the collection) under ``filters``, as (product id, score), best first; empty without
        the keyword vector or when ``text`` has no word worth looking up."""

    def facets(self, field_name: str, filters: FilterSpec, limit: int = 50) -> dict[Any, int]:
        """Value counts of a payload field over the points matching ``filters``."""

    def set_payload(self, product_id: str, values: dict[str, Any]) -> None: ...

    def optimize(self) -> None:
        """Build indexes after a bulk load (no-op where the server does it itself)."""

    def scroll(self, batch_size: int = 256, with_vectors: bool = False) -> Iterator[list[StoredPoint]]:
        """Every point's payload, in batches (and its vectors when ``with_vectors``)."""

    def sibling(self, physical: str) -> VectorStore:
        """The same backend, opened on another physical collection."""

    def current_target(self) -> str:
        """The physical collection the logical name points at right now."""

    def switch_alias(self, target: str) -> None:
        """Point the logical name at ``target`` atomically."""

    def drop(self) -> None:
        """Delete the collection and everything in it."""

    def close(self) -> None: ...


@runtime_checkable
class TracksChanges(Protocol):
    """A store written by this process (or by the host it talks to) that can say which points
    it rewrote, so candidate searches can skip payloads (indexer/change_log.py): the embedded
    store, directly or through the store host. A Qdrant server, written by other processes
    too, cannot."""

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
        """``VectorStore.candidates`` as point ids only, and what was written since ``since``."""

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
        """``candidate_ids`` and ``keyword_candidates`` in one call: one round trip through the
        store host instead of two (the keyword hits are current as of the same mark)."""

    def get_points(self, point_ids: Sequence[str]) -> list[StoredPoint]:
        """The stored points among ``point_ids``, with vectors and ``id`` / ``content_hash``."""

    def changes_since(self, mark: Mark | None) -> tuple[Mark, list[str] | None]:
        """The current mark, and the point ids written after ``mark`` (None: unknown)."""


def split_vectors(vector: Any) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Pull the named vectors out of what a Qdrant backend returns."""
    if not isinstance(vector, dict):
        return None, None
    image = vector.get(IMAGE)
    text = vector.get(TEXT)
    return (
        None if image is None else np.asarray(image, dtype=np.float32),
        None if text is None else np.asarray(text, dtype=np.float32),
    )


def stored_point(record: Any) -> StoredPoint:
    """A record or scored point from either backend (``.payload``, ``.vector``, maybe ``.score``)."""
    payload = dict(record.payload or {})
    image, text = split_vectors(record.vector)
    score = getattr(record, "score", None)
    return StoredPoint(str(payload.get("id")), payload, image, text, None if score is None else float(score))


def in_request_order(points: list[StoredPoint], product_ids: Sequence[str]) -> list[StoredPoint]:
    """``points`` in the order of ``product_ids``, leaving out ids that were not found."""
    by_id = {p.product_id: p for p in points}
    return [by_id[str(i)] for i in product_ids if str(i) in by_id]
