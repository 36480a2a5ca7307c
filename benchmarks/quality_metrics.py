"""Retrieval metrics over exact similarity search, on plain arrays (no model, no catalog).

Every function takes L2-normalised embeddings or a similarity matrix and boolean
relevance, so the quality benchmark's numbers can be checked on small examples
with known answers (tests/benchmarks/test_quality.py).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np


def top_k(sims: np.ndarray, k: int, exclude: np.ndarray | None = None) -> np.ndarray:
    """Indices of the ``k`` most similar gallery items per query row, best first.

    Ties are broken by gallery index (lower first), so results are deterministic.
    ``exclude`` (one gallery index per query, -1 for none) removes e.g. the query itself.
    """
    sims = np.array(sims, dtype=np.float64, copy=True)
    if exclude is not None:
        rows = np.nonzero(exclude >= 0)[0]
        sims[rows, exclude[rows]] = -np.inf
    k = min(k, sims.shape[1])
    # Stable sort on -sims keeps index order among equal scores.
    return np.argsort(-sims, axis=1, kind="stable")[:, :k]


def first_relevant_rank(sims: np.ndarray, relevant: np.ndarray) -> np.ndarray:
    """0-based rank of the best-ranked relevant item per query (ties counted pessimistically).

    Args:
        sims: ``(q, n)`` similarities.
        relevant: ``(q, n)`` bool; each row needs at least one True.
    """
    best = np.where(relevant, sims, -np.inf).max(axis=1)
    # Irrelevant items scoring at least as high as the best relevant one rank above it.
    return ((sims >= best[:, None]) & ~relevant).sum(axis=1)


def recall_at(ranks: np.ndarray, k: int) -> float:
    """Fraction of queries whose first relevant item is in the top ``k``."""
    return float(np.mean(ranks < k)) if len(ranks) else 0.0


def mean_reciprocal_rank(ranks: np.ndarray) -> float:
    return float(np.mean(1.0 / (ranks + 1))) if len(ranks) else 0.0


def precision_at(
    sims: np.ndarray,
    relevant: np.ndarray,
    k: int | np.ndarray,
    exclude: np.ndarray | None = None,
) -> np.ndarray:
    """Precision per query over its top ``k`` (an int or one k per query)."""
    ks = np.broadcast_to(np.asarray(k), (sims.shape[0],))
    top = top_k(sims, int(ks.max()), exclude)
    hits = np.take_along_axis(relevant, top, axis=1)
    cols = np.arange(top.shape[1])[None, :]
    within = cols < ks[:, None]
    return (hits & within).sum(axis=1) / np.maximum(ks, 1)


def balanced_accuracy(truth: Sequence[Hashable], predicted: Sequence[Hashable]) -> float:
    """Mean over the true classes of the fraction predicted correctly (recall per class)."""
    truth_a = np.asarray(truth, dtype=object)
    pred_a = np.asarray(predicted, dtype=object)
    classes = list(dict.fromkeys(truth_a.tolist()))
    if not classes:
        return 0.0
    return float(np.mean([np.mean(pred_a[truth_a == c] == c) for c in classes]))
