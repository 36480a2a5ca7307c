"""Workers: RQ jobs that embed incoming products, the worker, queueing, tagging and feed sync."""

from settings.queue import QueueSettings
from workers.context import WorkerContext, build_context, get_context, set_context
from workers.jobs import IngestError, ingest_products
from workers.queueing import Ingestion, failure_reason
from workers.submissions import Submission, Submissions
from workers.tagging import Prediction, Tagger
from workers.worker import VitrineWorker, run_worker, start_thread_worker

__all__ = [
    "IngestError",
    "Ingestion",
    "Prediction",
    "QueueSettings",
    "Submission",
    "Submissions",
    "Tagger",
    "VitrineWorker",
    "WorkerContext",
    "build_context",
    "failure_reason",
    "get_context",
    "ingest_products",
    "run_worker",
    "set_context",
    "start_thread_worker",
]
