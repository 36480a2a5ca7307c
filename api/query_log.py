"""Past queries per collection, with how many distinct shoppers searched each: what the
suggestions may offer (api/suggestions.py).

Analytics (api/analytics.py) counts searches per query, but not who searched: one shopper
typing their own words fifty times must not make them a suggestion for everyone. So each
text search of a first page also adds its shopper to a HyperLogLog per query (Redis keeps
only hashes of the ids, and counts them within about 1%), and the last result count seen.

Keys (``{c}`` is the collection):
    vitrine:q:{c}:searches          zset normalised query -> searches
    vitrine:q:{c}:results           hash normalised query -> results of its last search
    vitrine:q:{c}:who:{query}       HyperLogLog of the shoppers who searched it

Queries with an image, with no result, or longer than MAX_QUERY are not kept. The key layout is
also how events (POST /api/v1/events, the merchandising work) can feed it: a "search" event is
``record(collection, query, shopper, results)``.
"""

from __future__ import annotations

import hashlib

import redis

from api.redis_guard import RedisGuard
from indexer.search.suggest import PastQuery

PREFIX = "vitrine:q:"
MAX_QUERY = 100
MAX_QUERIES = 5000
"""Only the most searched queries are read back when the suggestions are built."""


def _key(collection: str, part: str) -> str:
    return f"{PREFIX}{collection}:{part}"


class QueryLog:
    """Writes and reads past queries through the Redis guard (an outage loses a few counts)."""

    def __init__(self, guard: RedisGuard) -> None:
        self.guard = guard

    def record(self, collection: str, query: str, shopper: str, results: int) -> None:
        """One text search of ``query`` by ``shopper`` that found ``results`` products."""
        words = " ".join(query.casefold().split())
        if not words or len(words) > MAX_QUERY or results <= 0:
            return
        who = hashlib.sha256(shopper.encode()).hexdigest()[:16]

        def write(r: redis.Redis) -> None:
            pipe = r.pipeline(transaction=False)
            pipe.zincrby(_key(collection, "searches"), 1, words)
            pipe.hset(_key(collection, "results"), words, results)
            pipe.pfadd(_key(collection, f"who:{words}"), who)
            pipe.execute()

        self.guard.call("query_log", write, None)

    def past(self, collection: str, limit: int = MAX_QUERIES) -> list[PastQuery]:
        """The ``limit`` most searched queries with their distinct shoppers (none without Redis)."""

        def read(r: redis.Redis) -> list[PastQuery]:
            rows: list[tuple[bytes, float]] = r.zrevrange(  # type: ignore[assignment]  # withscores pairs
                _key(collection, "searches"), 0, limit - 1, withscores=True)
            texts = [q.decode() for q, _ in rows]
            pipe = r.pipeline(transaction=False)
            for text in texts:
                pipe.pfcount(_key(collection, f"who:{text}"))
            shoppers = pipe.execute()
            return [PastQuery(t, int(n), int(w)) for t, (_, n), w in zip(texts, rows, shoppers, strict=True)]

        return self.guard.call("query_log", read, [])
