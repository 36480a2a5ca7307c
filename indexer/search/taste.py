"""Personal taste: a vector from a shopper's favourites and clicks, and the re-rank term it adds.

The taste vector lives in the product space, one part per named vector:
``t_image = normalize(sum_i w_i * image_i)`` and ``t_text = normalize(sum_i w_i * text_i)``
over the shopper's favourites (weight 1) and clicked products (weight 0.5), each
multiplied by ``0.5 ** (age / half-life)`` so that recent interest counts more.

A ranked list is then re-scored with one extra term:
``score = w_image * s_image + w_text * s_text + w_taste * s_taste`` where
``s_taste = (cos(t_image, p.image) + cos(t_text, p.text)) / 2``. Comparing image with image
and text with text keeps the term within one modality, where cosines are comparable.

The term is applied to the searcher's top ``POOL`` hits (the re-rank pool is the same
candidates the core re-ranked), so it reorders what matched the query and never brings
in products the query did not ask for.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from encoder import normalize
from indexer.search.model import Hit
from indexer.store.protocol import StoredPoint, VectorStore

TASTE_WEIGHT = 0.25
"""Weight of s_taste in the final score (chosen with ``benchmarks/taste.py``)."""
FAVORITE_WEIGHT = 1.0
CLICK_WEIGHT = 0.5
HALF_LIFE_S = 14 * 24 * 3600.0
"""Interest halves every two weeks."""
FORMULA = "score = w_image * s_image + w_text * s_text + w_taste * s_taste"


@dataclass(frozen=True)
class Taste:
    """A shopper's taste vectors and what they were built from."""

    image: np.ndarray
    text: np.ndarray
    favorites: int
    clicks: int

    def scores(self, points: Sequence[StoredPoint]) -> np.ndarray:
        """s_taste for each point (points must carry vectors)."""
        images = np.stack([p.image for p in points])  # type: ignore[misc]
        texts = np.stack([p.text for p in points])  # type: ignore[misc]
        return (images @ self.image + texts @ self.text) / 2.0


def recency(at: float, now: float, half_life_s: float = HALF_LIFE_S) -> float:
    """1 for now, 0.5 one half-life ago; future timestamps count as now."""
    return math.pow(0.5, max(0.0, now - at) / half_life_s)


def build_taste(
    store: VectorStore,
    favorites: Sequence[tuple[str, float]],
    clicks: Sequence[tuple[str, float]],
    now: float,
) -> Taste | None:
    """The taste of (product id, timestamp) favourites and clicks; None when nothing is known
    (or none of the products is still in the catalog)."""
    weights: dict[str, float] = {}
    for items, base in ((favorites, FAVORITE_WEIGHT), (clicks, CLICK_WEIGHT)):
        for product_id, at in items:
            weights[product_id] = weights.get(product_id, 0.0) + base * recency(at, now)
    if not weights:
        return None
    points = [p for p in store.get(list(weights), with_vectors=True)
              if p.image is not None and p.text is not None]
    if not points:
        return None
    w = np.array([weights[p.product_id] for p in points], dtype=np.float32)[:, None]
    image = normalize((w * np.stack([p.image for p in points])).sum(axis=0))  # type: ignore[misc]
    text = normalize((w * np.stack([p.text for p in points])).sum(axis=0))  # type: ignore[misc]
    present = {p.product_id for p in points}
    return Taste(image.astype(np.float32), text.astype(np.float32),
                 favorites=sum(1 for pid, _ in favorites if pid in present),
                 clicks=sum(1 for pid, _ in clicks if pid in present))


def apply_taste(
    store: VectorStore, hits: Sequence[Hit], taste: Taste, weight: float = TASTE_WEIGHT
) -> list[Hit]:
    """Re-score ``hits`` with the taste term and re-sort them; each breakdown gains
    ``taste: {weight, s_taste, contribution}`` and ``base_score`` (the score without it)."""
    if not hits:
        return []
    by_id = {p.product_id: p for p in store.get([h.id for h in hits], with_vectors=True)}
    # A product deleted between the search and this lookup keeps its base score.
    known = [h for h in hits if h.id in by_id]
    s_taste = dict(zip([h.id for h in known], taste.scores([by_id[h.id] for h in known]).tolist(),
                       strict=True))
    out = []
    for h in hits:
        s = float(s_taste.get(h.id, 0.0))
        breakdown = {
            **h.breakdown,
            "base_score": round(h.score, 6),
            "taste": {"weight": weight, "s_taste": round(s, 6), "contribution": round(weight * s, 6)},
            "formula": FORMULA,
        }
        out.append(replace(h, score=h.score + weight * s, breakdown=breakdown))
    # Stable: ties keep the core's order.
    return sorted(out, key=lambda h: -h.score)

