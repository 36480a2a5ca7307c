"""Indexing: products -> both embeddings -> batched, acknowledged upserts."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from encoder import Encoder, ImageDecodeError
from indexer.catalog import CatalogEntry, RowError
from indexer.ingest import Ready, content_hash, ready, to_points
from indexer.store.protocol import VectorStore


@dataclass
class IndexReport:
    """What an indexing run did."""

    indexed: int = 0
    unchanged: int = 0
    skipped: list[RowError] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def per_second(self) -> float:
        return (self.indexed + self.unchanged) / self.seconds if self.seconds else 0.0


def _read_image_bytes(entry: CatalogEntry, source: str) -> bytes | RowError:
    try:
        return Path(entry.product.image).read_bytes()
    except OSError as e:
        return RowError(source, entry.line, f"cannot read image: {e.strerror or e}", entry.product.id)


def index_entries(
    encoder: Encoder,
    store: VectorStore,
    entries: Sequence[CatalogEntry],
    *,
    source: str = "catalog",
    batch_size: int = 64,
    force: bool = False,
    progress: Callable[[int], None] | None = None,
    spec: str | None = None,
) -> IndexReport:
    """Embed and upsert ``entries`` in batches; each batch is durable before the next starts.

    Products already stored with the same content hash and model are left alone
    (unless ``force``), so re-running an import is cheap and changes nothing.
    Unreadable images are reported with their line and skipped. ``spec`` (how to load
    the encoder) is recorded with a new collection so that other processes can follow it.
    """
    report = IndexReport()
    started = time.perf_counter()
    store.ensure_collection(encoder.dim, encoder.model_id, spec)
    for start in range(0, len(entries), batch_size):
        batch = entries[start : start + batch_size]
        ids = [e.product.id for e in batch]
        existing = {} if force else {p.product_id: p.payload for p in store.get(ids)}
        todo: list[Ready] = []
        for entry in batch:
            raw = _read_image_bytes(entry, source)
            if isinstance(raw, RowError):
                report.skipped.append(raw)
                continue
            digest = content_hash(entry.product, raw)
            old = existing.get(entry.product.id)
            if old and old.get("content_hash") == digest and old.get("model") == encoder.model_id:
                report.unchanged += 1
                continue
            try:
                todo.append(ready(entry.product, raw))
            except ImageDecodeError as e:
                reason = str(e).replace("<bytes>", "image")
                report.skipped.append(RowError(source, entry.line, reason, entry.product.id))
        if todo:
            points = to_points(encoder, todo)
            store.upsert(points)
            report.indexed += len(points)
        if progress:
            progress(len(batch))
    report.seconds = time.perf_counter() - started
    return report
