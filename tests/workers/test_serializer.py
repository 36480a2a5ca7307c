"""Jobs are JSON in Redis: a pickled job planted there is never unpickled, so writing to Redis
is not a way to run code in the workers (issue 20)."""

from __future__ import annotations

import json
import pickle
import zlib
from pathlib import Path

import redis
from rq import Queue

from workers import Ingestion, WorkerContext
from workers.worker import make_worker


class Planted:
    """Unpickling this object touches ``marker``: the code an attacker would run."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[Path]]:
        return (Path.touch, (self.marker,))


def test_jobs_are_stored_as_json(ingestion: Ingestion, connection: redis.Redis) -> None:
    from indexer import Product

    job = ingestion.enqueue(Product(id="J1", title="x", image="j1.jpg"))
    data = zlib.decompress(connection.hget(f"rq:job:{job.id}", "data"))  # type: ignore[arg-type]
    assert json.loads(data)[0] == "workers.jobs.ingest_products"


def test_a_pickled_job_planted_in_redis_runs_nothing(
    context: WorkerContext, connection: redis.Redis, tmp_path: Path
) -> None:
    marker = tmp_path / "owned"
    # A job put on the ingestion queue the way RQ's default (pickle) would, then its payload
    # swapped for one that runs code when unpickled.
    planted = Queue(context.queue_settings.queue, connection=connection).enqueue("os.getpid")
    connection.hset(f"rq:job:{planted.id}", "data", zlib.compress(pickle.dumps((Planted(marker),))))
    make_worker(context).work(burst=True, with_scheduler=False, logging_level="CRITICAL")
    assert not marker.exists()
