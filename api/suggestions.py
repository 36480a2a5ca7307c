"""The suggestion indexes of an app: one per collection, rebuilt per catalog generation and
every ``suggest_refresh_s`` with the latest past queries, in the background while the previous
one answers (the first one is built on the first request)."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from api.query_log import QueryLog
from indexer.errors import IndexerError
from indexer.search.catalog_facts import CatalogFacts, FactsCache
from indexer.search.suggest import SuggestIndex, build_index

log = logging.getLogger(__name__)


@dataclass
class _Built:
    index: SuggestIndex
    facts: CatalogFacts
    at: float


class Suggestions:
    """Thread-safe: one lookup is a dictionary read of the current index."""

    def __init__(self, queries: QueryLog, min_shoppers: int, refresh_s: float) -> None:
        self.queries = queries
        self.min_shoppers = min_shoppers
        self.refresh_s = refresh_s
        self._built: dict[str, _Built] = {}
        self._building: set[str] = set()
        self._lock = threading.Lock()
        self._first = threading.Lock()  # one first build at a time: the others wait for it

    def index(self, collection: str, facts: FactsCache) -> SuggestIndex:
        """The index of ``collection`` (the logical name: past queries outlive a re-index)."""
        with self._lock:
            built = self._built.get(collection)
        if built is None:
            with self._first:  # requests arriving together take the one index built first
                with self._lock:
                    built = self._built.get(collection)
                if built is None:
                    return self._build(collection, facts.get()).index
        current = facts.get()
        stale = current is not built.facts or time.monotonic() - built.at >= self.refresh_s
        if stale:
            self._rebuild_later(collection, current)
        return built.index

    def _build(self, collection: str, facts: CatalogFacts) -> _Built:
        with self._lock:
            previous = self._built.get(collection)
        # the catalog's part is rebuilt only for a new catalog generation, not for new queries
        catalog = previous.index.catalog if previous is not None else None
        built = _Built(build_index(facts, self.queries.past(collection), self.min_shoppers, catalog), facts,
                       time.monotonic())
        with self._lock:
            self._built[collection] = built
        return built

    def _rebuild_later(self, collection: str, facts: CatalogFacts) -> None:
        with self._lock:
            if collection in self._building:
                return
            self._building.add(collection)

        def run() -> None:
            try:
                self._build(collection, facts)
            except IndexerError as e:
                log.warning("cannot rebuild the suggestions of %s: %s", collection, e)
            finally:
                with self._lock:
                    self._building.discard(collection)

        threading.Thread(target=run, daemon=True, name="vitrine-suggest").start()

    def refresh_now(self, collection: str, facts: FactsCache) -> SuggestIndex:
        """Rebuild at once (tests, benchmarks)."""
        return self._build(collection, facts.get()).index
