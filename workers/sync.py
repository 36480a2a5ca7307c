"""Catalog sync: compare a storefront feed with what was last synced; enqueue only the difference."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path

import redis
from rq import Queue

from indexer.catalog import RowError
from settings.queue import QueueSettings
from workers.context import Fetcher
from workers.feeds import parse_feed
from workers.queueing import Ingestion
from workers.serializer import SERIALIZER

log = logging.getLogger(__name__)

STATE_PREFIX = "feed-state:"  # under QueueSettings.key_prefix
MAX_FEED_BYTES = 64 * 1024 * 1024


@dataclass
class SyncReport:
    """What one sync found and did."""

    source: str
    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    jobs: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.source}: {len(self.new)} new, {len(self.changed)} changed, {len(self.removed)} removed, "
            f"{self.unchanged} unchanged, {len(self.errors)} rows with problems; {len(self.jobs)} jobs queued"
        )


def _digest(product: object) -> str:
    return hashlib.sha256(json.dumps(asdict(product), sort_keys=True).encode()).hexdigest()[:32]  # type: ignore[call-overload]


def read_source(source: str, fetch: Fetcher | None) -> str:
    """A feed's text from a file path or an http(s) URL."""
    if source.startswith(("http://", "https://")):
        if fetch is None:
            raise ValueError("fetching feeds over HTTP needs a fetcher")
        data = fetch(source)
    else:
        data = Path(source).read_bytes()
    if len(data) > MAX_FEED_BYTES:
        raise ValueError(f"feed {source} is larger than {MAX_FEED_BYTES // (1024 * 1024)} MB")
    return data.decode("utf-8-sig")


def sync_feed(
    connection: redis.Redis,
    source: str,
    settings: QueueSettings,
    fetch: Fetcher | None = None,
) -> SyncReport:
    """Enqueue new and changed products of ``source`` and deletions for products it dropped.

    The state (product id -> content hash of the last synced version) lives in Redis per
    feed, and is only advanced for products whose jobs were queued, so a sync that stops
    halfway is simply finished by the next one. An image replaced at the same URL is not
    noticed (the feed's text is what is compared).
    """
    feed = parse_feed(read_source(source, fetch), source)
    key = settings.key_prefix + STATE_PREFIX + hashlib.sha256(source.encode()).hexdigest()[:16]
    stored: dict[bytes, bytes] = connection.hgetall(key)  # type: ignore[assignment]  # bytes: no decode_responses
    previous = {k.decode(): v.decode() for k, v in stored.items()}
    ingestion = Ingestion(connection, settings)
    report = SyncReport(source=source, errors=feed.errors)
    current: dict[str, str] = {}
    for product in feed.products:
        digest = _digest(product)
        current[product.id] = digest
        old = previous.get(product.id)
        if old == digest:
            report.unchanged += 1
            continue
        (report.new if old is None else report.changed).append(product.id)
        report.jobs.append(ingestion.enqueue(product).id)
        connection.hset(key, product.id, digest)
    # A row with problems is not a removal: its product keeps its last good version.
    broken = {e.product_id for e in feed.errors if e.product_id}
    for product_id in sorted(set(previous) - set(current) - broken):
        report.removed.append(product_id)
        report.jobs.append(ingestion.enqueue_delete(product_id).id)
        connection.hdel(key, product_id)
    log.info("%s", report.summary())
    return report


def scheduled_sync(source: str, every_s: int) -> dict[str, object]:
    """The RQ job behind ``vitrine sync --every``: sync now, then schedule the next run."""
    from workers.context import get_context

    ctx = get_context()
    try:
        report = sync_feed(ctx.redis, source, ctx.queue_settings, ctx.fetch)
    finally:
        schedule_sync(ctx.redis, ctx.queue_settings, source, every_s)
    return {"summary": report.summary(), "jobs": len(report.jobs)}


def schedule_sync(connection: redis.Redis, settings: QueueSettings, source: str, every_s: int) -> str:
    """Schedule ``scheduled_sync`` in ``every_s`` seconds (one pending run per feed)."""
    queue = Queue(settings.queue, connection=connection, serializer=SERIALIZER)
    job_id = "sync-" + hashlib.sha256(source.encode()).hexdigest()[:16]
    job = queue.enqueue_in(
        timedelta(seconds=every_s), scheduled_sync, source, every_s, job_id=job_id,
        description=f"sync feed {source} every {every_s} s", job_timeout=max(600, settings.job_timeout_s),
    )
    return job.id
