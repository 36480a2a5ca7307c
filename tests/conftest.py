"""Shared fixtures: the real sample catalog, a small real open_clip model, indexed stores."""

from __future__ import annotations

import contextlib
import os
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import torch

from benchmarks.local_redis import RedisUnavailable, start_redis, stop_redis
from encoder import Encoder, save_model_dir
from indexer import EdgeStore, index_entries, read_catalog
from indexer.catalog import CatalogEntry
from indexer.image_dirs import register_image_dirs

REPO = Path(__file__).resolve().parents[1]
# The shared storefront feeds, beside the sample catalog (read in place, never copied).
SHARED_FEEDS = REPO.parent / "shared" / "feeds"
SUBSET = 240  # products indexed by the shared store fixture: enough for filters to bite

# A tiny open_clip CLIP (random weights, seeded): real open_clip code paths, fast on 2 cores.
TINY_CFG = {
    "embed_dim": 64,
    "vision_cfg": {"image_size": 32, "layers": 2, "width": 64, "patch_size": 8, "head_width": 32},
    "text_cfg": {"context_length": 32, "vocab_size": 49408, "width": 64, "heads": 2, "layers": 2},
}


def _catalog_path() -> Path:
    env = os.environ.get("VITRINE_CATALOG")
    candidates = [Path(env)] if env else []
    candidates += [REPO.parent / "shared" / "catalog", REPO / ".." / "shared" / "catalog"]
    for path in candidates:
        if (path / "styles.csv").is_file():
            return path.resolve()
    pytest.exit(
        "the sample catalog was not found: set VITRINE_CATALOG or place it at ../shared/catalog",
        returncode=2,
    )


@pytest.fixture(scope="session")
def catalog_dir() -> Path:
    """The real sample catalog (read in place, never copied)."""
    return _catalog_path()


@pytest.fixture(scope="session")
def catalog_entries(catalog_dir: Path) -> list[CatalogEntry]:
    """The first SUBSET products of the real catalog."""
    return read_catalog(catalog_dir).entries[:SUBSET]


def make_tiny_model(directory: Path, seed: int = 0) -> Path:
    """Write a tiny random open_clip model directory (open_clip's HF layout)."""
    from open_clip.model import CLIP

    torch.manual_seed(seed)
    return save_model_dir(CLIP(**TINY_CFG), TINY_CFG, directory)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_model(tmp_path_factory.mktemp("models") / "tiny-clip")


@pytest.fixture(scope="session")
def encoder(tiny_model_dir: Path) -> Encoder:
    return Encoder.load(str(tiny_model_dir), device="cpu")


@pytest.fixture(scope="session")
def indexed_data_dir(
    tmp_path_factory: pytest.TempPathFactory, encoder: Encoder, catalog_entries: list[CatalogEntry]
) -> Path:
    """A data directory whose Edge store holds the SUBSET products (built once per session)."""
    data_dir = tmp_path_factory.mktemp("data")
    store = EdgeStore(data_dir)
    index_entries(encoder, store, catalog_entries)
    store.close()
    register_image_dirs(data_dir, (e.product.image for e in catalog_entries))  # as `vitrine index`
    return data_dir


@pytest.fixture
def indexed_store(indexed_data_dir: Path) -> Iterator[EdgeStore]:
    """The shared indexed Edge store, opened for one test (read-only use, please)."""
    store = EdgeStore(indexed_data_dir)
    yield store
    store.close()


@pytest.fixture
def empty_store(tmp_path: Path) -> Iterator[EdgeStore]:
    store = EdgeStore(tmp_path / "data")
    yield store
    store.close()


@contextlib.contextmanager
def local_http_server(
    handler: type[BaseHTTPRequestHandler], tls: ssl.SSLContext | None = None
) -> Iterator[ThreadingHTTPServer]:
    """``handler`` served on a free loopback port from a background thread (over TLS with
    ``tls``), shut down afterwards."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    if tls is not None:
        httpd.socket = tls.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()


@dataclass(frozen=True)
class RedisServer:
    """The test session's own redis-server (never the machine's 6379)."""

    port: int

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A private redis-server for the whole session, in a temporary folder, nothing persisted;
    every test that needs Redis takes its URL from here, so test runs never touch a Redis that
    other checkouts, developers or services use."""
    try:
        proc, port = start_redis(tmp_path_factory.mktemp("redis"))
    except RedisUnavailable as e:
        pytest.fail(f"these tests start their own redis-server: {e}", pytrace=False)
    try:
        yield RedisServer(port)
    finally:
        stop_redis(proc)
