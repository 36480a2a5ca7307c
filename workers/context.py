"""What a worker process loads once and every job uses: encoder, store, Redis, tagger."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import redis

from encoder import Encoder, load_encoder
from indexer import Settings, VectorStore, open_store
from indexer.live import LiveIndex
from settings.queue import QueueSettings
from workers.hosts import HostGuard
from workers.submissions import Submissions
from workers.tagging import Tagger

log = logging.getLogger(__name__)

Fetcher = Callable[[str], bytes]


@dataclass
class WorkerContext:
    """The long-lived parts of a worker: built once per process, never per job.

    The encoder and store live in a ``LiveIndex`` so that a re-index (here or in another
    process) moves the worker to the new model and collection between two jobs.
    """

    settings: Settings
    queue_settings: QueueSettings
    index: LiveIndex
    redis: redis.Redis
    submissions: Submissions
    fetch: Fetcher
    _taggers: dict[str, Tagger] = field(default_factory=dict)
    _ensured: set[tuple[str, str]] = field(default_factory=set)
    _ensure_lock: threading.Lock = field(default_factory=threading.Lock)
    _hosts: HostGuard | None = None

    @property
    def hosts(self) -> HostGuard:
        """The per-host breaker and cap every image fetch of this process goes through."""
        if self._hosts is None:
            q = self.queue_settings
            self._hosts = HostGuard(self.redis, q.key_prefix, threshold=q.host_failures,
                                    cooldown_s=q.host_cooldown_s, max_per_host=q.host_concurrency)
        return self._hosts

    @property
    def media_dir(self) -> Path:
        return self.queue_settings.media_dir

    @property
    def encoder(self) -> Encoder:
        return self.index.current().encoder

    @property
    def store(self) -> VectorStore:
        return self.index.current().store

    def ensure_collection(self, encoder: Encoder, store: VectorStore) -> None:
        """Create ``store``'s collection for ``encoder`` if it does not exist yet: a deployment fed
        only through the API or a feed has no collection until its first write. Checked once per
        (collection, model) in this process; the stores themselves make creation race-safe."""
        key = (store.physical, encoder.model_id)
        if key in self._ensured:
            return
        with self._ensure_lock:
            if key not in self._ensured:
                store.ensure_collection(encoder.dim, encoder.model_id, self.settings.model)
                self._ensured.add(key)

    def tagger_for(self, encoder: Encoder) -> Tagger:
        """The tagger of ``encoder`` (label prompts are embedded once per model; its attribute
        heads tag the fields VITRINE_TAG_HEADS names, where it ships them)."""
        if encoder.model_id not in self._taggers:
            self._taggers[encoder.model_id] = Tagger(encoder, head_fields=self.queue_settings.tag_head_fields)
        return self._taggers[encoder.model_id]

    @property
    def tagger(self) -> Tagger:
        return self.tagger_for(self.encoder)


def default_fetcher(queue_settings: QueueSettings) -> Fetcher:
    """Image fetching for ``image_url`` products: public addresses only, bounded in time and size,
    plus the private hosts ``VITRINE_FETCH_ALLOW_HOSTS`` names (workers/allow.py)."""
    from indexer.media import FetchPolicy, fetch_image_bytes
    from workers.allow import AllowList

    policy = FetchPolicy(timeout_s=queue_settings.fetch_timeout_s, max_bytes=queue_settings.fetch_max_bytes)
    allow = AllowList.parse(queue_settings.fetch_allow_hosts)
    return lambda url: fetch_image_bytes(url, allow.policy_for(url, policy))


def build_context(
    settings: Settings | None = None,
    queue_settings: QueueSettings | None = None,
    *,
    encoder: Encoder | None = None,
    store: VectorStore | None = None,
    index: LiveIndex | None = None,
    connection: redis.Redis | None = None,
    fetch: Fetcher | None = None,
) -> WorkerContext:
    """Assemble a context; anything not passed in is built from the environment."""
    settings = settings or Settings.from_env()
    queue_settings = queue_settings or QueueSettings.from_env()
    if index is None:
        encoder = encoder or load_encoder(settings.model, settings.device, settings.torch_threads,
                                          settings.text_int8, settings.image_int8)
        store = store or open_store(settings)
        store.ensure_collection(encoder.dim, encoder.model_id, settings.model)
        index = LiveIndex(settings, encoder, store)
    connection = connection or redis.Redis.from_url(queue_settings.redis_url)
    return WorkerContext(
        settings=settings,
        queue_settings=queue_settings,
        index=index,
        redis=connection,
        submissions=Submissions(connection, queue_settings.key_prefix),
        fetch=fetch or default_fetcher(queue_settings),
    )


_context: WorkerContext | None = None
_lock = threading.Lock()


def set_context(context: WorkerContext | None) -> None:
    """Install the context jobs in this process use (the worker command and tests do this)."""
    global _context
    with _lock:
        _context = context


def get_context() -> WorkerContext:
    """The process's context, built from the environment on first use."""
    global _context
    with _lock:
        if _context is None:
            log.info("loading the worker context (encoder, store) for this process")
            _context = build_context()
        return _context
