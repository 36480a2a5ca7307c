"""Faults the pipeline must survive: a worker killed mid-job, Redis restarted with jobs queued."""

from __future__ import annotations

import dataclasses
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from rq import Queue
from rq.registry import FailedJobRegistry, StartedJobRegistry

from encoder import Encoder
from indexer import EdgeStore, Settings
from indexer.catalog import CatalogEntry
from tests.workers.conftest import media_copy
from workers import Ingestion, QueueSettings, build_context, set_context
from workers.worker import HEARTBEAT_GRACE_S, make_worker

REPO = Path(__file__).resolve().parents[2]
JOB_TIMEOUT_S = 3


def _worker_env(tmp_path: Path, model: Path, redis_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "VITRINE_DATA_DIR": str(tmp_path / "data"),
        "VITRINE_MODEL": str(model),
        "VITRINE_DEVICE": "cpu",
        "VITRINE_REDIS_URL": redis_url,
        "VITRINE_MEDIA_DIR": str(tmp_path / "media"),
        "VITRINE_JOB_TIMEOUT": str(JOB_TIMEOUT_S),
        "VITRINE_JOB_RETRIES": "3",
        "VITRINE_RETRY_BACKOFF": "0",
        "VITRINE_WORKER_BATCH": "4",
    }


def _vitrine(*args: str) -> list[str]:
    return [sys.executable, "-c", "from cli.main import main; main()", *args]


def test_worker_killed_mid_job_is_retried_and_indexes_once(
    tmp_path: Path,
    tiny_model_dir: Path,
    connection: redis.Redis,
    redis_url: str,
    catalog_entries: list[CatalogEntry],
    catalog_dir: Path,
) -> None:
    env = _worker_env(tmp_path, tiny_model_dir, redis_url)
    settings = QueueSettings.from_env(env)
    ingestion = Ingestion(connection, settings)
    products = [
        dataclasses.replace(e.product, image=media_copy(catalog_dir, settings.media_dir, e.product.id))
        for e in catalog_entries[:60]
    ]
    jobs = ingestion.enqueue_many(products)
    queue = Queue(settings.queue, connection=connection)
    started = StartedJobRegistry(queue=queue)

    log = tmp_path / "worker.log"
    with open(log, "wb") as out:
        first = subprocess.Popen(_vitrine("worker"), env=env, stdout=out, stderr=out)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and started.count == 0:
        assert first.poll() is None, log.read_text()[-2000:]
        time.sleep(0.02)
    assert started.count == 1, "the worker never started a job"
    first.send_signal(signal.SIGKILL)
    first.wait()
    abandoned = started.get_job_ids()
    assert len(abandoned) == 1 and queue.count < len(products)

    # The abandoned job is retried once its heartbeat has run out; a fresh worker does it.
    time.sleep(JOB_TIMEOUT_S + HEARTBEAT_GRACE_S + 1)
    second = subprocess.run(_vitrine("worker", "--burst"), env=env, capture_output=True, timeout=300)
    assert second.returncode == 0, second.stderr.decode()[-2000:]

    assert FailedJobRegistry(queue=queue).count == 0
    assert all(ingestion.job_status(j.id)["status"] == "finished" for j in jobs)  # type: ignore[index]
    store = EdgeStore(tmp_path / "data")
    try:
        assert store.count() == len(products)  # exactly once: uuid5 ids, nothing duplicated
        assert {p.product_id for p in store.get([p.id for p in products])} == {p.id for p in products}
    finally:
        store.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def aof_redis(tmp_path: Path) -> Iterator[tuple[str, callable]]:  # type: ignore[valid-type]
    """A private Redis with AOF persistence (fsync on every write), and a way to kill -9 and restart it."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is needed (make test installs it)")
    port = _free_port()
    workdir = tmp_path / "redis"
    workdir.mkdir()
    cmd = [
        binary,
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--dir",
        str(workdir),
        "--save",
        "",
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
    ]
    procs: list[subprocess.Popen] = []

    def start() -> None:
        procs.append(subprocess.Popen(cmd, stdout=subprocess.DEVNULL))
        client = redis.Redis(port=port)
        for _ in range(100):
            try:
                client.ping()
                client.close()
                return
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError("redis did not start")

    def crash_and_restart() -> None:
        procs[-1].send_signal(signal.SIGKILL)
        procs[-1].wait()
        start()

    start()
    yield f"redis://127.0.0.1:{port}/0", crash_and_restart
    for p in procs:
        p.kill()
        p.wait()


def test_queued_jobs_survive_a_redis_crash(
    tmp_path: Path,
    encoder: Encoder,
    aof_redis: tuple[str, callable],
    catalog_entries: list[CatalogEntry],  # type: ignore[valid-type]
    catalog_dir: Path,
) -> None:
    url, crash_and_restart = aof_redis
    settings = QueueSettings(redis_url=url, media_dir=tmp_path / "media", retries=1, retry_backoff_s=(0,))
    connection = redis.Redis.from_url(url)
    ingestion = Ingestion(connection, settings)
    products = [
        dataclasses.replace(e.product, image=media_copy(catalog_dir, settings.media_dir, e.product.id))
        for e in catalog_entries[:30]
    ]
    jobs = ingestion.enqueue_many(products, chunk=5)
    crash_and_restart()

    connection = redis.Redis.from_url(url)
    ingestion = Ingestion(connection, settings)
    assert ingestion.counts()["queued"] == len(jobs) == 6
    assert all(ingestion.submissions.get(p.id) is not None for p in products)
    store = EdgeStore(tmp_path / "data")
    context = build_context(
        Settings(data_dir=tmp_path / "data"),
        settings,
        encoder=encoder,
        store=store,
        connection=connection,
        fetch=lambda url: b"",
    )
    try:
        make_worker(context).work(burst=True, with_scheduler=False, logging_level="WARNING")
        assert all(ingestion.job_status(j.id)["status"] == "finished" for j in jobs)  # type: ignore[index]
        assert store.count() == len(products)
    finally:
        set_context(None)
        store.close()
    connection.close()
