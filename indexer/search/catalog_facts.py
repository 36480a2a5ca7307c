"""What the search knows about the catalog as a whole: the vocabulary query understanding reads
queries with, and per product the few fields an understood attribute is matched against.

Both are built from one scroll of the store and kept per store generation (``FactsCache``):
re-read when the catalog changed, in the background, while searches go on with the previous
ones. A product written since is matched from its payload (``Facts.of`` misses it and the
caller reads it from the store).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from indexer.errors import IndexerError
from indexer.schema import PREDICTED_SUFFIX, TAGGED_FIELDS
from indexer.store.protocol import TracksChanges, VectorStore
from indexer.understanding import Vocabulary
from indexer.understanding.text import tokens

log = logging.getLogger(__name__)

# The payload fields an understood attribute can name (a material is matched on the title).
MATCH_FIELDS = ("gender", "category", "sub_category", "article_type", "colour", "season", "occasion",
                "brand")


@dataclass(frozen=True)
class ProductFacts:
    """One product's attribute values (catalog values first, else the predicted ones of the
    tagged fields), its price, and the plural-folded words of its title (in order)."""

    values: Mapping[str, str]
    predicted: frozenset[str]  # the fields whose value is a prediction
    price: float | None
    title: tuple[str, ...]
    words: frozenset[str]  # the title's words as a set, to rule phrases out quickly
    folded: Mapping[str, str]  # ``values`` case-folded, as attributes are matched (once, not per search)


def product_facts(payload: Mapping[str, Any]) -> ProductFacts:
    """The facts of one stored payload."""
    values: dict[str, str] = {}
    predicted: set[str] = set()
    for name in MATCH_FIELDS:
        value = payload.get(name)
        if (value is None or value == "") and name in TAGGED_FIELDS:
            value = payload.get(f"{name}{PREDICTED_SUFFIX}")
            if value:
                predicted.add(name)
        if isinstance(value, str) and value.strip():
            values[name] = value.strip()
    price = payload.get("price")
    number = float(price) if isinstance(price, int | float) and not isinstance(price, bool) else None
    title = tuple(t.stem for t in tokens(str(payload.get("title") or "")))
    return ProductFacts(values, frozenset(predicted), number, title, frozenset(title),
                        {k: v.casefold() for k, v in values.items()})


@dataclass(frozen=True)
class CatalogFacts:
    """The vocabulary of a catalog and the facts of each of its products (by product id)."""

    vocabulary: Vocabulary
    products: Mapping[str, ProductFacts]

    @classmethod
    def from_payloads(cls, payloads: Iterable[Mapping[str, Any]]) -> CatalogFacts:
        rows = [p for p in payloads if p.get("id") is not None]
        facts = {str(p["id"]): product_facts(p) for p in rows}
        return cls(Vocabulary.from_products(rows), facts)

    @classmethod
    def from_store(cls, store: VectorStore) -> CatalogFacts:
        return cls.from_payloads(p.payload for batch in store.scroll(batch_size=1024) for p in batch)


Generation = Callable[[], object]


def store_generation(store: VectorStore) -> Generation:
    """What changes when the catalog does: the change-log mark of a store that tracks its
    writes (any write moves it), else the collection and its product count."""
    if isinstance(store, TracksChanges):
        return lambda: store.changes_since(None)[0]
    return lambda: (store.physical, store.info().points)


class FactsCache:
    """The catalog facts of one store, rebuilt when its generation moves.

    The first call builds them (a search cannot read queries without a vocabulary); after a
    change, at most every ``check_every_s``, they are rebuilt in a background thread and the
    previous ones serve meanwhile. Thread-safe.
    """

    def __init__(self, store: VectorStore, check_every_s: float = 5.0,
                 generation: Generation | None = None) -> None:
        self.store = store
        self.check_every_s = check_every_s
        self._generation = generation or store_generation(store)
        self._facts: CatalogFacts | None = None
        self._built_for: object = None
        self._checked_at = 0.0
        self._lock = threading.Lock()
        self._rebuilding = False

    def get(self) -> CatalogFacts:
        with self._lock:
            facts = self._facts
        if facts is None:
            return self._build_now()
        now = time.monotonic()
        if now - self._checked_at >= self.check_every_s:
            self._checked_at = now
            self._maybe_rebuild()
        return facts

    def _build_now(self) -> CatalogFacts:
        with self._lock:
            if self._facts is not None:
                return self._facts
            generation = self._generation()
            self._facts = CatalogFacts.from_store(self.store)
            self._built_for, self._checked_at = generation, time.monotonic()
            return self._facts

    def _maybe_rebuild(self) -> None:
        try:
            generation = self._generation()
        except IndexerError as e:
            log.warning("cannot check whether the catalog changed: %s", e)
            return
        with self._lock:
            if generation == self._built_for or self._rebuilding:
                return
            self._rebuilding = True
        threading.Thread(target=self._rebuild, args=(generation,), daemon=True,
                         name="vitrine-catalog-facts").start()

    def _rebuild(self, generation: object) -> None:
        try:
            facts = CatalogFacts.from_store(self.store)
        except IndexerError as e:
            log.warning("cannot re-read the catalog's vocabulary: %s", e)
            facts = None
        with self._lock:
            if facts is not None:
                self._facts, self._built_for = facts, generation
            self._rebuilding = False

    def wait_rebuilt(self, timeout_s: float = 30.0) -> None:
        """Block until a background rebuild in progress is over (tests, benchmarks)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self._lock:
                if not self._rebuilding:
                    return
            time.sleep(0.01)
