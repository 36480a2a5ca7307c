"""Shoppers also clicked: which products the shoppers who opened one product also opened.

Counted over click sessions (one shopper's clicked products, newest first, each with a time):
two products co-clicked by one shopper within ``window_s`` of each other count once for that
shopper, so a shopper who opens the same pair ten times counts as one. Built by the caller
from whatever click history it has (api/coclicks.py reads the shoppers' click histories in
Redis; click events from elsewhere would come in as more sessions).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

MAX_PER_SESSION = 50
"""A shopper's most recent clicks that count: the pairs of a session grow as its square."""


class CoClicks:
    """Pair counts over many sessions; ``also(product)`` reads them."""

    def __init__(self, window_s: float = 7 * 24 * 3600) -> None:
        self.window_s = window_s
        self.pairs: dict[str, Counter[str]] = {}
        self.sessions = 0

    def add_session(self, clicks: Sequence[tuple[str, float]]) -> None:
        """One shopper's (product id, clicked at) pairs."""
        recent = sorted(clicks, key=lambda c: -c[1])[:MAX_PER_SESSION]
        seen: set[tuple[str, str]] = set()
        for i, (a, at_a) in enumerate(recent):
            for b, at_b in recent[i + 1 :]:
                if a != b and abs(at_a - at_b) <= self.window_s and (a, b) not in seen:
                    seen.update({(a, b), (b, a)})
                    self.pairs.setdefault(a, Counter())[b] += 1
                    self.pairs.setdefault(b, Counter())[a] += 1
        self.sessions += 1

    def add_sessions(self, sessions: Iterable[Sequence[tuple[str, float]]]) -> CoClicks:
        for s in sessions:
            self.add_session(s)
        return self

    def also(self, product_id: str, k: int, min_shoppers: int = 1) -> list[tuple[str, int]]:
        """The ``k`` products most often co-clicked with ``product_id`` by at least
        ``min_shoppers`` shoppers, with their counts (most first, then by id for stability)."""
        counts = self.pairs.get(product_id, Counter())
        ranked = sorted(((p, n) for p, n in counts.items() if n >= min_shoppers), key=lambda x: (-x[1], x[0]))
        return ranked[:k]
