"""The serving index: an encoder, a store and a searcher that are swapped together, atomically.

A re-index builds a new collection with another model and then points the logical
collection name at it. Every process serving that name holds a ``LiveIndex``: it takes
one consistent view per request (``current()``), notices a switch made elsewhere (the
alias moved) and swaps in the new model and collection without failing a search: the
previous view stays open until the next switch, so requests that hold it finish on it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from encoder import Encoder, EncoderError
from indexer.errors import IndexerError
from indexer.search import Searcher
from indexer.store.protocol import VectorStore
from settings.core import Settings

log = logging.getLogger(__name__)

SearcherFactory = Callable[[Encoder, VectorStore], Searcher]


@dataclass(frozen=True)
class IndexView:
    """One consistent generation of the index."""

    encoder: Encoder
    store: VectorStore
    searcher: Searcher


class LiveIndex:
    """Holds the current view; re-indexing swaps it, other processes' switches are picked up."""

    def __init__(
        self,
        settings: Settings,
        encoder: Encoder,
        store: VectorStore,
        *,
        searcher_factory: SearcherFactory | None = None,
        check_every_s: float = 2.0,
    ) -> None:
        self.settings = settings
        self._factory = searcher_factory or (lambda enc, st: Searcher(enc, st, settings))
        self._view = IndexView(encoder, store, self._factory(encoder, store))
        self._retired: IndexView | None = None
        self._lock = threading.Lock()
        self._check_every_s = check_every_s
        self._checked_at = time.monotonic()

    def current(self) -> IndexView:
        """The view to use for one request or job (checks for a switch at most every few seconds)."""
        if self._check_every_s >= 0 and time.monotonic() - self._checked_at >= self._check_every_s:
            self._follow_switch()
        return self._view

    def swap(self, encoder: Encoder, store: VectorStore) -> IndexView:
        """Make (encoder, store) the current view; the previous one stays open for in-flight work."""
        view = IndexView(encoder, store, self._factory(encoder, store))
        with self._lock:
            previous, self._view = self._view, view
            if self._retired is not None and self._retired.store is not store:
                self._retired.store.close()
            self._retired = previous
        log.info("now serving %s with model %s", store.physical, encoder.model_id)
        return view

    def _follow_switch(self) -> None:
        self._checked_at = time.monotonic()
        view = self._view
        try:
            target = view.store.current_target()
        except IndexerError as e:
            log.warning("cannot check the collection alias: %s", e)
            return
        if target == view.store.physical:
            return
        try:
            store = view.store.sibling(target)
            info = store.info()
            encoder = view.encoder
            if info.model != encoder.model_id:
                encoder = Encoder.load(info.model_spec, self.settings.device, self.settings.torch_threads,
                                       self.settings.text_int8, self.settings.image_int8)
        except (IndexerError, EncoderError) as e:
            # Keep serving the old generation rather than fail: the switch is retried later.
            log.error("collection %s was switched to %s but cannot be opened: %s", view.store.name, target, e)
            return
        self.swap(encoder, store)

    def close(self) -> None:
        with self._lock:
            for view in (self._retired, self._view):
                if view is not None:
                    view.store.close()
            self._retired = None
