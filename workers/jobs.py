"""RQ job functions: importable, module-level, taking ids (never live objects).

``ingest_products([(product_id, seq), ...])`` indexes those versions of submitted
products. When its batch has room and other ingestion jobs are waiting, it takes
their products with local photos (uploads; never remote images, which only their own job
fetches) along and embeds them together (a model runs far faster on a batch);
those jobs then find their products already indexed and finish at once. A product
that fails is left for its own job, so one poison input never sinks its batch-mates.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
from rq import Queue
from rq.job import Job
from rq.timeouts import BaseTimeoutException

from encoder import ImageDecodeError
from errors import VitrineError
from indexer.ingest import Ready, ready, to_points
from indexer.media_files import LocalImageRefused, is_url, media_file
from indexer.store.protocol import VectorStore
from workers.context import WorkerContext, get_context
from workers.serializer import SERIALIZER
from workers.submissions import Submission, Submissions
from workers.tagging import prediction_payload

log = logging.getLogger(__name__)

JOB_FUNC = "workers.jobs.ingest_products"


class IngestError(VitrineError):
    """A product that cannot be indexed; the message is the reason the storefront sees."""


def _image_location(ctx: WorkerContext, ref: str) -> str:
    """Where the photo is: a URL as given, a media name (an upload or an imported catalog
    photo) as its path inside the media dir. Any other path (a feed's ``/etc/...`` or
    ``../..``) is refused without touching the disk (indexer/media_files.py).

    Raises:
        IngestError: neither a URL nor a file of the media dir; the reason names no server path.
    """
    if is_url(ref):
        return ref
    try:
        return str(media_file(ctx.media_dir, ref))
    except LocalImageRefused as e:
        raise IngestError(str(e)) from None


def _image_bytes(ctx: WorkerContext, submission: Submission) -> bytes:
    ref = _image_location(ctx, submission.product.image)  # type: ignore[union-attr]
    if is_url(ref):
        try:
            return ctx.hosts.fetch(ref, ctx.fetch)
        except BaseTimeoutException:
            raise  # the job ran out of time: not this product's fault, and not to be caught here
        except Exception as e:  # the fetcher's errors carry the reason a person can act on
            raise IngestError(f"cannot fetch image {ref}: {e}") from e
    try:
        return Path(ref).read_bytes()
    except OSError as e:
        raise IngestError(f"cannot read the uploaded image {Path(ref).name}: {e.strerror or e}") from e


def _is_url(ref: str) -> bool:
    return ref.startswith(("http://", "https://"))


def _waiting_companions(ctx: WorkerContext, exclude: set[str], limit: int) -> list[Submission]:
    """Submissions whose ingestion jobs wait in the queue, to embed in the same batch."""
    if limit <= 0:
        return []
    queue = Queue(ctx.queue_settings.queue, connection=ctx.redis, serializer=SERIALIZER)
    found: dict[str, Submission] = {}
    for job in Job.fetch_many(queue.get_job_ids(0, limit), connection=ctx.redis, serializer=SERIALIZER):
        if job is None or job.func_name != JOB_FUNC or len(job.args) != 1:
            continue
        for product_id, seq in job.args[0]:
            if product_id in exclude or product_id in found:
                continue
            submission = ctx.submissions.get(product_id)
            current = submission is not None and submission.seq == seq and submission.product is not None
            if current and _is_url(submission.product.image):  # type: ignore[union-attr]
                # A job fetches only its own products' images: a waiting product's failing
                # image would otherwise be fetched again by every job that picks it up.
                continue
            if current and ctx.submissions.done_seq(product_id) < seq:
                found[product_id] = submission  # type: ignore[assignment]
            if len(found) >= limit:
                return list(found.values())
    return list(found.values())


def index_submissions(ctx: WorkerContext, submissions: list[Submission]) -> dict[str, str | None]:
    """Embed, tag and upsert submissions together; product id -> None (indexed) or the failure."""
    outcome: dict[str, str | None] = {}
    items: list[Ready] = []
    seqs: list[int] = []
    for sub in submissions:
        product = sub.product
        assert product is not None  # deletions never reach here
        try:
            items.append(ready(product, _image_bytes(ctx, sub)))
            seqs.append(sub.seq)
        except (IngestError, ImageDecodeError) as e:
            outcome[product.id] = str(e).replace("<bytes>", "the image")
    if items:
        view = ctx.index.current()  # one model and collection for the whole batch
        products = [item.product for item in items]

        def tags(image_vectors: np.ndarray, text_vectors: np.ndarray) -> list[dict[str, Any]]:
            predictions = ctx.tagger_for(view.encoder).predict(
                products, image_vectors, text_vectors, min_confidence=ctx.queue_settings.tag_min_confidence
            )
            return [{"image": _image_location(ctx, p.image), **prediction_payload(predictions[i])}
                    for i, p in enumerate(products)]

        points = to_points(view.encoder, items, extra=tags, versions=seqs)
        ctx.ensure_collection(view.encoder, view.store)  # the first write creates the collection
        # Waits for the write: a job only succeeds once its product is durably stored.
        view.store.upsert_versioned(points)
        for item, seq in zip(items, seqs, strict=True):
            ctx.submissions.mark_done(item.product.id, seq)
            outcome[item.product.id] = None
    return outcome


def ingest_products(items: list[tuple[str, int]]) -> dict[str, object]:
    """Index the given versions ``[(product_id, seq), ...]`` of submitted products (the RQ job).

    Products already indexed at that version (by an earlier try, or in another job's
    batch) are skipped, so a retry only redoes what failed.

    Raises:
        IngestError: some products cannot be indexed (unreadable image, unreachable URL); the
            message names each with its reason. RQ retries the job with backoff, then keeps it
            in the failed registry; the job's other products are indexed all the same.
    """
    ctx = get_context()
    status: dict[str, str] = {}
    todo: list[Submission] = []
    for product_id, seq in items:
        submission = ctx.submissions.get(product_id)
        if submission is None:
            status[product_id] = "missing"
        elif submission.seq > seq:
            status[product_id] = "superseded"  # a later submission, or a deletion
        elif submission.product is None:
            status[product_id] = "deleted"
        elif ctx.submissions.done_seq(product_id) >= seq:
            status[product_id] = "already indexed"  # by an earlier try, or in another job's batch
        else:
            todo.append(submission)
    failures: dict[str, str] = {
        pid: "no submission is stored for it" for pid, s in status.items() if s == "missing"
    }
    if todo:
        room = ctx.queue_settings.batch_size - len(todo)
        todo_ids = [pid for pid, _ in items if pid not in status]
        companions = _waiting_companions(ctx, set(todo_ids), room)
        outcome = index_submissions(ctx, [*todo, *companions])
        for pid in todo_ids:
            reason = outcome[pid]
            status[pid] = "indexed" if reason is None else "failed"
            if reason is not None:
                failures[pid] = reason
        seqs = dict(items)
        for pid, reason in outcome.items():
            if reason is None:
                ctx.submissions.clear_failure(pid)
            elif pid in seqs:
                ctx.submissions.record_failure(pid, seqs[pid], reason)
        log.info("indexed %d products (%d from waiting jobs)", len(outcome), len(companions))
    if failures:
        raise IngestError(
            f"{len(failures)} of {len(items)} products failed: "
            + "; ".join(f"{pid}: {reason}" for pid, reason in list(failures.items())[:20])
        )
    return {"products": status}


def remove_product(
    submissions: Submissions, store: VectorStore, product_id: str, seq: int
) -> dict[str, object]:
    """Remove version ``seq`` of a product from the store: every deletion (a feed dropping a
    product, DELETE /products/{id}) goes through here. A submission newer than the deletion wins:
    the product was re-added after it was dropped."""
    submission = submissions.get(product_id)
    if submission is not None and submission.seq > seq:
        return {"product_id": product_id, "status": "superseded", "by_seq": submission.seq}
    store.delete([product_id])
    submissions.mark_done(product_id, seq)
    submissions.clear_failure(product_id)  # a removed product's last failure no longer matters
    return {"product_id": product_id, "status": "deleted"}


def delete_product(product_id: str, seq: int) -> dict[str, object]:
    """Remove a product (the RQ job a feed sync queues for products it no longer lists)."""
    ctx = get_context()
    return remove_product(ctx.submissions, ctx.store, product_id, seq)


def reindex_collection(spec: str) -> dict[str, object]:
    """Re-embed the whole collection with the model ``spec`` and switch to it (the RQ job behind
    ``vitrine reindex --queue``; it runs in the worker that owns the store)."""
    from encoder import load_encoder
    from indexer.reindex import reindex

    ctx = get_context()
    encoder = load_encoder(spec, ctx.settings.device, ctx.settings.torch_threads, ctx.settings.text_int8,
                           ctx.settings.image_int8)
    report = reindex(ctx.index, encoder, spec, fetch=ctx.fetch)
    return {
        "source": report.source,
        "target": report.target,
        "model": report.model,
        "copied": report.copied,
        "caught_up": report.caught_up,
        "skipped": report.skipped[:100],
        "seconds": round(report.seconds, 1),
    }
