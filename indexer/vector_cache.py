"""Candidates' stored vectors kept in memory between searches, keyed by their content.

Reading vectors back from Qdrant with every candidate set was the most expensive step of a
search: Qdrant Edge hands each vector over as a Python list of floats, and turning ~150
candidates' two vectors into arrays cost ~5 ms, more than the HNSW search itself (~1.5 ms).
The candidate search now returns only ids and ``content_hash`` and the re-rank takes the
vectors from here, asking the store only for the ones it has not seen.

Vectors are a function of the product's content (title, attributes, photo) and of the
collection's model, so ``(product id, content_hash)`` identifies them within one collection:
an ingested change gets a new hash and its vectors are fetched again, while a price or stock
update (same content) keeps them. Points without a ``content_hash`` are never cached.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from indexer.store import StoredPoint, VectorStore

CONTENT_HASH = "content_hash"


class VectorCache:
    """A bounded LRU of ``product id -> (content hash, [image | text] row)``; thread-safe."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._rows: OrderedDict[str, tuple[str, np.ndarray]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._rows)

    def vectors(
        self, store: VectorStore, points: Sequence[StoredPoint]
    ) -> tuple[list[StoredPoint], np.ndarray, np.ndarray]:
        """The points whose vectors are known (in input order) and their image and text
        vectors as ``(n, dim)`` arrays.

        A point missing from the cache (or cached under another content hash) is read from
        ``store``; one deleted in the meantime is left out.
        """
        rows: list[np.ndarray | None] = [None] * len(points)
        missing: list[int] = []
        with self._lock:
            for i, p in enumerate(points):
                digest = p.payload.get(CONTENT_HASH)
                entry = self._rows.get(p.product_id) if digest else None
                if entry is not None and entry[0] == digest:
                    self._rows.move_to_end(p.product_id)
                    rows[i] = entry[1]
                else:
                    missing.append(i)
            self.hits += len(points) - len(missing)
            self.misses += len(missing)
        if missing:
            fetched = {f.product_id: f for f in store.get([points[i].product_id for i in missing],
                                                        with_vectors=True)}
            for i in missing:
                f = fetched.get(points[i].product_id)
                if f is None or (row := _row(f)) is None:
                    continue  # deleted since the candidate search
                rows[i] = row
                self._put(f.product_id, f.payload.get(CONTENT_HASH), row)
        kept = [i for i, r in enumerate(rows) if r is not None]
        if not kept:
            return [], np.zeros((0, 0), np.float32), np.zeros((0, 0), np.float32)
        matrix = np.stack([rows[i] for i in kept])  # type: ignore[misc]
        dim = matrix.shape[1] // 2
        return [points[i] for i in kept], matrix[:, :dim], matrix[:, dim:]

    def warm(self, store: VectorStore, batch_size: int = 512) -> int:
        """Read stored vectors until the cache is full, so that the first searches after a start
        do not each read their candidates' vectors (with several workers, each has its own
        cache to fill). Never evicts; returns the number of products added."""
        added = 0
        for batch in store.scroll(batch_size, with_vectors=True):
            for p in batch:
                digest = p.payload.get(CONTENT_HASH)
                row = _row(p)
                if row is None or not isinstance(digest, str) or not digest:
                    continue
                with self._lock:
                    if self._bytes + row.nbytes > self.max_bytes:
                        return added
                    if p.product_id in self._rows:
                        continue  # a search put it there already, maybe with newer content
                    self._rows[p.product_id] = (digest, row)
                    self._rows.move_to_end(p.product_id, last=False)  # the coldest end
                    self._bytes += row.nbytes
                    added += 1
        return added

    def _put(self, product_id: str, digest: object, row: np.ndarray) -> None:
        if not isinstance(digest, str) or not digest:
            return  # no content identity: the vectors could change without us knowing
        with self._lock:
            old = self._rows.pop(product_id, None)
            if old is not None:
                self._bytes -= old[1].nbytes
            self._rows[product_id] = (digest, row)
            self._bytes += row.nbytes
            while self._bytes > self.max_bytes and self._rows:
                _, (_, evicted) = self._rows.popitem(last=False)
                self._bytes -= evicted.nbytes

    def clear(self) -> None:
        with self._lock:
            self._rows.clear()
            self._bytes = 0


def _row(point: StoredPoint) -> np.ndarray | None:
    """A point's cached row, ``[image | text]`` (``vectors`` splits it in the middle), or None
    when it came without its vectors."""
    if point.image is None or point.text is None:
        return None
    return np.concatenate([point.image, point.text]).astype(np.float32, copy=False)
