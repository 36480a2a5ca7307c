"""Putting products on the ingestion queue and reading back what became of them."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

import redis
from rq import Queue, Retry
from rq.job import Job, JobStatus
from rq.registry import FailedJobRegistry, StartedJobRegistry

from indexer.schema import Product
from settings.queue import QueueSettings
from workers.serializer import SERIALIZER
from workers.submissions import Submissions

# The job functions by name: rq imports them in the worker, so the processes that only queue
# (the API, `vitrine ingest`, `vitrine jobs`, `vitrine doctor`) never load the model code.
INGEST_JOB = "workers.jobs.ingest_products"
DELETE_JOB = "workers.jobs.delete_product"

FAILURE_TTL_S = 30 * 24 * 3600  # failed jobs stay visible (and retryable) for a month
RESULT_TTL_S = 24 * 3600
CHUNK = 32  # products per job when many are enqueued at once: RQ's cost is per job


def _nonce() -> str:
    """Random part of a job id: RQ's job keys are global to a Redis, so two instances whose
    sequence numbers meet must not overwrite each other's jobs, and ids must not be guessable."""
    return secrets.token_hex(8)


class Ingestion:
    """The producer side of the pipeline: enqueue products, report jobs, retry failures."""

    def __init__(self, connection: redis.Redis, settings: QueueSettings | None = None) -> None:
        self.redis = connection
        self.settings = settings or QueueSettings()
        self.queue = Queue(self.settings.queue, connection=connection, serializer=SERIALIZER)
        self.submissions = Submissions(connection, self.settings.key_prefix)

    def _retry(self) -> Retry | None:
        s = self.settings
        return Retry(max=s.retries, interval=list(s.retry_backoff_s)) if s.retries > 0 else None

    def enqueue_many(
        self, products: Sequence[Product], chunk: int = CHUNK, owner: str | None = None
    ) -> list[Job]:
        """Store these versions and queue their ingestion, ``chunk`` products per job;
        ``owner`` (the submitting client) is kept with each job, see ``job_status``."""
        jobs = []
        for start in range(0, len(products), chunk):
            items = [(p.id, self.submissions.put(p).seq) for p in products[start : start + chunk]]
            first_id, first_seq = items[0]
            jobs.append(
                self.queue.enqueue(
                    INGEST_JOB,
                    items,
                    job_id=f"ingest-{first_seq}-{first_id}-{len(items)}-{_nonce()}",
                    retry=self._retry(),
                    job_timeout=self.settings.job_timeout_s,
                    failure_ttl=FAILURE_TTL_S,
                    result_ttl=RESULT_TTL_S,
                    description=f"ingest {len(items)} product(s) from {first_id}",
                    meta={"owner": owner} if owner else None,
                )
            )
        return jobs

    def enqueue(self, product: Product) -> Job:
        """Store this version of ``product`` and queue a job for it alone."""
        return self.enqueue_many([product])[0]

    def enqueue_delete(self, product_id: str) -> Job:
        """Queue the removal of a product (ordered after any earlier submission of it)."""
        seq = self.submissions.next_seq()
        return self.queue.enqueue(
            DELETE_JOB,
            product_id,
            seq,
            job_id=f"delete-{product_id}-{seq}-{_nonce()}",
            retry=self._retry(),
            failure_ttl=FAILURE_TTL_S,
            result_ttl=RESULT_TTL_S,
            description=f"delete product {product_id}",
        )

    def job_status(self, job_id: str, owner: str | None = None) -> dict[str, Any] | None:
        """``{"id", "status", "product_id", ...}`` with the reason for a failure; None if unknown,
        or (with ``owner``) when the job was submitted by someone else."""
        try:
            job = Job.fetch(job_id, connection=self.redis, serializer=SERIALIZER)
        except Exception:  # NoSuchJobError, or an id that is not a job key
            return None
        if job.origin != self.queue.name:  # another instance's job (RQ's job keys are global)
            return None
        if owner is not None and job.meta.get("owner") != owner:
            return None
        status = job.get_status(refresh=True)
        out: dict[str, Any] = {
            "id": job.id,
            "status": status.value if status else "unknown",
            "product_ids": _product_ids(job),
            "enqueued_at": job.enqueued_at.isoformat() if job.enqueued_at else None,
            "ended_at": job.ended_at.isoformat() if job.ended_at else None,
            "retries_left": job.retries_left,
        }
        if status == JobStatus.FAILED:
            out["reason"] = failure_reason(job)
        elif status == JobStatus.FINISHED:
            out["result"] = job.return_value()
        return out

    def failed(self, limit: int = 100) -> list[dict[str, Any]]:
        """Failed jobs, newest first, with their reasons."""
        registry = FailedJobRegistry(queue=self.queue)
        ids = registry.get_job_ids(0, limit - 1)
        return [s for s in (self.job_status(i) for i in ids) if s is not None]

    def failing(self, limit: int = 1000) -> list[dict[str, Any]]:
        """Products whose last try failed, with the reason, newest first: reported by the job at
        once, while its retries are still pending (``failed`` only lists jobs out of retries)."""
        return self.submissions.failures(limit)

    def retry(self, job_id: str) -> bool:
        """Put a failed job back on the queue; False if it is not in the failed registry."""
        registry = FailedJobRegistry(queue=self.queue)
        if job_id not in registry.get_job_ids():
            return False
        registry.requeue(job_id)
        return True

    def counts(self) -> dict[str, int]:
        """Jobs queued, running and failed."""
        return {
            "queued": self.queue.count,
            "started": StartedJobRegistry(queue=self.queue).count,
            "failed": FailedJobRegistry(queue=self.queue).count,
        }


def _product_ids(job: Job) -> list[str]:
    if job.func_name == INGEST_JOB and job.args:
        return [pid for pid, _ in job.args[0]]
    return [str(job.args[0])] if job.args else []


def failure_reason(job: Job) -> str:
    """The last line of a failed job's exception: the reason, without the traceback."""
    result = job.latest_result()
    text = (result.exc_string if result is not None else None) or job.exc_info or ""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    if not lines:
        return "unknown failure"
    last = lines[-1]
    # "workers.jobs.IngestError: cannot fetch ..." -> "cannot fetch ..."
    head, sep, rest = last.partition(": ")
    return rest if sep and "." in head and " " not in head else last
