"""More like this, less like that: Qdrant's recommendation query over product examples.

A shopper marks products "more like this" (positive) and "less like this" (negative), and may
add a photo or words as further positive examples. The store answers with Qdrant's
recommendation query, best-score strategy, on the ``image`` vector (exact, under the filters):

    score(p) = max_pos cos(p, pos)   if max_pos cos(p, pos) > max_neg cos(p, neg)
             = -max_neg cos(p, neg)  otherwise

so a product closer to a negative example than to every positive sinks below every product
that is closer to a positive one. The explanation names the example that pulled each hit
(the best positive) and the negative that pushed hardest, from the hits' own vectors.

Words are embedded by the model's text tower into the same space as photos (open_clip), so
they take part as a positive example on the image vector.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from indexer.errors import NotFoundError, QueryError
from indexer.filters import FilterSpec
from indexer.schema import Product
from indexer.search.encoding import QueryEncoder
from indexer.search.model import MAX_K, Hit, QueryImageSource
from indexer.store.protocol import IMAGE, StoredPoint, VectorStore

MAX_EXAMPLES = 20
NEAR_DUPLICATE = 0.98
"""Image cosine above which two products are the same photo, give or take a crop."""


@runtime_checkable
class Recommends(Protocol):
    """A store that runs Qdrant's recommendation query (EdgeStore, ClientStore, RemoteStore)."""

    def recommend(
        self, positives: Sequence[np.ndarray], negatives: Sequence[np.ndarray], filters: FilterSpec | None,
        limit: int, using: str = IMAGE,
    ) -> list[StoredPoint]: ...


@dataclass(frozen=True, kw_only=True)
class RecommendRequest:
    positive: tuple[str, ...] = ()
    negative: tuple[str, ...] = ()
    text: str | None = None
    image: QueryImageSource | None = None
    filters: FilterSpec = field(default_factory=FilterSpec)
    k: int = 10


@dataclass(frozen=True)
class Example:
    """One example as the query uses it: a product id, ``[photo]`` or ``[text]``."""

    label: str
    vector: np.ndarray


def check_recommend(request: RecommendRequest) -> None:
    """Raises QueryError for a request the query cannot answer."""
    has_extra = bool(request.text) or request.image is not None
    if not request.positive and not has_extra:
        raise QueryError("give at least one positive example: a product id in 'positive', a photo or text")
    if len(request.positive) + len(request.negative) > MAX_EXAMPLES:
        raise QueryError(f"at most {MAX_EXAMPLES} example products")
    if set(request.positive) & set(request.negative):
        raise QueryError("a product cannot be both a positive and a negative example")
    if not 1 <= request.k <= MAX_K:
        raise QueryError(f"k must be between 1 and {MAX_K}")


def _examples(store: VectorStore, ids: Sequence[str]) -> list[Example]:
    points = store.get(list(ids), with_vectors=True)
    found = {p.product_id for p in points}
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFoundError(f"no product with id {', '.join(repr(m) for m in missing)}")
    return [Example(p.product_id, np.asarray(p.image, dtype=np.float32)) for p in points]


def examples(store: VectorStore, encoder: QueryEncoder, request: RecommendRequest) -> tuple[
        list[Example], list[Example]]:
    """The positive and negative examples' image-space vectors."""
    positives = _examples(store, request.positive)
    if request.image is not None:
        positives.append(Example("[photo]", encoder.embed_image(request.image)))
    if request.text:
        positives.append(Example("[text]", encoder.embed_text(request.text)))
    return positives, _examples(store, request.negative)


def explain(vector: np.ndarray, positives: list[Example], negatives: list[Example]) -> dict[str, Any]:
    """Which example pulled a hit (its best positive), and which negative pushed hardest."""
    pos = [(e.label, float(vector @ e.vector)) for e in positives]
    best = max(pos, key=lambda x: x[1])
    out: dict[str, Any] = {
        "strategy": "best_score", "pulled_by": best[0], "s_pulled": round(best[1], 6),
        "positives": {label: round(s, 6) for label, s in pos},
    }
    if negatives:
        neg = [(e.label, float(vector @ e.vector)) for e in negatives]
        worst = max(neg, key=lambda x: x[1])
        out.update(pushed_by=worst[0], s_pushed=round(worst[1], 6),
                   negatives={label: round(s, 6) for label, s in neg},
                   formula="score = max_pos if max_pos > max_neg else -max_neg")
    else:
        out["formula"] = "score = max_pos"
    return out


def recommend(store: VectorStore, encoder: QueryEncoder, request: RecommendRequest) -> list[Hit]:
    """The ``k`` best products by the recommendation query; examples themselves left out."""
    check_recommend(request)
    if not isinstance(store, Recommends):
        raise QueryError(f"the {store.backend} store does not run recommendation queries")
    positives, negatives = examples(store, encoder, request)
    shown = set(request.positive) | set(request.negative)
    points = store.recommend([e.vector for e in positives], [e.vector for e in negatives],
                             request.filters, request.k + len(shown), IMAGE)
    hits: list[Hit] = []
    for p in points:
        if p.product_id in shown or p.image is None:
            continue
        breakdown = explain(np.asarray(p.image, dtype=np.float32), positives, negatives)
        hits.append(Hit(p.product_id, float(p.score or 0.0), breakdown, Product.from_payload(p.payload)))
    return hits[: request.k]
