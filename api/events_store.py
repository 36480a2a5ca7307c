"""Shopper events and the search log in Redis streams, per collection.

Keys (``{p}`` is ``vitrine:merch:{collection}:``):
    {p}events        stream of events (``Event.to_fields``), trimmed to the retention
    {p}searches      stream of searches (``SearchLog.to_fields``), trimmed the same way
    {p}seen:{id}     an event id already stored (idempotency); expires with the retention

A batch is two round trips: one pipeline of SET NX marks (which ids are new), one of XADDs for
the new ones, each trimming entries older than the retention (MINID, exact).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, cast

import redis

from indexer.merch.events import Event, SearchLog

READ_CHUNK = 5000


@dataclass(frozen=True)
class Stored:
    accepted: int
    duplicates: list[str]


class EventStore:
    """Writes and reads one collection's events and search log."""

    def __init__(self, client: redis.Redis, collection: str, retention_s: float) -> None:
        self.client = client
        self.prefix = f"vitrine:merch:{collection}:"
        self.retention_s = retention_s

    def _min_id(self, now: float) -> str:
        return str(int((now - self.retention_s) * 1000))

    def add(self, events: Sequence[Event]) -> Stored:
        """Store the events not stored before (by id); the ids already seen come back."""
        ttl = max(1, int(self.retention_s))
        pipe = self.client.pipeline(transaction=False)
        for e in events:
            pipe.set(f"{self.prefix}seen:{e.id}", 1, nx=True, ex=ttl)
        fresh = pipe.execute()
        duplicates, new, in_batch = [], [], set()
        for e, ok in zip(events, fresh, strict=True):
            if ok and e.id not in in_batch:
                new.append(e)
                in_batch.add(e.id)
            else:
                duplicates.append(e.id)
        if new:
            min_id = self._min_id(time.time())
            pipe = self.client.pipeline(transaction=False)
            for e in new:
                pipe.xadd(f"{self.prefix}events", e.to_fields())  # type: ignore[arg-type]
            pipe.xtrim(f"{self.prefix}events", minid=min_id, approximate=False)
            pipe.execute()
        return Stored(len(new), duplicates)

    def log_searches(self, client: redis.Redis, logs: Sequence[SearchLog]) -> None:
        """Append searches to the log in one round trip (``client``: the connection to use,
        as ``api.deferred`` passes it), trimming it once for all of them."""
        key = f"{self.prefix}searches"
        pipe = client.pipeline(transaction=False)
        for log in logs:
            pipe.xadd(key, log.to_fields())  # type: ignore[arg-type]
        pipe.xtrim(key, minid=self._min_id(time.time()), approximate=True)
        pipe.execute()

    def _read(self, key: str, since: float | None) -> Iterator[dict[str, str]]:
        start = f"{int(since * 1000)}-0" if since is not None else "-"
        while True:
            rows = cast(list[Any], self.client.xrange(f"{self.prefix}{key}", min=start, max="+",
                                                      count=READ_CHUNK))
            for _, fields in rows:
                yield {k.decode(): v.decode() for k, v in fields.items()}
            if len(rows) < READ_CHUNK:
                return
            last = rows[-1][0].decode()
            ms, seq = last.split("-")
            start = f"{ms}-{int(seq) + 1}"

    def events(self, since: float | None = None) -> list[Event]:
        """Events stored since ``since`` (seconds; None: all kept), oldest first."""
        return [Event.from_fields(f) for f in self._read("events", since)]

    def searches(self, since: float | None = None) -> list[SearchLog]:
        return [SearchLog.from_fields(f) for f in self._read("searches", since)]

    def trim(self, now: float | None = None) -> None:
        """Drop entries older than the retention from both streams now."""
        min_id = self._min_id(now if now is not None else time.time())
        for key in ("events", "searches"):
            self.client.xtrim(f"{self.prefix}{key}", minid=min_id, approximate=False)
