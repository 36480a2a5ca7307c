"""What a feed sync knows about each of its products: the version confirmed in the index, and
versions sent to the queue but not yet confirmed.

A sync used to record a row's content hash when it queued the job: an update whose image then
failed was never tried again ("unchanged"). Now a queued version is *pending* (its hash, its
submission sequence number and its job); the next sync confirms it once the product's
``done`` mark reaches that sequence number (the job indexed it), leaves it alone while its job
is still queued or retrying, and queues it again when its job failed for good or vanished,
reporting the reason. The sync's own period is the back-off between those attempts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import redis

from settings.queue import QueueSettings
from workers.submissions import Submissions

CONFIRMED = "feed-state:"  # product id -> content hash of the version in the index
PENDING = "feed-pending:"  # product id -> "hash seq job_id" of a queued version

Outcome = Literal["confirmed", "waiting", "failed"]


@dataclass(frozen=True)
class Pending:
    digest: str
    seq: int
    job_id: str


class FeedState:
    """The confirmed and pending versions of one feed's products, in Redis."""

    def __init__(self, connection: redis.Redis, settings: QueueSettings, feed_key: str) -> None:
        self.redis = connection
        self.settings = settings
        self.confirmed_key = settings.key_prefix + CONFIRMED + feed_key
        self.pending_key = settings.key_prefix + PENDING + feed_key
        self.submissions = Submissions(connection, settings.key_prefix)

    def confirmed(self) -> dict[str, str]:
        raw: dict[bytes, bytes] = self.redis.hgetall(self.confirmed_key)  # type: ignore[assignment]  # bytes
        return {k.decode(): v.decode() for k, v in raw.items()}

    def pending(self) -> dict[str, Pending]:
        raw: dict[bytes, bytes] = self.redis.hgetall(self.pending_key)  # type: ignore[assignment]  # bytes
        out = {}
        for key, value in raw.items():
            digest, seq, job_id = value.decode().split(" ", 2)
            out[key.decode()] = Pending(digest, int(seq), job_id)
        return out

    def mark_pending(self, product_id: str, digest: str, seq: int, job_id: str) -> None:
        self.redis.hset(self.pending_key, product_id, f"{digest} {seq} {job_id}")

    def forget(self, product_id: str) -> None:
        """The product left the feed: neither a confirmed nor a pending version remains."""
        self.redis.hdel(self.confirmed_key, product_id)
        self.redis.hdel(self.pending_key, product_id)

    def settle(self, product_id: str, pending: Pending) -> tuple[Outcome, str | None]:
        """What became of a pending version: confirmed (and recorded as such), still waiting on
        its job, or failed (the reason, if the job left one)."""
        if self.submissions.done_seq(product_id) >= pending.seq:
            pipe = self.redis.pipeline()
            pipe.hset(self.confirmed_key, product_id, pending.digest)
            pipe.hdel(self.pending_key, product_id)
            pipe.execute()
            return "confirmed", None
        # Through the producer's job_status: it reads jobs with the queue's own serializer.
        from workers.queueing import Ingestion  # queueing imports the job functions

        status = Ingestion(self.redis, self.settings).job_status(pending.job_id)
        if status is None:
            return "failed", "its ingestion job is gone without indexing it"
        if status["status"] in ("failed", "stopped", "canceled"):
            return "failed", _reason_for(product_id, str(status.get("reason") or "unknown failure"))
        if status["status"] == "finished":
            # Finished without marking this version done: a later submission superseded it.
            return "failed", "its ingestion job finished without indexing this version"
        return "waiting", None


def _reason_for(product_id: str, reason: str) -> str:
    """A job's failure names each product with its reason ("pid: reason; pid2: ..."): this one's."""
    for part in reason.split("; "):
        head, sep, rest = part.partition(f"{product_id}: ")
        if sep and (not head or head.endswith(": ")):
            return rest
    return reason
