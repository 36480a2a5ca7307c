"""Point id -> product id, remembered: a point's id is derived from its product's id
(``indexer.schema.point_id``, uuid5), so an entry can never go stale, only unused.

Searches that return many hits read their point ids alone and name the products from here:
Qdrant Edge reads the ``id`` payload hit by hit, which for a keyword search whose tie at the cut
is re-read (dozens to hundreds of hits) cost more than the search (docs/performance.md).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence

# Read the ``id`` payload of these point ids: {point id: product id} for those stored.
ReadIds = Callable[[list[str]], dict[str, str]]

MAX_ENTRIES = 500_000
"""A bound on the memory it takes; past it the map starts again (a full catalog's worth is re-read once)."""


class ProductIds:
    """The product ids of point ids, read once each (thread-safe)."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._known: dict[str, str] = {}
        self._lock = threading.Lock()
        self.max_entries = max_entries

    def name(self, point_ids: Sequence[str], read: ReadIds) -> list[str | None]:
        """The product id of each point id, in order; None for a point that is not stored."""
        known = self._known
        missing = [p for p in point_ids if p not in known]
        if missing:
            self.remember(read(list(dict.fromkeys(missing))).items())
        return [known.get(p) for p in point_ids]

    def remember(self, pairs: Iterable[tuple[str, str]]) -> None:
        with self._lock:
            if len(self._known) >= self.max_entries:
                self._known = {}
            self._known.update(pairs)
