"""Rules and experiments in Redis, versioned, and the per-process view of them that searches use.

Keys (``{p}`` is ``vitrine:merch:{collection}:``):
    {p}rules          hash name -> {"rule": ..., "version", "updated_by", "updated_at"}
    {p}rules:history  list of every change, newest first: {"name", "version", "action", "by", "at", "rule"}
    {p}experiments    hash id -> {"experiment": ..., "status", "started_at", "stopped_at", "by"}

Each process keeps what it read for ``refresh_s`` seconds (one read per refresh, not per search);
its own changes clear that at once.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar, cast

import redis

from indexer.merch.experiments import Experiment, parse_experiment
from indexer.merch.rules import Rule, parse_rule

T = TypeVar("T")
HISTORY = 1000


class _Cached:
    """A value read at most once per ``ttl`` seconds."""

    def __init__(self, ttl: float) -> None:
        self.ttl, self.at, self.value, self.lock = ttl, -1e18, None, threading.Lock()

    def get(self, read: Callable[[], T]) -> T:
        with self.lock:
            if time.monotonic() - self.at > self.ttl or self.value is None:
                self.value, self.at = read(), time.monotonic()  # type: ignore[assignment]
            return self.value  # type: ignore[return-value]

    def clear(self) -> None:
        with self.lock:
            self.at = -1e18


class RuleStore:
    def __init__(self, client: redis.Redis, collection: str, refresh_s: float) -> None:
        self.client, self.key = client, f"vitrine:merch:{collection}:rules"
        self._cache = _Cached(refresh_s)

    def all(self) -> dict[str, dict[str, Any]]:
        """Every stored rule's record, by name."""
        raw = cast(dict[bytes, bytes], self.client.hgetall(self.key))
        return {k.decode(): json.loads(v) for k, v in sorted(raw.items())}

    def get(self, name: str) -> dict[str, Any] | None:
        raw = self.client.hget(self.key, name)
        return json.loads(raw) if raw is not None else None

    def active(self) -> list[Rule]:
        """The parsed rules searches apply (cached per process)."""
        return self._cache.get(lambda: [parse_rule(r["rule"]) for r in self.all().values()])

    def put(self, rule: Rule, by: str, action: str) -> dict[str, Any]:
        """Create or replace a rule; the new version is recorded in the history."""
        old = self.get(rule.name)
        record = {"rule": dict(rule.raw), "version": (old["version"] + 1) if old else 1,
                  "updated_by": by, "updated_at": time.time()}
        self._write(rule.name, record, action, by)
        return record

    def delete(self, name: str, by: str) -> bool:
        old = self.get(name)
        if old is None:
            return False
        entry = {"name": name, "version": old["version"] + 1, "action": "delete", "by": by, "at": time.time(),
                 "rule": None}
        pipe = self.client.pipeline()
        pipe.hdel(self.key, name)
        pipe.lpush(f"{self.key}:history", json.dumps(entry))
        pipe.ltrim(f"{self.key}:history", 0, HISTORY - 1)
        pipe.execute()
        self._cache.clear()
        return True

    def history(self, name: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        rows = [json.loads(x) for x in self.client.lrange(f"{self.key}:history", 0, HISTORY - 1)]
        return [r for r in rows if name is None or r["name"] == name][:limit]

    def _write(self, name: str, record: dict[str, Any], action: str, by: str) -> None:
        entry = {"name": name, "version": record["version"], "action": action, "by": by,
                 "at": record["updated_at"], "rule": record["rule"]}
        pipe = self.client.pipeline()
        pipe.hset(self.key, name, json.dumps(record))
        pipe.lpush(f"{self.key}:history", json.dumps(entry))
        pipe.ltrim(f"{self.key}:history", 0, HISTORY - 1)
        pipe.execute()
        self._cache.clear()


class ExperimentStore:
    def __init__(self, client: redis.Redis, collection: str, refresh_s: float) -> None:
        self.client, self.key = client, f"vitrine:merch:{collection}:experiments"
        self._cache = _Cached(refresh_s)

    def all(self) -> dict[str, dict[str, Any]]:
        raw = cast(dict[bytes, bytes], self.client.hgetall(self.key))
        return {k.decode(): json.loads(v) for k, v in sorted(raw.items())}

    def get(self, eid: str) -> dict[str, Any] | None:
        raw = self.client.hget(self.key, eid)
        return json.loads(raw) if raw is not None else None

    def put(self, record: dict[str, Any]) -> None:
        self.client.hset(self.key, record["experiment"]["id"], json.dumps(record))
        self._cache.clear()

    def running(self) -> Experiment | None:
        """The experiment searches take part in: the earliest started of those running."""
        def read() -> list[Experiment]:
            live = [r for r in self.all().values() if r["status"] == "running"]
            live.sort(key=lambda r: (r["started_at"], r["experiment"]["id"]))
            return [parse_experiment(r["experiment"]) for r in live[:1]]
        found = self._cache.get(read)
        return found[0] if found else None
