"""Workers: RQ jobs that embed incoming products, the worker, queueing, tagging and feed sync.

Names are imported on first use (PEP 562) so that importing a light part of the package
(``vitrine --help``, settings, filters) does not load torch or the Qdrant client."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lazy import lazy_exports

if TYPE_CHECKING:
    from settings.queue import QueueSettings
    from workers.context import WorkerContext, build_context, get_context, set_context
    from workers.jobs import IngestError, ingest_products
    from workers.queueing import Ingestion, failure_reason
    from workers.submissions import Submission, Submissions
    from workers.tagging import Prediction, Tagger
    from workers.worker import VitrineWorker, run_worker, start_thread_worker

_EXPORTS = {
    "QueueSettings": "settings.queue",
    "WorkerContext": "workers.context",
    "build_context": "workers.context",
    "get_context": "workers.context",
    "set_context": "workers.context",
    "IngestError": "workers.jobs",
    "ingest_products": "workers.jobs",
    "Ingestion": "workers.queueing",
    "failure_reason": "workers.queueing",
    "Submission": "workers.submissions",
    "Submissions": "workers.submissions",
    "Prediction": "workers.tagging",
    "Tagger": "workers.tagging",
    "VitrineWorker": "workers.worker",
    "run_worker": "workers.worker",
    "start_thread_worker": "workers.worker",
}

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


# Import an exported name from its module on first use, then keep it here.
__getattr__ = lazy_exports(__name__, _EXPORTS, globals())
