"""Two Vitrine instances (collections) on one Redis: neither takes the other's jobs or reads
the other's keys."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import redis

from indexer.catalog import CatalogEntry
from tests.workers.conftest import media_copy
from workers import Ingestion, QueueSettings, WorkerContext
from workers.submissions import Submissions
from workers.worker import make_worker


def test_the_queue_and_keys_are_named_after_the_collection() -> None:
    default = QueueSettings()
    assert (default.queue, default.key_prefix) == ("vitrine-ingest", "vitrine:")  # existing deployments
    other = QueueSettings.from_env({"VITRINE_COLLECTION": "shop-b"})
    assert (other.queue, other.key_prefix) == ("vitrine-ingest-shop-b", "vitrine:shop-b:")
    chosen = QueueSettings.from_env({"VITRINE_QUEUE": "q", "VITRINE_REDIS_PREFIX": "mine:"})
    assert (chosen.queue, chosen.key_prefix) == ("q", "mine:")


def test_two_instances_on_one_redis_never_share_jobs_or_keys(
    context: WorkerContext, connection: redis.Redis, redis_url: str, tmp_path: Path,
    catalog_entries: list[CatalogEntry], catalog_dir: Path,
) -> None:
    a, b = (QueueSettings(redis_url=redis_url, collection=name, media_dir=context.media_dir, retries=0)
            for name in ("shop-a", "shop-b"))
    first = catalog_entries[0].product
    product = dataclasses.replace(first, image=media_copy(catalog_dir, context.media_dir, first.id))
    ingest_a, ingest_b = Ingestion(connection, a), Ingestion(connection, b)
    job_a = ingest_a.enqueue(product)
    job_b = ingest_b.enqueue(dataclasses.replace(product, title="shop b's own title"))

    # Each instance sees its own job only, by id as well as in its counts.
    assert ingest_a.job_status(job_b.id) is None and ingest_b.job_status(job_a.id) is None
    assert ingest_a.counts()["queued"] == 1 and ingest_b.counts()["queued"] == 1

    # A's worker works A's queue and leaves B's job alone.
    own = Submissions(connection, a.key_prefix)
    worker_a = dataclasses.replace(context, queue_settings=a, submissions=own)
    make_worker(worker_a).work(burst=True, with_scheduler=False, logging_level="WARNING")
    assert ingest_a.job_status(job_a.id)["status"] == "finished"  # type: ignore[index]
    assert ingest_b.job_status(job_b.id)["status"] == "queued"  # type: ignore[index]
    assert context.store.get([product.id])[0].payload["title"] == product.title

    # Every key either instance wrote is under its own prefix, and versions do not mix.
    keys = {k.decode() for k in connection.keys("vitrine*")}
    assert keys and all(k.startswith(("vitrine:shop-a:", "vitrine:shop-b:")) for k in keys), keys
    titles = [Submissions(connection, s.key_prefix).get(product.id).product.title  # type: ignore[union-attr]
              for s in (a, b)]
    assert titles == [product.title, "shop b's own title"]
