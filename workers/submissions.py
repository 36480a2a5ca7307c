"""Submitted products waiting in Redis, versioned so that the latest submission always wins."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass

import redis

from indexer.schema import Product

# Key names under the instance's prefix (QueueSettings.key_prefix, ``vitrine:`` by default).
PREFIX = "submission:"
SEQ_KEY = "submission-seq"
DONE_PREFIX = "done:"
DONE_TTL_S = 7 * 24 * 3600
FAILURES_KEY = "ingest-failures"  # product id -> {"seq", "reason", "at"} of its last failed try

# Store the submission only if it is newer than the one already there: two concurrent
# submissions of one product may reach Redis in either order.
_PUT_IF_NEWER = """
local current = tonumber(redis.call('HGET', KEYS[1], 'seq') or '0')
if tonumber(ARGV[1]) > current then
  redis.call('HSET', KEYS[1], 'seq', ARGV[1], 'product', ARGV[2], 'at', ARGV[3])
  return 1
end
return 0
"""
_MARK_DONE = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > current then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
end
return 1
"""


@dataclass(frozen=True)
class Submission:
    """One submitted version of a product; ``product`` is None for a deletion (a tombstone)."""

    product: Product | None
    seq: int
    submitted_at: float


class Submissions:
    """Product submissions in Redis, keyed by product id."""

    def __init__(self, connection: redis.Redis, key_prefix: str = "vitrine:") -> None:
        self.redis = connection
        self.ns = key_prefix
        self._put = connection.register_script(_PUT_IF_NEWER)
        self._done = connection.register_script(_MARK_DONE)

    def put(self, product: Product) -> Submission:
        """Store a new version of ``product`` and return it with its sequence number."""
        seq = self.next_seq()
        now = time.time()
        self._put(keys=[self.ns + PREFIX + product.id], args=[seq, json.dumps(asdict(product)), now])
        return Submission(product, seq, now)

    def next_seq(self) -> int:
        """A fresh sequence number (deletions take one too, to order them among submissions)."""
        return int(self.redis.incr(self.ns + SEQ_KEY))

    def tombstone(self, product_id: str) -> Submission:
        """Record a deletion: ingestion jobs for earlier versions then leave the product alone."""
        seq = self.next_seq()
        now = time.time()
        self._put(keys=[self.ns + PREFIX + product_id], args=[seq, "", now])
        return Submission(None, seq, now)

    def get(self, product_id: str) -> Submission | None:
        raw = self.redis.hgetall(self.ns + PREFIX + product_id)
        if not raw:
            return None
        product = Product(**json.loads(raw[b"product"])) if raw[b"product"] else None
        return Submission(product, int(raw[b"seq"]), float(raw[b"at"]))

    def mark_done(self, product_id: str, seq: int) -> None:
        """Record that version ``seq`` (or a later one) of the product is in the index."""
        self._done(keys=[self.ns + DONE_PREFIX + product_id], args=[seq, DONE_TTL_S])

    def done_seq(self, product_id: str) -> int:
        value = self.redis.get(self.ns + DONE_PREFIX + product_id)
        return int(value) if value else 0

    def record_failure(self, product_id: str, seq: int, reason: str) -> None:
        """Remember why the last try at version ``seq`` failed: visible at once (``vitrine jobs
        --failed``), while the job's retries are still pending."""
        value = json.dumps({"seq": seq, "reason": reason, "at": time.time()})
        self.redis.hset(self.ns + FAILURES_KEY, product_id, value)

    def clear_failure(self, product_id: str) -> None:
        self.redis.hdel(self.ns + FAILURES_KEY, product_id)

    def failures(self, limit: int = 1000) -> list[dict[str, object]]:
        """Products whose last try failed, newest first: ``{"product_id", "seq", "reason", "at"}``."""
        raw: dict[bytes, bytes] = self.redis.hgetall(self.ns + FAILURES_KEY)  # type: ignore[assignment]  # bytes
        found = [{"product_id": k.decode(), **json.loads(v)} for k, v in raw.items()]
        found.sort(key=lambda f: -float(f["at"]))
        return found[:limit]
