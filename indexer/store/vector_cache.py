"""Candidates' stored vectors kept in memory between searches, keyed by their content.

Reading vectors back from Qdrant with every candidate set was the most expensive step of a
search: Qdrant Edge hands each vector over as a Python list of floats, and turning the
candidates' vectors into arrays cost more than the HNSW search itself (docs/design-figures.md).
The candidate search now returns only ids and ``content_hash`` and the re-rank takes the
vectors from here, asking the store only for the ones it has not seen.

Vectors are a function of the product's content (title, attributes, photo) and of the
collection's model, so ``(product id, content_hash)`` identifies them within one collection:
an ingested change gets a new hash and its vectors are fetched again, while a price or stock
update (same content) keeps them. Points without a ``content_hash`` are never cached.

With the embedded store (directly or through the store host) the candidate search does not
even return ids and hashes: it returns point ids, and the store says which points it has
rewritten since this cache last asked (``indexer/change_log.py``); those are dropped, and the
rest are known to be current (``by_point``), which costs less CPU again. On that path the cache
also keeps the payloads of the products a search has put on a page, and of those the warm-up
read (``payloads``), so a page of them needs no call to the store; a payload update is in the
change log too.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from indexer.schema import point_id
from indexer.store.change_log import CandidateIds, Mark
from indexer.store.protocol import StoredPoint, TracksChanges, VectorStore

CONTENT_HASH = "content_hash"
# What one cached payload is counted as against the memory budget (a catalog row's payload,
# as Python objects, is about this size; measuring each would cost more than it saves).
PAYLOAD_BYTES = 2048


class VectorCache:
    """A bounded LRU of ``product id -> (content hash, [image | text] row)``; thread-safe."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._rows: OrderedDict[str, tuple[str, np.ndarray]] = OrderedDict()
        self._products: dict[str, str] = {}  # point id -> product id, for every cached row
        self._payloads: dict[str, dict] = {}  # product id -> full payload, for some cached rows
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0
        # The last change of a change-tracking store this cache has applied (by_point).
        self.mark: Mark | None = None

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
        return [points[i] for i in kept], *self._split([rows[i] for i in kept])  # type: ignore[misc]

    def by_point(
        self, store: TracksChanges, found: CandidateIds
    ) -> tuple[list[str], np.ndarray, np.ndarray]:
        """The product ids of ``found``'s candidates whose vectors are known (in its order) and
        their image and text vectors. First drops what the store says it rewrote since
        ``self.mark``; a candidate not cached is read from ``store`` (one deleted meanwhile is
        left out)."""
        with self._lock:
            self._apply(found)
            ids: list[str | None] = [None] * len(found.point_ids)
            rows: list[np.ndarray | None] = [None] * len(found.point_ids)
            missing: list[int] = []
            for i, pid in enumerate(found.point_ids):
                product = self._products.get(pid)
                entry = self._rows.get(product) if product is not None else None
                if entry is None:
                    missing.append(i)
                    continue
                self._rows.move_to_end(product)  # type: ignore[arg-type]
                ids[i], rows[i] = product, entry[1]
            self.hits += len(found.point_ids) - len(missing)
            self.misses += len(missing)
        if missing:
            fetched = {point_id(f.product_id): f for f in
                       store.get_points([found.point_ids[i] for i in missing])}
            keep: list[tuple[StoredPoint, np.ndarray]] = []
            for i in missing:
                f = fetched.get(found.point_ids[i])
                if f is None or (row := _row(f)) is None:
                    continue  # deleted since the candidate search
                ids[i], rows[i] = f.product_id, row
                keep.append((f, row))
            with self._lock:
                # Only if no newer change was applied meanwhile: that change might be one of
                # these points, read just before it was written.
                if self.mark == found.mark:
                    for f, row in keep:
                        self._put_locked(f.product_id, f.payload.get(CONTENT_HASH), row)
        kept = [i for i, r in enumerate(rows) if r is not None]
        return [ids[i] for i in kept], *self._split([rows[i] for i in kept])  # type: ignore[misc]

    def payloads(self, store: VectorStore, product_ids: list[str], mark: Mark) -> dict[str, dict]:
        """The payloads of ``product_ids`` (those still stored), from memory where a search of
        ``by_point``'s path has kept them, else from ``store``; ``mark`` is that search's
        ``CandidateIds.mark``. Callers must not change the dicts."""
        with self._lock:
            found = {pid: self._payloads[pid] for pid in product_ids if pid in self._payloads}
        missing = [pid for pid in product_ids if pid not in found]
        if missing:
            fetched = store.get(missing)
            with self._lock:
                keep = self.mark == mark  # as for vectors: no newer change applied meanwhile
                for p in fetched:
                    found[p.product_id] = p.payload
                    if keep and p.product_id in self._rows and p.product_id not in self._payloads:
                        self._payloads[p.product_id] = p.payload
                        self._bytes += PAYLOAD_BYTES
                self._shrink_locked()
        return found

    def _apply(self, found: CandidateIds) -> None:
        """Drop what ``found`` says was rewritten and move the mark on (under the lock)."""
        if found.changed is None:
            self._clear_locked()
            self.mark = found.mark
            return
        self._forget_locked(found.changed)
        # A reply from another epoch (a host restarted since) or older than the mark only
        # drops rows; the mark moves on within its epoch alone.
        if self.mark is not None and self.mark[0] == found.mark[0] and found.mark[1] > self.mark[1]:
            self.mark = found.mark

    @staticmethod
    def _split(rows: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        if not rows:
            return np.zeros((0, 0), np.float32), np.zeros((0, 0), np.float32)
        matrix = np.stack(rows)
        dim = matrix.shape[1] // 2
        return matrix[:, :dim], matrix[:, dim:]

    def warm(self, store: VectorStore, batch_size: int = 512) -> int:
        """Read stored vectors until the cache is full, so that the first searches after a start
        do not each read their candidates' vectors (with several workers, each has its own
        cache to fill). Never evicts; returns the number of products added."""
        tracked = isinstance(store, TracksChanges)
        if tracked:
            start, _ = store.changes_since(None)  # type: ignore[attr-defined]
            with self._lock:
                if self.mark is None:
                    self.mark = start  # rows read from here on are at least this new
        added = self._fill(store, batch_size, payloads=tracked)
        if tracked:
            # Rows read just before a write during the scroll would outlive it: drop them.
            _, changed = store.changes_since(start)  # type: ignore[attr-defined]
            with self._lock:
                if changed is None:
                    self._clear_locked()
                    return 0
                self._forget_locked(changed)
        return added

    def _fill(self, store: VectorStore, batch_size: int, payloads: bool) -> int:
        # ``payloads``: keep each product's payload too (the scroll reads it anyway), so that a
        # page's hits need no call to the store; only where the store's change log says when
        # one is rewritten (``payloads`` is read on that path alone).
        added = 0
        extra = PAYLOAD_BYTES if payloads else 0
        for batch in store.scroll(batch_size, with_vectors=True):
            for p in batch:
                digest = p.payload.get(CONTENT_HASH)
                row = _row(p)
                if row is None or not isinstance(digest, str) or not digest:
                    continue
                with self._lock:
                    if self._bytes + row.nbytes + extra > self.max_bytes:
                        return added
                    if p.product_id in self._rows:
                        continue  # a search put it there already, maybe with newer content
                    self._rows[p.product_id] = (digest, row)
                    self._rows.move_to_end(p.product_id, last=False)  # the coldest end
                    self._products[point_id(p.product_id)] = p.product_id
                    self._bytes += row.nbytes + extra
                    if payloads:
                        self._payloads[p.product_id] = p.payload
                    added += 1
        return added

    def _put(self, product_id: str, digest: object, row: np.ndarray) -> None:
        with self._lock:
            self._put_locked(product_id, digest, row)

    def _put_locked(self, product_id: str, digest: object, row: np.ndarray) -> None:
        if not isinstance(digest, str) or not digest:
            return  # no content identity: the vectors could change without us knowing
        self._evict_locked(product_id)
        self._rows[product_id] = (digest, row)
        self._products[point_id(product_id)] = product_id
        self._bytes += row.nbytes
        self._shrink_locked()

    def _shrink_locked(self) -> None:
        while self._bytes > self.max_bytes and self._rows:
            self._evict_locked(next(iter(self._rows)))  # the least recently used

    def _forget_locked(self, point_ids: list[str]) -> None:
        """Drop whatever is cached for the products behind ``point_ids`` (rewritten ones)."""
        for pid in point_ids:
            product = self._products.get(pid)
            if product is not None:
                self._evict_locked(product)

    def _evict_locked(self, product_id: str) -> None:
        old = self._rows.pop(product_id, None)
        if old is not None:
            self._bytes -= old[1].nbytes
            self._products.pop(point_id(product_id), None)
        if self._payloads.pop(product_id, None) is not None:
            self._bytes -= PAYLOAD_BYTES

    def clear(self) -> None:
        with self._lock:
            self._clear_locked()

    def _clear_locked(self) -> None:
        self._rows.clear()
        self._products.clear()
        self._payloads.clear()
        self._bytes = 0
        self.mark = None


def _row(point: StoredPoint) -> np.ndarray | None:
    """A point's cached row, ``[image | text]`` (``vectors`` splits it in the middle), or None
    when it came without its vectors."""
    if point.image is None or point.text is None:
        return None
    return np.concatenate([point.image, point.text]).astype(np.float32, copy=False)
