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


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions)."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def one_edit_in_long_word(typo: str, correct: str, min_len: int = 5) -> bool:
    """Whether ``typo`` differs from ``correct`` by one edit in one word of ``min_len``+ letters
    (the issue's typo target: "sneekers", "jaket", not "nkie" or "brwon")."""
    pairs = [(t, c) for t, c in zip(typo.split(), correct.split(), strict=False) if t != c]
    return (len(typo.split()) == len(correct.split()) and len(pairs) == 1
            and len(pairs[0][1]) >= min_len and edit_distance(*pairs[0]) == 1)
