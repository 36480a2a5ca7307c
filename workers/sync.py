"""Catalog sync: compare a storefront feed with what was last synced; enqueue only the difference."""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import timedelta

import redis
from rq import Queue

from indexer.catalog import RowError
from indexer.schema import Product
from settings.queue import QueueSettings
from workers.context import Fetcher
from workers.feed_source import read_feed
from workers.feed_state import FeedState
from workers.feeds import Feed, parse_feed
from workers.queueing import Ingestion
from workers.serializer import SERIALIZER

log = logging.getLogger(__name__)



@dataclass
class SyncReport:
    """What one sync found and did."""

    source: str
    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    waiting: int = 0  # queued by an earlier sync, their jobs not finished yet
    retried: list[tuple[str, str]] = field(default_factory=list)  # (product id, why the last try failed)
    errors: list[RowError] = field(default_factory=list)
    jobs: list[str] = field(default_factory=list)
    rows: int = 0
    products: int = 0
    variants: int = 0
    duplicates: list[RowError] = field(default_factory=list)
    currencies: dict[str, int] = field(default_factory=dict)  # ISO code -> products priced in it

    def summary(self) -> str:
        return (
            f"{self.source}: {len(self.new)} new, {len(self.changed)} changed, {len(self.removed)} removed, "
            f"{self.unchanged} unchanged, {self.waiting} still queued, {len(self.retried)} retried after "
            f"a failure, {len(self.errors)} rows with problems; {len(self.jobs)} jobs queued"
        )


def _digest(product: object) -> str:
    return hashlib.sha256(json.dumps(asdict(product), sort_keys=True).encode()).hexdigest()[:32]  # type: ignore[call-overload]


def feed_state(connection: redis.Redis, source: str, settings: QueueSettings) -> FeedState:
    return FeedState(connection, settings, hashlib.sha256(source.encode()).hexdigest()[:16])


def _to_send(feed: Feed, state: FeedState, report: SyncReport) -> list[tuple[Product, str]]:
    """The products whose current row is neither confirmed in the index nor waiting in the
    queue, sorting every product into the report."""
    confirmed = state.confirmed()
    pending = state.pending()
    send: list[tuple[Product, str]] = []
    for product in feed.products:
        digest = _digest(product)
        waiting = pending.get(product.id)
        if waiting is not None:
            outcome, reason = state.settle(product.id, waiting)
            if outcome == "confirmed":
                confirmed[product.id] = waiting.digest
            elif waiting.digest == digest:
                if outcome == "waiting":
                    report.waiting += 1
                    continue
                report.retried.append((product.id, reason or "unknown failure"))
                send.append((product, digest))
                continue
        old = confirmed.get(product.id)
        if old == digest:
            report.unchanged += 1
            continue
        (report.new if old is None and waiting is None else report.changed).append(product.id)
        send.append((product, digest))
    return send


def sync_feed(
    connection: redis.Redis,
    source: str,
    settings: QueueSettings,
    fetch: Fetcher | None = None,
) -> SyncReport:
    """Enqueue new and changed products of ``source`` and deletions for products it dropped.

    A product's version counts as synced only once its job has indexed it (workers/feed_state.py):
    an update whose image failed is sent again by the next sync, with the reason it failed, so
    no update is lost to a host that was down. A sync that stops halfway is finished by the
    next one. An image replaced at the same URL is not noticed (the feed's text is compared).
    """
    feed = parse_feed(read_feed(source, settings, fetch), source)
    state = feed_state(connection, source, settings)
    known = set(state.confirmed()) | set(state.pending())
    ingestion = Ingestion(connection, settings)
    report = SyncReport(
        source=source, errors=feed.errors, rows=feed.rows, products=len(feed.products),
        variants=feed.variants, duplicates=feed.duplicates,
        currencies=dict(Counter(p.currency for p in feed.products if p.currency)),
    )
    send = _to_send(feed, state, report)
    digests = {p.id: d for p, d in send}
    for job in ingestion.enqueue_many([p for p, _ in send]):
        report.jobs.append(job.id)
        for product_id, seq in job.args[0]:
            state.mark_pending(product_id, digests[product_id], seq, job.id)
    # A row with problems is not a removal: its product keeps its last good version.
    current = {p.id for p in feed.products}
    broken = {e.product_id for e in feed.errors if e.product_id}
    for product_id in sorted(known - current - broken):
        report.removed.append(product_id)
        report.jobs.append(ingestion.enqueue_delete(product_id).id)
        state.forget(product_id)
    log.info("%s", report.summary())
    return report


def scheduled_sync(source: str, every_s: int) -> dict[str, object]:
    """The RQ job behind ``vitrine sync --every``: sync now, then schedule the next run."""
    from workers.context import get_context

    ctx = get_context()
    try:
        report = sync_feed(ctx.redis, source, ctx.queue_settings)
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
