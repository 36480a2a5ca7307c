"""Fusing a text query's score terms into one score: a weighted, normalised sum or weighted
reciprocal rank fusion (RRF), over the candidates of one search.

The terms, one value per candidate:

- ``s_image``, ``s_text``: cosine of the query vector with the product's image / text vector;
- ``s_keyword``: the product's BM25 score on the ``keywords`` sparse vector (0 if not found);
- ``s_attributes``: the share of understood attributes the product has (indexer/search/matching.py).

``weighted``: ``w_image * n(s_image) + w_text * n(s_text) + w_keyword * s_keyword / max(s_keyword)
+ w_attributes * s_attributes``, ``n`` scaling a term to 0..1 over the candidates (min-max), so
that no term wins by its scale alone (BM25 scores are unbounded, cosines bunch together).
``rrf``: ``sum of w / (rrf_k + rank)`` over the terms, each ranking the candidates by itself;
a candidate the keyword search did not find, or that has none of the understood attributes,
gets nothing from that term.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from indexer.errors import QueryError

FUSIONS = ("weighted", "rrf")
TERMS = ("image", "text", "keyword", "attributes")
FORMULAS = {
    "weighted": "score = w_image * n(s_image) + w_text * n(s_text) + w_keyword * s_keyword / max(s_keyword)"
                " + w_attributes * s_attributes; n(x) = (x - min) / (max - min) over the candidates",
    "rrf": "score = sum over image, text, keyword, attributes of w / (rrf_k + rank by s_term); "
           "no term for a product the keyword search did not find or with no understood attribute",
}


@dataclass(frozen=True)
class Fusion:
    """How to fuse: the method, a weight per term, and RRF's k."""

    method: str
    weights: dict[str, float]
    rrf_k: int = 60

    def __post_init__(self) -> None:
        if self.method not in FUSIONS:
            raise QueryError(f"fusion must be one of {', '.join(FUSIONS)}, got {self.method!r}")
        if set(self.weights) != set(TERMS) or any(w < 0 for w in self.weights.values()):
            raise QueryError(f"fusion weights are one non-negative number for each of {', '.join(TERMS)}")
        if self.rrf_k < 1:
            raise QueryError(f"rrf_k must be at least 1, got {self.rrf_k}")

    @property
    def formula(self) -> str:
        return FORMULAS[self.method]

    def override(self, changes: Mapping[str, Any]) -> Fusion:
        """This fusion with some of its settings changed (an A/B variant's, ``parse_override``):
        ``method``, ``rrf_k`` and any of the four ``weights``; the rest stay as they are."""
        return Fusion(changes.get("method", self.method), {**self.weights, **changes.get("weights", {})},
                      changes.get("rrf_k", self.rrf_k))

    def fuse(self, terms: dict[str, np.ndarray]) -> np.ndarray:
        """The fused score of each candidate; ``terms`` holds the four terms' values."""
        n = len(terms["image"])
        if n == 0:
            return np.zeros(0, dtype=np.float32)
        if self.method == "weighted":
            total = np.zeros(n, dtype=np.float64)
            total += self.weights["image"] * _minmax(terms["image"])
            total += self.weights["text"] * _minmax(terms["text"])
            top = float(np.max(terms["keyword"]))
            if top > 0:
                total += self.weights["keyword"] * terms["keyword"] / top
            total += self.weights["attributes"] * terms["attributes"]
            return total.astype(np.float32)
        total = np.zeros(n, dtype=np.float64)
        for name in TERMS:
            values = np.asarray(terms[name], dtype=np.float64)
            contribution = self.weights[name] / (self.rrf_k + _ranks(values))
            if name in ("keyword", "attributes"):
                contribution = np.where(values > 0, contribution, 0.0)
            total += contribution
        return total.astype(np.float32)


def _minmax(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    low, high = float(values.min()), float(values.max())
    return (values - low) / (high - low) if high > low else np.zeros_like(values)


def _ranks(values: np.ndarray) -> np.ndarray:
    """1-based competition ranks, best (highest) first: equal values share a rank, so ties in a
    term (many products with every understood attribute) do not order the candidates."""
    ordered = np.sort(values)[::-1]
    # rank = 1 + how many values are strictly greater
    return 1 + np.searchsorted(-ordered, -values, side="left")


def parse_override(raw: Any) -> dict[str, Any]:
    """A change to the fusion from JSON: ``{"method": "rrf", "weights": {"keyword": 0.5}, "rrf_k": 30}``,
    every key optional.

    Raises:
        QueryError: an unknown key, method or term, a negative weight, an rrf_k below 1.
    """
    if not isinstance(raw, dict) or set(raw) - {"method", "weights", "rrf_k"}:
        raise QueryError("fusion may set method, weights and rrf_k")
    out: dict[str, Any] = {}
    if "method" in raw:
        if raw["method"] not in FUSIONS:
            raise QueryError(f"fusion method must be one of {', '.join(FUSIONS)}, got {raw['method']!r}")
        out["method"] = raw["method"]
    if "weights" in raw:
        weights = raw["weights"]
        if not isinstance(weights, dict) or set(weights) - set(TERMS) or not all(
            isinstance(w, int | float) and not isinstance(w, bool) and 0 <= w <= 100 for w in weights.values()
        ):
            raise QueryError(f"fusion weights are numbers from 0 to 100 for any of {', '.join(TERMS)}")
        out["weights"] = {k: float(w) for k, w in weights.items()}
    if "rrf_k" in raw:
        k = raw["rrf_k"]
        if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= 10_000:
            raise QueryError(f"fusion rrf_k must be an integer from 1 to 10000, got {k!r}")
        out["rrf_k"] = k
    return out
