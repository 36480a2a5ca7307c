"""Queue and ingestion settings, read from the environment once (``VITRINE_*``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from settings.env import environ, read_env
from settings.shared import shared_values


def redis_prefix(collection: str) -> str:
    """The Redis key prefix of an instance serving ``collection`` when VITRINE_REDIS_PREFIX is
    unset: ``vitrine:`` for ``products`` (the names existing deployments have), else
    ``vitrine:{collection}:``. The API's keys (embedding cache, analytics, shopper profiles,
    rate limits) and the pipeline's live under it."""
    return "vitrine:" if collection == "products" else f"vitrine:{collection}:"


@dataclass(frozen=True, kw_only=True)
class QueueSettings:
    """Every tunable of the ingestion pipeline. Environment variable in brackets."""

    redis_url: str = "redis://127.0.0.1:6379/0"
    """Redis holding the RQ queue and submissions (VITRINE_REDIS_URL, read by settings.shared)."""
    queue: str = ""
    """RQ queue name; empty: derived from the collection, see ``key_prefix`` [VITRINE_QUEUE]."""
    media_dir: Path = Path("data/media")
    """Where uploaded product images are stored [VITRINE_MEDIA_DIR]."""
    job_timeout_s: int = 120
    """Longest one ingestion job may run before it is killed and retried [VITRINE_JOB_TIMEOUT]."""
    retries: int = 3
    """Retries of a failed job before it lands in the failed registry [VITRINE_JOB_RETRIES]."""
    retry_backoff_s: tuple[int, ...] = (2, 10, 30)
    """Wait before each retry, seconds, comma-separated [VITRINE_RETRY_BACKOFF]."""
    batch_size: int = 32
    """Waiting products a worker embeds together in one batch [VITRINE_WORKER_BATCH]."""
    tag_min_confidence: float = 0.0
    """Predicted attributes below this confidence are not stored [VITRINE_TAG_MIN_CONFIDENCE]."""
    tag_head_fields: tuple[str, ...] = ("occasion", "sub_category")
    """Tagged fields (occasion, colour, sub_category) predicted by the model's attribute heads
    where the model ships them (``vitrine train --heads``), comma-separated; zero-shot prompts
    for the others and for models without heads; ``none``: prompts only [VITRINE_TAG_HEADS]."""
    fetch_timeout_s: float = 5.0
    """Timeout for fetching a product's image_url (VITRINE_FETCH_TIMEOUT, read by settings.shared)."""
    fetch_max_bytes: int = 8 * 1024 * 1024
    """Largest product image fetched from a URL (VITRINE_FETCH_MAX_BYTES, read by settings.shared)."""
    fetch_allow_hosts: tuple[str, ...] = ()
    """Image hosts on a private network that fetches may reach (an internal CDN): exact host
    names or CIDRs, comma-separated; every other private address stays refused
    [VITRINE_FETCH_ALLOW_HOSTS]."""
    feed_max_bytes: int = 256 * 1024 * 1024
    """Largest feed `vitrine sync` reads, from a file or a URL (all pages together)
    [VITRINE_FEED_MAX_BYTES]."""
    host_failures: int = 3
    """Host-level image fetch failures in a row (no answer, refused, 5xx) after which the host
    is skipped [VITRINE_HOST_FAILURES]."""
    host_cooldown_s: float = 60.0
    """How long a failing image host is skipped; its products fail at once meanwhile
    [VITRINE_HOST_COOLDOWN]."""
    host_concurrency: int = 4
    """Concurrent image fetches from one host per worker process [VITRINE_HOST_CONCURRENCY]."""
    embedded_workers: int = 1
    """Ingestion workers inside each API process when the store is embedded (it belongs to the
    serving processes); 0 turns them off. Ignored with QDRANT_URL: run `vitrine worker`
    [VITRINE_EMBEDDED_WORKERS]."""

    # Namespacing: several instances (collections) on one Redis never take each other's jobs
    # or read each other's keys.
    collection: str = "products"
    """The collection this instance serves; names its queue and keys
    (VITRINE_COLLECTION, read by settings.shared)."""
    key_prefix: str = ""
    """Prefix of the pipeline's Redis keys; empty: ``vitrine:`` for the collection ``products``
    (the names existing deployments already have) and ``vitrine:{collection}:`` for any other;
    the queue is then ``vitrine-ingest`` or ``vitrine-ingest-{collection}``
    (VITRINE_REDIS_PREFIX, read by settings.shared)."""

    def __post_init__(self) -> None:
        own = "" if self.collection == "products" else self.collection
        if not self.key_prefix:
            object.__setattr__(self, "key_prefix", redis_prefix(self.collection))
        if not self.queue:
            object.__setattr__(self, "queue", f"vitrine-ingest-{own}" if own else "vitrine-ingest")

    ENV_NAMES: ClassVar[dict[str, str]] = {
        "queue": "VITRINE_QUEUE",
        "media_dir": "VITRINE_MEDIA_DIR",
        "job_timeout_s": "VITRINE_JOB_TIMEOUT",
        "retries": "VITRINE_JOB_RETRIES",
        "retry_backoff_s": "VITRINE_RETRY_BACKOFF",
        "batch_size": "VITRINE_WORKER_BATCH",
        "tag_min_confidence": "VITRINE_TAG_MIN_CONFIDENCE",
        "tag_head_fields": "VITRINE_TAG_HEADS",
        "fetch_allow_hosts": "VITRINE_FETCH_ALLOW_HOSTS",
        "feed_max_bytes": "VITRINE_FEED_MAX_BYTES",
        "host_failures": "VITRINE_HOST_FAILURES",
        "host_cooldown_s": "VITRINE_HOST_COOLDOWN",
        "host_concurrency": "VITRINE_HOST_CONCURRENCY",
        "embedded_workers": "VITRINE_EMBEDDED_WORKERS",
    }
    SHARED: ClassVar[dict[str, str]] = {
        "collection": "collection", "redis_url": "redis_url", "fetch_timeout_s": "fetch_timeout_s",
        "fetch_max_bytes": "fetch_max_bytes", "key_prefix": "redis_prefix",
    }
    """Fields taken from the shared section (settings.shared), which reads their variables."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> QueueSettings:
        """Build settings from ``env`` (default ``os.environ``), then apply ``overrides``."""
        env = environ() if env is None else env
        # Overrides go in before __post_init__ derives the queue and prefix from the collection.
        return cls(**{**shared_values(cls.SHARED, env), **read_env(cls, cls.ENV_NAMES, env), **overrides})
