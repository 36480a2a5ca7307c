"""The Redis cache of query embeddings, and the query encoder that reads through it.

Keys name the model (name and weights' checksum), so vectors of one model are never served
to another: ``vitrine:emb:<model id>:text:<sha256 of the normalised text>`` and
``vitrine:emb:<model id>:image:<sha256 of the re-encoded pixels>``, ``vitrine:`` being the
instance's prefix (ApiSettings.redis_prefix).

The most recent vectors are also kept in the process (LOCAL_ENTRIES, ~1 KB each): a query
vector never changes for a given model, and popular queries then skip the Redis round trip.
New vectors are written to Redis after the response, in batches (``api.deferred``).
"""

from __future__ import annotations

import hashlib
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Sequence

import numpy as np
import redis

from api.deferred import DeferredWrites
from api.metrics import Metrics
from api.redis_guard import RedisGuard
from encoder import Encoder
from indexer.media import QueryImage
from indexer.search.model import QueryImageSource

LOCAL_ENTRIES = 4096


def normalise_text(text: str) -> str:
    """Case, Unicode form and whitespace do not change what a shopper asked for."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


class EmbeddingCache:
    """Query vectors in Redis with a TTL; every failure is a miss, never an error."""

    def __init__(
        self, guard: RedisGuard, model_id: str, dim: int, ttl_s: int, metrics: Metrics,
        local_entries: int = LOCAL_ENTRIES, key_prefix: str = "vitrine:",
    ) -> None:
        self.prefix = f"{key_prefix}emb"
        self.guard = guard
        self.model_id = model_id
        self.dim = dim
        self.ttl_s = ttl_s
        self.metrics = metrics
        self.local_entries = local_entries
        self._local: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self._fills: DeferredWrites[tuple[str, bytes]] = DeferredWrites(
            guard, "cache_set", self._write, flush_s=0.05)

    def key(self, kind: str, digest: str) -> str:
        return f"{self.prefix}:{self.model_id}:{kind}:{digest}"

    def get_or_compute(self, kind: str, digest: str, compute: Callable[[], np.ndarray]) -> np.ndarray:
        key = self.key(kind, digest)
        with self._lock:
            local = self._local.get(key)
            if local is not None:
                self._local.move_to_end(key)
        if local is not None:
            self.metrics.cache.labels(kind=kind, result="hit").inc()
            return local.copy()
        raw = self.guard.call("cache_get", lambda r: r.get(key), None)
        # Anything but exactly one float32 vector of the model's size is treated as a miss.
        if isinstance(raw, bytes) and len(raw) == 4 * self.dim:
            self.metrics.cache.labels(kind=kind, result="hit").inc()
            vector = np.frombuffer(raw, dtype=np.float32).copy()
        else:
            self.metrics.cache.labels(kind=kind, result="miss").inc()
            vector = np.asarray(compute(), dtype=np.float32)
            self._fills.add((key, vector.tobytes()))
        self._remember(key, vector)
        return vector

    def flush(self) -> None:
        """Write the vectors computed so far to Redis now."""
        self._fills.flush()

    def _write(self, r: redis.Redis, fills: Sequence[tuple[str, bytes]]) -> None:
        pipe = r.pipeline(transaction=False)
        for key, raw in fills:
            pipe.set(key, raw, ex=self.ttl_s)
        pipe.execute()

    def _remember(self, key: str, vector: np.ndarray) -> None:
        with self._lock:
            self._local[key] = vector.copy()
            self._local.move_to_end(key)
            while len(self._local) > self.local_entries:
                self._local.popitem(last=False)

    def text(self, encoder: Encoder, text: str) -> np.ndarray:
        # Encode exactly the text the key names: two texts then share a key only if they give
        # one vector, so no spelling (bold mathematical letters, say) can store its own vector
        # under the key of another query that every shopper then gets.
        normalised = normalise_text(text)
        digest = hashlib.sha256(normalised.encode()).hexdigest()
        return self.get_or_compute("text", digest, lambda: encoder.embed_text(normalised))

    def image(self, encoder: Encoder, image: QueryImage) -> np.ndarray:
        return self.get_or_compute("image", image.digest, lambda: encoder.embed_image(image.image))


class CachedEncoder:
    """The model with the embedding cache in front: the ``QueryEncoder`` the API's searches are
    given. Accepted query images (``QueryImage``) are cached under their pixels' hash; other
    image sources go to the model directly."""

    def __init__(self, encoder: Encoder, cache: EmbeddingCache) -> None:
        self.encoder = encoder
        self.cache = cache

    @property
    def model_id(self) -> str:
        return self.encoder.model_id

    def embed_text(self, text: str) -> np.ndarray:
        return self.cache.text(self.encoder, text)

    def embed_image(self, image: QueryImageSource) -> np.ndarray:
        if isinstance(image, QueryImage):
            return self.cache.image(self.encoder, image)
        return self.encoder.embed_image(image)
