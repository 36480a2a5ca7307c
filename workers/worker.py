"""The worker: an RQ worker that keeps the encoder loaded and runs ingestion jobs in-process.

Jobs run in the worker process itself (no fork per job): the encoder is loaded once,
and the embedded Qdrant Edge store, which one process owns at a time, stays open.
"""

from __future__ import annotations

import logging
import threading

from rq import Queue, SimpleWorker
from rq.job import Job
from rq.timeouts import TimerDeathPenalty

from workers.context import WorkerContext, set_context

log = logging.getLogger(__name__)

# A job whose worker died (SIGKILL, OOM, power loss) is declared abandoned this long after
# its timeout, then retried by whichever worker cleans the registries next.
HEARTBEAT_GRACE_S = 10
MAINTENANCE_INTERVAL_S = 15


class VitrineWorker(SimpleWorker):
    """A non-forking RQ worker with a short abandonment grace period."""

    def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
        return int(job.timeout or self.worker_ttl) + HEARTBEAT_GRACE_S


class ThreadWorker(VitrineWorker):
    """The same worker running in a background thread of a serving process.

    Signals belong to the main thread, so job timeouts use a timer instead of SIGALRM
    and the worker leaves the process's signal handlers alone.
    """

    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self) -> None:
        """The serving process keeps its own handlers."""


def make_worker(context: WorkerContext, cls: type[VitrineWorker] = VitrineWorker) -> VitrineWorker:
    queue = Queue(context.queue_settings.queue, connection=context.redis)
    return cls([queue], connection=context.redis, maintenance_interval=MAINTENANCE_INTERVAL_S)


def run_worker(context: WorkerContext, *, burst: bool = False, with_scheduler: bool = True) -> bool:
    """Work the ingestion queue in this process until stopped (or, with ``burst``, until empty)."""
    set_context(context)
    worker = make_worker(context)
    log.info("worker %s on queue %s, model %s", worker.name, context.queue_settings.queue,
             context.encoder.model_id)
    return worker.work(burst=burst, with_scheduler=with_scheduler, logging_level="WARNING")


def start_thread_worker(context: WorkerContext) -> tuple[threading.Thread, VitrineWorker]:
    """Run a worker in a daemon thread (the serving process with the embedded store does this)."""
    set_context(context)
    worker = make_worker(context, ThreadWorker)
    thread = threading.Thread(
        target=worker.work, kwargs={"with_scheduler": False, "logging_level": "WARNING"},
        name="vitrine-worker", daemon=True,
    )
    thread.start()
    return thread, worker
