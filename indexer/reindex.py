"""Re-embedding a collection with another model while the old one keeps serving."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from encoder import Encoder, ImageDecodeError
from indexer.ingest import Ready, ready, to_points
from indexer.live import LiveIndex
from indexer.schema import Product
from indexer.store.protocol import VERSION_FIELD, StoredPoint, VectorStore

log = logging.getLogger(__name__)

Fetcher = Callable[[str], bytes]


@dataclass
class ReindexReport:
    """What a re-index did."""

    source: str
    target: str
    model: str
    copied: int = 0
    caught_up: int = 0
    deleted: int = 0
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0
    reused_vectors: bool = False  # the same model: vectors copied, not recomputed


def _signature(payload: dict) -> tuple:
    """What changes when a product is re-submitted or edited."""
    return (payload.get("content_hash"), payload.get(VERSION_FIELD), payload.get("price"))


def _image_bytes(ref: str, fetch: Fetcher | None) -> bytes:
    if ref.startswith(("http://", "https://")):
        if fetch is None:
            raise OSError("no fetcher for image URLs")
        return fetch(ref)
    return Path(ref).read_bytes()


def _reembed(
    encoder: Encoder, points: list[StoredPoint], fetch: Fetcher | None, report: ReindexReport
) -> list[StoredPoint]:
    if report.reused_vectors:
        # The same model: the stored vectors are still right and only the collection around
        # them is new (the keyword vector, computed on upsert), so they are copied.
        kept = [StoredPoint(p.product_id, p.payload, p.image, p.text) for p in points
                if p.image is not None and p.text is not None]
        missing = [p for p in points if p.image is None or p.text is None]
        return kept + (_embed(encoder, missing, fetch, report) if missing else [])
    return _embed(encoder, points, fetch, report)


def _embed(
    encoder: Encoder, points: list[StoredPoint], fetch: Fetcher | None, report: ReindexReport
) -> list[StoredPoint]:
    items: list[Ready] = []
    for p in points:
        product = Product.from_payload(p.payload)
        try:
            items.append(ready(product, _image_bytes(product.image, fetch), p.payload))
        except (OSError, ImageDecodeError, ValueError) as e:
            report.skipped.append(f"{p.product_id}: {e}")
    return to_points(encoder, items)


def _catch_up(
    source: VectorStore,
    target: VectorStore,
    encoder: Encoder,
    copied: dict[str, tuple],
    fetch: Fetcher | None,
    report: ReindexReport,
    batch_size: int,
) -> int:
    """Bring ``target`` level with ``source``: re-embed what changed, drop what disappeared."""
    seen: set[str] = set()
    changed = 0
    for batch in source.scroll(batch_size, with_vectors=report.reused_vectors):
        seen.update(p.product_id for p in batch)
        stale = [p for p in batch if copied.get(p.product_id) != _signature(p.payload)]
        points = _reembed(encoder, stale, fetch, report)
        # Versioned where the pipeline gave a version: a newer write already in the target
        # (made after the switch) must not be overwritten by an older one from the source.
        target.upsert_versioned([p for p in points if VERSION_FIELD in p.payload])
        target.upsert([p for p in points if VERSION_FIELD not in p.payload])
        for p in stale:
            copied[p.product_id] = _signature(p.payload)
        changed += len(points)
    gone = sorted(set(copied) - seen)
    target.delete(gone)
    for product_id in gone:
        copied.pop(product_id)
    report.deleted += len(gone)
    return changed


def reindex(
    live: LiveIndex,
    encoder: Encoder,
    spec: str,
    *,
    fetch: Fetcher | None = None,
    batch_size: int = 64,
    progress: Callable[[int], None] | None = None,
) -> ReindexReport:
    """Build a new collection with ``encoder`` from the serving one, then switch to it.

    With the collection's own model, the vectors are copied rather than recomputed: that
    rebuilds a collection made by an older Vitrine with what a new one has (the keyword
    vector). The old collection keeps answering throughout. Writes that land in it while the
    copy runs are caught up before the switch, and once more after it (writers move
    to the new collection at the switch), so nothing acknowledged is left behind.
    The old collection is kept, for rollback, until it is dropped by hand.
    """
    started = time.perf_counter()
    old = live.current()
    target = f"{old.store.name}-{encoder.identity.checksum[:8]}-{int(time.time())}"
    report = ReindexReport(source=old.store.physical, target=target, model=encoder.model_id,
                           reused_vectors=old.store.info().model == encoder.model_id)
    new_store = old.store.sibling(target)
    new_store.ensure_collection(encoder.dim, encoder.model_id, spec)
    copied: dict[str, tuple] = {}
    for batch in old.store.scroll(batch_size, with_vectors=report.reused_vectors):
        points = _reembed(encoder, batch, fetch, report)
        new_store.upsert(points)
        for p in batch:
            copied[p.product_id] = _signature(p.payload)
        report.copied += len(points)
        if progress:
            progress(len(batch))
    report.caught_up += _catch_up(old.store, new_store, encoder, copied, fetch, report, batch_size)
    new_store.optimize()
    old.store.switch_alias(target)
    live.swap(encoder, new_store)
    report.caught_up += _catch_up(old.store, new_store, encoder, copied, fetch, report, batch_size)
    report.seconds = time.perf_counter() - started
    log.info(
        "re-indexed %s -> %s: %d copied, %d caught up", report.source, target, report.copied, report.caught_up
    )
    return report
