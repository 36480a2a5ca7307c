"""Facet counts over the set matching a search's filters, cached briefly in-process.

The counts depend only on the filters and the collection, not on the query text or
image, so storefront traffic (the same few filter combinations over and over) reuses
them; a short TTL bounds how stale they get after new products are ingested.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from indexer.filters import FilterSpec
from indexer.schema import KEYWORD_FIELDS
from indexer.store.protocol import VectorStore

FACET_LIMIT = 50
MAX_ENTRIES = 1024


class FacetCounter:
    """``counts(store, filters)`` -> (facets per keyword field, total matching), TTL-cached
    per physical collection and filter combination."""

    def __init__(self, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        self._entries: dict[str, tuple[float, dict[str, dict[str, int]], int]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _compute(store: VectorStore, filters: FilterSpec) -> tuple[dict[str, dict[str, int]], int]:
        facets = {
            name: {str(v): n for v, n in store.facets(name, filters, limit=FACET_LIMIT).items()}
            for name in KEYWORD_FIELDS
        }
        return facets, store.count(filters)

    def counts(self, store: VectorStore, filters: FilterSpec) -> tuple[dict[str, Any], int]:
        if self.ttl_s <= 0:
            return self._compute(store, filters)
        # After a re-index the physical collection changes, and so does the key.
        physical = getattr(store, "physical", None) or str(id(store))
        key = physical + "|" + json.dumps(filters.to_json(), sort_keys=True)
        now = time.monotonic()
        with self._lock:
            hit = self._entries.get(key)
        if hit is not None and hit[0] > now:
            return hit[1], hit[2]
        facets, total = self._compute(store, filters)
        with self._lock:
            if len(self._entries) >= MAX_ENTRIES:
                # Drop expired entries first; if all are fresh, start over (cheap, and rare).
                self._entries = {k: v for k, v in self._entries.items() if v[0] > now}
                if len(self._entries) >= MAX_ENTRIES:
                    self._entries.clear()
            self._entries[key] = (now + self.ttl_s, facets, total)
        return facets, total
