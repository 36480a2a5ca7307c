"""The search core's settings (``VITRINE_*``, ``QDRANT_*``): store, model, candidates, re-rank."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ClassVar

from settings.env import environ, read_env
from settings.shared import shared_values


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Every tunable of the search core. Environment variable in brackets."""

    data_dir: Path = Path("data")
    """Where the embedded Qdrant Edge store and other local state live [VITRINE_DATA_DIR]."""
    qdrant_url: str | None = None
    """Qdrant server URL; when set, the server is used instead of the embedded store [QDRANT_URL]."""
    store_socket: str | None = None
    """Unix socket of a store host that owns the embedded store; set by ``vitrine serve --workers N``
    for its workers, so that several processes can search one embedded store [VITRINE_STORE_SOCKET]."""
    qdrant_api_key: str | None = None
    """API key for the Qdrant server [QDRANT_API_KEY]."""
    shards: int = 1
    """Shards of a new server collection; more spread it over a cluster's nodes [VITRINE_SHARDS]."""
    replication_factor: int = 1
    """Copies of each shard on a server cluster; 2 survives losing a node [VITRINE_REPLICATION_FACTOR]."""
    collection: str = "products"
    """Collection (server) or shard folder (embedded) name (VITRINE_COLLECTION, read by settings.shared)."""
    model: str = "default"
    """Model spec, see ``encoder.loading`` [VITRINE_MODEL]."""
    device: str | None = None
    """Torch device; empty picks CUDA when present, else CPU [VITRINE_DEVICE]."""
    torch_threads: int = 0
    """Torch CPU threads per process; 0 = half the cores (at least 1), leaving the rest to request
    threads and Qdrant (benchmarks/encode_batching.py: on 2 cores a second thread raised the CPU a
    query costs) [VITRINE_TORCH_THREADS]."""
    text_int8: bool = True
    """Run the text tower's linear layers with int8 weights on CPU: 0.64x the time of one query,
    vectors within cosine 0.999 of the float ones, checked when the model loads
    (encoder/quantize.py) [VITRINE_TEXT_INT8]."""
    image_int8: bool = True
    """Run the image tower in int8 on CPU where the model directory holds a calibration
    (``python -m encoder.calibrate``; the shipped model does): vectors within cosine 0.99 of the
    float ones, checked when the model loads (encoder/image_int8.py) [VITRINE_IMAGE_INT8]."""
    batch_size: int = 64
    """Products embedded and upserted per batch while indexing [VITRINE_BATCH_SIZE]."""
    candidates: int = 100
    """Minimum candidates fetched from each named vector before re-ranking [VITRINE_CANDIDATES]."""
    oversample: int = 4
    """Candidates per vector = max(candidates, oversample * (k + offset)) [VITRINE_OVERSAMPLE]."""
    w_image: float = 0.5
    """Weight of s_image = cos(q, product image vector) in the final score [VITRINE_W_IMAGE]."""
    w_text: float = 0.5
    """Weight of s_text = cos(q, product text vector) in the final score [VITRINE_W_TEXT]."""
    default_alpha: float = 0.25
    """Fusion weight of the image when a query has both image and text; 0.25 answered composed
    queries (a photo plus the colour wanted) best in benchmarks.quality [VITRINE_ALPHA]."""
    understand: str = "boost"
    """How a text query's understood attributes (colour, type, brand, ...) are used when the request
    does not say: ``boost`` ranks matching products higher, ``filter`` returns only those, ``off``
    reads nothing (docs/hybrid.md) [VITRINE_UNDERSTAND]."""
    diversity: float = 0.0
    """How much a text search's first pages trade relevance for variety (MMR over the 100 most
    relevant, 0 = off, 1 = variety only); near-duplicate photos wait below the others whenever it
    is above 0 (docs/discovery.md) [VITRINE_DIVERSITY]."""
    keywords: bool = True
    """Take candidates from the ``keywords`` sparse vector too, where the collection has it
    [VITRINE_KEYWORDS]."""
    keyword_candidates: int = 50
    """Candidates taken from the keywords vector for a text query [VITRINE_KEYWORD_CANDIDATES]."""
    fusion: str = "weighted"
    """How a text query's score terms combine: ``weighted`` (a weighted sum of each term scaled to
    0..1 over the candidates) or ``rrf`` (weighted reciprocal rank fusion); chosen with the
    relevance benchmark, docs/hybrid.md [VITRINE_FUSION]."""
    fusion_w_image: float = 0.1
    """Weight of s_image in a text query's fused score [VITRINE_FUSION_W_IMAGE]."""
    fusion_w_text: float = 0.1
    """Weight of s_text in a text query's fused score [VITRINE_FUSION_W_TEXT]."""
    fusion_w_keyword: float = 0.2
    """Weight of s_keyword (BM25 over the keywords vector) in a text query's fused score
    [VITRINE_FUSION_W_KEYWORD]."""
    fusion_w_attributes: float = 0.6
    """Weight of s_attributes (the understood attributes a product has) in a text query's fused
    score [VITRINE_FUSION_W_ATTRIBUTES]."""
    rrf_k: int = 60
    """The k of reciprocal rank fusion, 1 / (k + rank) [VITRINE_RRF_K]."""
    hnsw_ef: int = 512
    """HNSW search breadth for candidate search [VITRINE_HNSW_EF]."""
    hnsw_m: int = 32
    """HNSW graph degree of a new collection; with ACORN, m 32 / ef 512 kept recall@10 >= 0.978 under
    every filter at 100k products (docs/benchmarks) [VITRINE_HNSW_M]."""
    search_threads: int = 0
    """Search threads of the embedded Qdrant Edge shard; 0 = half the cores (at least 1)
    [VITRINE_SEARCH_THREADS]."""
    acorn: bool = True
    """ACORN filtered HNSW search: keeps recall when a filter removes about half the products
    [VITRINE_ACORN]."""
    vector_cache_mb: int = 256
    """Memory for candidates' vectors kept between searches, so the re-rank does not read them
    back from Qdrant each time (2 KB per product with the default model) [VITRINE_VECTOR_CACHE_MB]."""
    vector_cache_warm: bool = True
    """Fill the vector cache (VITRINE_VECTOR_CACHE_MB) from the store when a server process starts,
    in the background, so that the first searches do not each read their candidates' vectors
    [VITRINE_VECTOR_CACHE_WARM]."""

    ENV_NAMES: ClassVar[dict[str, str]] = {
        "data_dir": "VITRINE_DATA_DIR",
        "qdrant_url": "QDRANT_URL",
        "qdrant_api_key": "QDRANT_API_KEY",
        "store_socket": "VITRINE_STORE_SOCKET",
        "shards": "VITRINE_SHARDS",
        "replication_factor": "VITRINE_REPLICATION_FACTOR",
        "model": "VITRINE_MODEL",
        "device": "VITRINE_DEVICE",
        "torch_threads": "VITRINE_TORCH_THREADS",
        "text_int8": "VITRINE_TEXT_INT8",
        "image_int8": "VITRINE_IMAGE_INT8",
        "batch_size": "VITRINE_BATCH_SIZE",
        "candidates": "VITRINE_CANDIDATES",
        "oversample": "VITRINE_OVERSAMPLE",
        "w_image": "VITRINE_W_IMAGE",
        "w_text": "VITRINE_W_TEXT",
        "default_alpha": "VITRINE_ALPHA",
        "understand": "VITRINE_UNDERSTAND",
        "diversity": "VITRINE_DIVERSITY",
        "keywords": "VITRINE_KEYWORDS",
        "keyword_candidates": "VITRINE_KEYWORD_CANDIDATES",
        "fusion": "VITRINE_FUSION",
        "fusion_w_image": "VITRINE_FUSION_W_IMAGE",
        "fusion_w_text": "VITRINE_FUSION_W_TEXT",
        "fusion_w_keyword": "VITRINE_FUSION_W_KEYWORD",
        "fusion_w_attributes": "VITRINE_FUSION_W_ATTRIBUTES",
        "rrf_k": "VITRINE_RRF_K",
        "hnsw_ef": "VITRINE_HNSW_EF",
        "hnsw_m": "VITRINE_HNSW_M",
        "acorn": "VITRINE_ACORN",
        "search_threads": "VITRINE_SEARCH_THREADS",
        "vector_cache_mb": "VITRINE_VECTOR_CACHE_MB",
        "vector_cache_warm": "VITRINE_VECTOR_CACHE_WARM",
    }
    SHARED: ClassVar[dict[str, str]] = {"collection": "collection"}
    """Fields taken from the shared section (settings.shared), which reads their variables."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Build settings from ``env`` (default ``os.environ``), then apply ``overrides``."""
        env = environ() if env is None else env
        values = {**shared_values(cls.SHARED, env), **read_env(cls, cls.ENV_NAMES, env)}
        return replace(cls(**values), **overrides)
