"""The worker: an RQ worker that keeps the encoder loaded and runs ingestion jobs in-process.

Jobs run in the worker process itself (no fork per job): the encoder is loaded once,
and the embedded Qdrant Edge store, which one process owns at a time, stays open.
"""

from __future__ import annotations

import logging
import threading

from rq import Queue, SimpleWorker
from rq.defaults import DEFAULT_LOGGING_DATE_FORMAT, DEFAULT_LOGGING_FORMAT
from rq.job import Job
from rq.scheduler import RQScheduler
from rq.timeouts import TimerDeathPenalty

from workers.context import WorkerContext, set_context
from workers.serializer import SERIALIZER

log = logging.getLogger(__name__)

# A job whose worker died (SIGKILL, OOM, power loss) is declared abandoned this long after
# its timeout, then retried by whichever worker cleans the registries next.
HEARTBEAT_GRACE_S = 10
MAINTENANCE_INTERVAL_S = 15


class ThreadScheduler(RQScheduler):
    """RQ's scheduler (it moves retries whose backoff has elapsed back onto the queue) in a
    thread. RQ forks it into a process of its own, and a fork inherits the embedded store's
    file lock: killed together with the worker, the orphan would keep the store locked."""

    def _install_signal_handlers(self) -> None:
        """Signals stay with the worker's main thread."""

    def start(self) -> threading.Thread:
        self._status = self.Status.STARTED
        thread = threading.Thread(target=self._run, name="rq-scheduler", daemon=True)
        # rq declares _process for a child process; the worker only asks it is_alive() and join().
        self._process = thread  # type: ignore[assignment]  # a thread stands in for the process
        thread.start()
        return thread

    def _run(self) -> None:
        try:
            self.work()
        except Exception:  # a dead scheduler is restarted by the worker's maintenance
            log.exception("the scheduler thread stopped")


class VitrineWorker(SimpleWorker):
    """A non-forking RQ worker with a short abandonment grace period and a threaded scheduler."""

    def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
        return int(job.timeout or self.worker_ttl) + HEARTBEAT_GRACE_S

    def _start_scheduler(
        self,
        burst: bool = False,
        logging_level: str | None = "INFO",
        date_format: str = DEFAULT_LOGGING_DATE_FORMAT,
        log_format: str = DEFAULT_LOGGING_FORMAT,
    ) -> None:
        self.scheduler = ThreadScheduler(
            self.queues,
            connection=self.connection,
            logging_level=logging_level if logging_level is not None else self.log.level,
            date_format=date_format,
            log_format=log_format,
            serializer=self.serializer,
        )
        self.scheduler.acquire_locks()
        if not self.scheduler.acquired_locks:
            return  # another worker's scheduler serves this queue
        if burst:
            try:
                self.scheduler.register_birth()
                self.scheduler.enqueue_scheduled_jobs()
            finally:
                self.scheduler.release_locks()
                self.scheduler.register_death()
        else:
            self.scheduler.start()

    def stop_scheduler(self) -> None:
        if self.scheduler is None:
            return
        self.scheduler.request_stop()
        if isinstance(self.scheduler._process, threading.Thread):
            self.scheduler._process.join(timeout=5)


class ThreadWorker(VitrineWorker):
    """The same worker running in a background thread of a serving process.

    Signals belong to the main thread, so job timeouts use a timer instead of SIGALRM
    and the worker leaves the process's signal handlers alone.
    """

    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self) -> None:
        """The serving process keeps its own handlers."""


def make_worker(context: WorkerContext, cls: type[VitrineWorker] = VitrineWorker) -> VitrineWorker:
    """A worker on the ingestion queue whose jobs use ``context`` (installed for this process)."""
    set_context(context)
    queue = Queue(context.queue_settings.queue, connection=context.redis, serializer=SERIALIZER)
    return cls([queue], connection=context.redis, maintenance_interval=MAINTENANCE_INTERVAL_S,
               serializer=SERIALIZER)


def run_worker(context: WorkerContext, *, burst: bool = False, with_scheduler: bool = True) -> bool:
    """Work the ingestion queue in this process until stopped (or, with ``burst``, until empty)."""
    worker = make_worker(context)
    log.info("worker %s on queue %s, model %s", worker.name, context.queue_settings.queue,
             context.encoder.model_id)
    return worker.work(burst=burst, with_scheduler=with_scheduler, logging_level="WARNING")


def start_thread_worker(context: WorkerContext) -> tuple[threading.Thread, VitrineWorker]:
    """Run a worker in a daemon thread (the serving process with the embedded store does this)."""
    worker = make_worker(context, ThreadWorker)
    thread = threading.Thread(
        target=worker.work, kwargs={"with_scheduler": True, "logging_level": "WARNING"},
        name="vitrine-worker", daemon=True,
    )
    thread.start()
    return thread, worker
