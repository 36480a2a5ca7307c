"""Keyword hits tied at the cut: ordered by product id whatever order the backend returned them
in, whether the tie fits in the first read or runs past it; and the point -> product id map."""

from __future__ import annotations

import random

import pytest

from indexer.store.keywords import TIE_CAP, ranked_hits
from indexer.store.product_ids import ProductIds


def backend(scores: dict[str, float], seed: int):
    """An exact top-n search that orders ties its own (seeded) way, and the limits it was asked."""
    asked: list[int] = []
    shuffled = list(scores.items())
    random.Random(seed).shuffle(shuffled)
    ordered = sorted(shuffled, key=lambda h: -h[1])  # stable: ties keep the shuffled order

    def search(n: int, threshold: float | None) -> list[tuple[str, float]]:
        asked.append(n)
        return [h for h in ordered if threshold is None or h[1] >= threshold][:n]

    return search, asked


def expected(scores: dict[str, float], limit: int) -> list[tuple[str, float]]:
    return sorted(scores.items(), key=lambda h: (-h[1], h[0]))[:limit]


@pytest.mark.parametrize("tied", [3, 40, 200, 900])
def test_a_tie_across_the_cut_is_ordered_by_product_id_on_every_backend(tied: int) -> None:
    scores = {f"top{i:02d}": 9.0 - i * 0.01 for i in range(30)}
    scores |= {f"tie{i:04d}": 5.0 for i in range(tied)}
    scores |= {f"low{i:03d}": 1.0 for i in range(50)}
    answers = []
    for seed in range(4):
        search, asked = backend(scores, seed)
        answers.append(ranked_hits(search, 50))
        if 30 + tied <= 2 * 50 + 1:  # the whole tie fits in the first read: no second search
            assert asked == [101]
    assert all(a == expected(scores, 50) for a in answers)


def test_a_tie_beyond_the_cap_still_returns_the_limit() -> None:
    scores = {f"tie{i:05d}": 5.0 for i in range(TIE_CAP + 500)}
    search, asked = backend(scores, 0)
    hits = ranked_hits(search, 50)
    assert len(hits) == 50 and asked[-1] == 50 + TIE_CAP


def test_no_tie_needs_one_search() -> None:
    scores = {f"p{i:03d}": 10.0 - i * 0.01 for i in range(300)}
    search, asked = backend(scores, 1)
    assert ranked_hits(search, 50) == expected(scores, 50) and asked == [101]


def test_product_ids_are_read_once_and_unknown_points_are_none() -> None:
    ids = ProductIds()
    reads: list[list[str]] = []

    def read(points: list[str]) -> dict[str, str]:
        reads.append(points)
        return {p: f"product-{p}" for p in points if p != "gone"}

    assert ids.name(["a", "b", "a", "gone"], read) == ["product-a", "product-b", "product-a", None]
    assert ids.name(["b", "a"], read) == ["product-b", "product-a"]
    assert reads == [["a", "b", "gone"]]


def test_product_ids_start_again_when_full() -> None:
    ids = ProductIds(max_entries=2)
    ids.remember([("a", "1"), ("b", "2")])
    ids.remember([("c", "3")])
    assert ids.name(["c"], lambda p: {}) == ["3"]
    assert ids.name(["a"], lambda p: {}) == [None]
