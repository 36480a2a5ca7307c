"""Ingestion through the queue: throughput, time to searchable, and no lost products under faults.

    python -m benchmarks.ingest_load --catalog ../shared/catalog [--model SPEC] [--limit N]
        [--threads 1 2] [--faults 5000] [--json OUT]

Runs against the real Redis (database 13 by default, flushed first: never point it at a
production database) and a fresh embedded store in a temporary data directory.

1. Throughput: the catalog is enqueued at once and worked by one ``vitrine worker``
   process with 1, then 2, worker threads (the embedded store belongs to one process).
   Reported: products/s over the whole drain, and the time from enqueue to indexed
   (the job finishes only once its upsert is durable, so this is "202 to searchable")
   as p50/p95.
2. Faults: N submissions (catalog products, resubmitted round-robin with new titles so
   the same ids come back), of which ~2% have an undecodable image and ~1% an
   unreachable image URL; the worker process is killed with SIGKILL twice mid-run and
   restarted. Reported: submissions acknowledged, products searchable with their
   latest version, jobs failed with a reason, and acknowledged products that are in
   neither state (lost: the goal is 0).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import redis

from benchmarks.local_redis import private_redis
from benchmarks.results import write_json
from indexer import EdgeStore, Product, read_catalog
from workers import Ingestion, QueueSettings
from workers.worker import HEARTBEAT_GRACE_S

JOB_TIMEOUT_S = 20


def worker_env(data_dir: Path, media_dir: Path, model: str | None, redis_url: str) -> dict[str, str]:
    env = {
        **os.environ,
        "VITRINE_DATA_DIR": str(data_dir),
        "VITRINE_MEDIA_DIR": str(media_dir),
        "VITRINE_REDIS_URL": redis_url,
        "VITRINE_JOB_TIMEOUT": str(JOB_TIMEOUT_S),
        "VITRINE_JOB_RETRIES": "2",
        "VITRINE_RETRY_BACKOFF": "1",
    }
    if model:
        env["VITRINE_MODEL"] = model
    return env


def start_worker(env: dict[str, str], threads: int, log: Path) -> subprocess.Popen:
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, "-c", "from cli.main import main; main()", "worker", "--threads", str(threads)],
            env=env,
            stdout=out,
            stderr=out,
        )


def wait_drained(ingestion: Ingestion, job_ids: list[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    pending = set(job_ids)
    while pending and time.monotonic() < deadline:
        statuses = {j: ingestion.job_status(j) for j in list(pending)[:3000]}
        pending -= {j for j, s in statuses.items() if s is None or s["status"] in ("finished", "failed")}
        time.sleep(0.5)
    if pending:
        raise TimeoutError(f"{len(pending)} jobs still pending after {timeout:.0f} s")


def latencies(connection: redis.Redis, job_ids: list[str]) -> list[float]:
    from rq.job import Job

    out = []
    for job in Job.fetch_many(job_ids, connection=connection):
        if job is not None and job.enqueued_at and job.ended_at:
            out.append((job.ended_at - job.enqueued_at).total_seconds())
    return out


def throughput(
    products: list[Product], threads: int, model: str | None, workdir: Path, connection: redis.Redis
) -> dict:
    connection.flushdb()
    data_dir = workdir / f"data-{threads}"
    env = worker_env(data_dir, workdir / "media", model, redis_url(connection))
    ingestion = Ingestion(connection, QueueSettings.from_env(env))
    worker = start_worker(env, threads, workdir / "worker.log")
    time.sleep(1)
    try:
        started = time.perf_counter()
        job_ids = [job.id for job in ingestion.enqueue_many(products)]
        wait_drained(ingestion, job_ids, timeout=3600)
        elapsed = time.perf_counter() - started
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
    lat = latencies(connection, job_ids)
    failed = ingestion.counts()["failed"]
    return {
        "threads": threads,
        "products": len(products),
        "failed": failed,
        "seconds": round(elapsed, 1),
        "products_per_s": round(len(products) / elapsed, 1),
        "to_searchable_p50_s": round(float(np.percentile(lat, 50)), 2),
        "to_searchable_p95_s": round(float(np.percentile(lat, 95)), 2),
    }


def faults(
    products: list[Product], n: int, model: str | None, workdir: Path, connection: redis.Redis, seed: int
) -> dict:
    connection.flushdb()
    rng = random.Random(seed)
    data_dir = workdir / "data-faults"
    media = workdir / "media"
    (media / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    env = worker_env(data_dir, media, model, redis_url(connection))
    ingestion = Ingestion(connection, QueueSettings.from_env(env))
    latest: dict[str, Product] = {}
    poisoned: set[str] = set()
    job_ids = []
    worker = start_worker(env, 1, workdir / "worker.log")
    kills = {n // 3, 2 * n // 3}
    pool = products[: max(1, n // 2)]  # every product comes about twice: later versions must win
    for i in range(n):
        base = pool[i % len(pool)]
        roll = rng.random()
        image = base.image
        if roll < 0.02:
            image = str(media / "broken.jpg")
        elif roll < 0.03:
            image = "http://127.0.0.1:9/unreachable.jpg"
        product = dataclasses.replace(base, title=f"{base.title} v{i}", image=image)
        job_ids.append(ingestion.enqueue(product).id)
        latest[product.id] = product
        if image != base.image:
            poisoned.add(product.id)
        else:
            poisoned.discard(product.id)
        if i in kills:
            time.sleep(2)  # let it get into a job
            worker.send_signal(signal.SIGKILL)
            worker.wait()
            time.sleep(JOB_TIMEOUT_S + HEARTBEAT_GRACE_S + 1)  # until the job counts as abandoned
            worker = start_worker(env, 1, workdir / "worker.log")
    try:
        wait_drained(ingestion, job_ids, timeout=3600)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
    store = EdgeStore(data_dir)
    stored = {p.product_id: p.payload for p in store.get(list(latest))}
    store.close()
    failed_products = {pid for f in ingestion.failed(limit=100_000) for pid in f["product_ids"]}
    current = {pid for pid, p in latest.items() if stored.get(pid, {}).get("title") == p.title}
    lost = [pid for pid in latest if pid not in current and pid not in failed_products]
    return {
        "submissions": n,
        "distinct_products": len(latest),
        "latest_version_searchable": len(current),
        "latest_version_poisoned": len(poisoned),
        "products_with_a_failed_job": len(failed_products),
        "failed_jobs_with_reason": sum(1 for f in ingestion.failed(limit=100_000) if f.get("reason")),
        "worker_kills": len(kills),
        "lost": len(lost),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--catalog", required=True, type=Path)
    parser.add_argument("--model", default=None)
    parser.add_argument("--limit", type=int, default=0, help="products for the throughput runs (0: all)")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--faults", type=int, default=5000, help="submissions in the fault run (0: skip)")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    with private_redis() as url:
        return _run(args, redis.Redis.from_url(url))


def redis_url(connection: redis.Redis) -> str:
    """The URL the worker processes use to reach the benchmark's own Redis."""
    kwargs = connection.connection_pool.connection_kwargs
    return f"redis://{kwargs['host']}:{kwargs['port']}/{kwargs.get('db', 0)}"


def _run(args: argparse.Namespace, connection: redis.Redis) -> dict:
    products = read_catalog(args.catalog).products
    if args.limit:
        products = products[: args.limit]
    results: dict = {"throughput": [], "faults": None}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        (workdir / "media").mkdir()
        for threads in args.threads:
            row = throughput(products, threads, args.model, workdir, connection)
            results["throughput"].append(row)
            print(json.dumps(row), flush=True)
        if args.faults:
            results["faults"] = faults(products, args.faults, args.model, workdir, connection, args.seed)
            print(json.dumps(results["faults"]), flush=True)
    connection.flushdb()
    print("\n| worker threads | products | seconds | products/s | enqueue -> searchable p50 | p95 |")
    print("|---|---|---|---|---|---|")
    for r in results["throughput"]:
        print(
            f"| {r['threads']} | {r['products']} | {r['seconds']} | {r['products_per_s']} | "
            f"{r['to_searchable_p50_s']} s | {r['to_searchable_p95_s']} s |"
        )
    write_json(args.json, results)
    return results


if __name__ == "__main__":
    main()
