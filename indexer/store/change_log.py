"""Which points an embedded store has rewritten, so that searchers can keep vectors in memory
without asking for each candidate's content hash.

Reading each candidate's ``id`` and ``content_hash`` back from Qdrant Edge costs measurably
more CPU per search than point ids alone (docs/design-figures.md), and qdrant-edge-py 0.9
reports no point versions to tell a rewritten point by (every ``ScoredPoint.version`` is 0).
The embedded store is written by one process only (a single serving process, or the store
host for several), so that process can say exactly what changed: it counts its writes and
remembers the point ids of the recent ones. A searcher keeps the mark of the last change it
has seen and, with each candidate search, learns what was written since (vectors or
payload: it also keeps the payloads of the products it has shown); when the log no longer
reaches back that far, or the store was reopened, it hears "anything may have changed" and
forgets everything it keeps.
"""

from __future__ import annotations

import secrets
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

# Write batches remembered, and point ids one answer may list; past either, a searcher
# starts over, which costs it one read of each product's vectors as they come up again.
MAX_BATCHES = 4096
MAX_CHANGED = 20_000

Mark = tuple[str, int]  # (the log's epoch, writes counted so far)


@dataclass(frozen=True)
class CandidateIds:
    """A candidate search answered with point ids only, best first, and what was written
    since the caller's mark: ``changed`` point ids, or None for "forget everything"."""

    point_ids: list[str]
    mark: Mark
    changed: list[str] | None


class ChangeLog:
    """Counts an open store's writes and remembers the point ids of the last ``MAX_BATCHES``
    of them; thread-safe. A new log (a reopened or recreated store) has a new epoch."""

    def __init__(self, max_batches: int = MAX_BATCHES, max_changed: int = MAX_CHANGED) -> None:
        self.epoch = secrets.token_hex(8)
        self.max_changed = max_changed
        self._count = 0
        self._batches: deque[tuple[int, tuple[str, ...]]] = deque(maxlen=max_batches)
        self._lock = threading.Lock()

    def record(self, point_ids: Iterable[str]) -> None:
        """Note one write of ``point_ids`` (call it once the write is done)."""
        ids = tuple(point_ids)
        with self._lock:
            self._count += 1
            self._batches.append((self._count, ids))

    def mark(self) -> Mark:
        with self._lock:
            return self.epoch, self._count

    def since(self, mark: Mark | None) -> tuple[Mark, list[str] | None]:
        """The current mark, and the point ids written after ``mark`` (None: unknown, because
        ``mark`` is from another epoch, older than the log, or too many points changed)."""
        with self._lock:
            now = (self.epoch, self._count)
            if mark is None or mark[0] != self.epoch or mark[1] > self._count:
                return now, None
            if mark[1] == self._count:
                return now, []
            if not self._batches or self._batches[0][0] > mark[1] + 1:
                return now, None  # the batches right after the mark have been dropped
            changed: list[str] = []
            for number, ids in reversed(self._batches):
                if number <= mark[1]:
                    break
                changed.extend(ids)
                if len(changed) > self.max_changed:
                    return now, None
            return now, changed
