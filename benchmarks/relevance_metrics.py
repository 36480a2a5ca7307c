"""Ranking metrics of the relevance benchmark, on graded relevance (0, 1, 2)."""

from __future__ import annotations

import math
from collections.abc import Sequence


def gain(grade: int) -> float:
    """Exponential gain: a fully relevant hit (2) is worth three right-type hits (1)."""
    return float(2**grade - 1)


def dcg(grades: Sequence[int], k: int) -> float:
    return sum(gain(g) / math.log2(rank + 2) for rank, g in enumerate(grades[:k]))


def ndcg_at(ranked: Sequence[int], all_grades: Sequence[int], k: int = 10) -> float:
    """nDCG@k of a ranking's grades; the ideal ranking is drawn from ``all_grades`` (every
    product of the catalog). 0 when nothing is relevant at all."""
    ideal = dcg(sorted(all_grades, reverse=True), k)
    return dcg(ranked, k) / ideal if ideal > 0 else 0.0


def success_at(ranked: Sequence[int], k: int = 5) -> float:
    """1.0 when a fully relevant (grade 2) product is among the first ``k``."""
    return 1.0 if any(g == 2 for g in ranked[:k]) else 0.0


def same_top(a: Sequence[str], b: Sequence[str], k: int = 5) -> bool:
    """Whether two rankings hold the same products in their first ``k`` (order aside)."""
    return set(a[:k]) == set(b[:k])


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0
