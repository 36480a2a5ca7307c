"""The store host: the embedded store served to other processes over a local socket."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from encoder import Encoder
from indexer import EdgeStore, ModelMismatchError, StoredPoint, StoreError, parse_filters
from indexer.catalog import CatalogEntry
from indexer.store.host import StoreHost
from indexer.store.host_process import HostProcess
from indexer.store.remote import HostConnection, RemoteStore
from indexer.store.wire import NEXT
from settings.core import Settings

FIELDS = ("id", "content_hash")
Connect = Callable[..., RemoteStore]


@pytest.fixture
def data_dir(indexed_data_dir: Path, tmp_path: Path) -> Path:
    """A copy of the shared indexed store: these tests write."""
    target = tmp_path / "data"
    shutil.copytree(indexed_data_dir, target)
    return target


@pytest.fixture
def socket_path() -> Iterator[Path]:
    # Unix socket paths are limited to ~100 bytes: pytest's tmp_path can be longer.
    directory = Path(tempfile.mkdtemp(prefix="vh-"))
    yield directory / "store.sock"
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def host(data_dir: Path, socket_path: Path) -> Iterator[StoreHost]:
    served = StoreHost(data_dir, socket_path)
    served.start()
    yield served
    served.close()


@pytest.fixture
def connect() -> Iterator[Connect]:
    """Open RemoteStores on a socket; each is closed after the test."""
    opened: list[RemoteStore] = []

    def open_store(socket_path: Path) -> RemoteStore:
        opened.append(RemoteStore(socket_path))
        return opened[-1]

    yield open_store
    for store in opened:
        store.close()


def _ids(points: list[StoredPoint]) -> list[str]:
    return [p.product_id for p in points]


def test_the_remote_store_answers_as_the_edge_store_does(
    connect: Connect, host: StoreHost, encoder: Encoder
) -> None:
    remote = connect(host.socket_path)
    local = host.store("products", None)  # the host's own store: the answers to match
    filters = parse_filters({"gender": ["Women", "Girls"]})
    for text in ("red dress", "black leather watch", "running shoes"):
        query = encoder.embed_text(text)
        for spec in (parse_filters(None), filters):
            got = remote.candidates(query, spec, 20, with_vectors=False, payload_fields=FIELDS)
            expected = local.candidates(query, spec, 20, with_vectors=False, payload_fields=FIELDS)
            # Fused (RRF) scores tie often, and tied points come in no fixed order.
            assert {p.product_id: p.score for p in got} == {p.product_id: p.score for p in expected}
            assert got and [p.score for p in got] == sorted((p.score for p in got), reverse=True)
            assert set(got[0].payload) == {"id", "content_hash"}
    ids = _ids(local.candidates(encoder.embed_text("bag"), parse_filters(None), 5))
    remote_points = remote.get([*ids, "no-such-product"], with_vectors=True)
    assert _ids(remote_points) == ids
    for mine, theirs in zip(remote_points, local.get(ids, with_vectors=True), strict=True):
        assert mine.payload == theirs.payload
        np.testing.assert_array_equal(mine.image, theirs.image)  # type: ignore[arg-type]
        np.testing.assert_array_equal(mine.text, theirs.text)  # type: ignore[arg-type]
    assert remote.count() == local.count() > 0
    assert remote.count(filters) == local.count(filters) < local.count()
    assert remote.facets("gender", filters) == local.facets("gender", filters)
    assert remote.info() == local.info()
    scrolled = [p.product_id for batch in remote.scroll(batch_size=50) for p in batch]
    assert len(scrolled) == len(set(scrolled)) == local.count()
    assert remote.current_target() == "products" and remote.physical == "products"


def test_writes_through_the_host_are_seen_by_every_client(connect: Connect, host: StoreHost) -> None:
    writer, reader = connect(host.socket_path), connect(host.socket_path)
    original = writer.get([_ids(next(writer.scroll(batch_size=1)))[0]], with_vectors=True)[0]
    changed = StoredPoint("host-new", {**original.payload, "id": "host-new", "ingest_seq": 5},
                          original.image, original.text)
    writer.upsert([changed])
    assert reader.get(["host-new"])[0].payload["ingest_seq"] == 5
    older = StoredPoint("host-new", {**changed.payload, "title": "older", "ingest_seq": 3},
                        original.image, original.text)
    writer.upsert_versioned([older])  # a later submission is already stored: this one loses
    assert reader.get(["host-new"])[0].payload["ingest_seq"] == 5
    writer.set_payload("host-new", {"price": 12.5})
    assert reader.get(["host-new"])[0].payload["price"] == 12.5
    before = reader.count()
    writer.delete(["host-new"])
    assert reader.get(["host-new"]) == [] and reader.count() == before - 1


def test_the_hosts_errors_reach_the_caller_as_raised(connect: Connect, host: StoreHost) -> None:
    remote = connect(host.socket_path)
    dim = remote.info().dim
    assert dim is not None
    with pytest.raises(ModelMismatchError, match="vectors of model"):
        remote.ensure_collection(dim + 1, "another-model")
    connection = HostConnection(host.socket_path)
    try:
        with pytest.raises(StoreError, match="does not serve 'close'"):
            connection.call(("products", None, "close", (), {}))
        with pytest.raises(StoreError, match="does not serve"):
            connection.call(("products", None, "__init__", (), {}))
        with pytest.raises(StoreError):
            connection.call(("not", "a", "request"))
    finally:
        connection.close()
    assert remote.count() > 0  # the host still serves after refusing


def test_a_stopped_host_is_a_store_error_and_a_restarted_one_is_found_again(
    connect: Connect, data_dir: Path, socket_path: Path
) -> None:
    first = StoreHost(data_dir, socket_path)
    first.start()
    remote = connect(socket_path)
    count = remote.count()
    batches = remote.scroll(batch_size=10)
    next(batches)
    first.close()
    with pytest.raises(StoreError, match="not answering"):
        remote.count()
    second = StoreHost(data_dir, socket_path)
    second.start()
    try:
        assert remote.count() == count  # a new connection, made on the next call
        with pytest.raises(StoreError, match="cursor was lost"):
            next(batches)  # a scroll does not silently end early when its cursor is gone
        connection = HostConnection(socket_path)
        with pytest.raises(StoreError, match="cursor was lost"):
            connection.call(("products", None, NEXT, (99,), {}))
        connection.close()
    finally:
        second.close()


def test_the_searcher_runs_on_a_remote_store(connect: Connect, host: StoreHost, encoder: Encoder) -> None:
    from indexer import Query, Searcher

    remote, local = connect(host.socket_path), host.store("products", None)
    query = Query(text="blue jeans", k=5, filters=parse_filters({"gender": "Men"}))
    got = Searcher(encoder, remote, Settings()).search(query)
    expected = Searcher(encoder, local, Settings()).search(query)
    assert [h.id for h in got.hits] == [h.id for h in expected.hits] and got.hits
    assert [h.score for h in got.hits] == pytest.approx([h.score for h in expected.hits], abs=1e-6)


def test_a_host_process_starts_serves_and_stops_cleanly(connect: Connect, data_dir: Path) -> None:
    host = HostProcess(Settings(data_dir=data_dir)).start()
    try:
        remote = connect(host.socket_path)
        assert remote.count() > 0 and remote.ping() == host.process.pid  # type: ignore[union-attr]
    finally:
        host.stop()
    assert host.process is not None and host.process.returncode == 0  # flushed and exited on SIGTERM
    assert not host.socket_path.parent.exists()
    reopened = EdgeStore(data_dir)  # the shard was let go
    try:
        assert reopened.count() > 0
    finally:
        reopened.close()


def test_a_host_process_reports_a_shard_that_another_process_holds(data_dir: Path) -> None:
    holder = EdgeStore(data_dir)
    try:
        with pytest.raises(StoreError):
            HostProcess(Settings(data_dir=data_dir)).start()
    finally:
        holder.close()


def test_an_orphaned_host_stops_by_itself(data_dir: Path, socket_path: Path) -> None:
    # Its parent is this test, not the pid it is told to watch: it behaves as if orphaned.
    proc = subprocess.Popen([sys.executable, "-m", "indexer.store.host", "--data-dir", str(data_dir),
                             "--socket", str(socket_path), "--parent-pid", str(os.getpid() + 10**6)])
    try:
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert not socket_path.exists()


def test_a_reindex_in_one_worker_is_followed_by_another_through_the_host(
    connect: Connect, tmp_path: Path, socket_path: Path, encoder: Encoder, tiny_model_dir: Path,
    catalog_entries: list[CatalogEntry],
) -> None:
    from indexer import Query, index_entries
    from indexer.live import LiveIndex
    from indexer.reindex import reindex
    from tests.conftest import make_tiny_model

    spec_b = make_tiny_model(tmp_path / "tiny-clip-b", seed=1)
    encoder_b = Encoder.load(str(spec_b), device="cpu")
    host = StoreHost(tmp_path / "data", socket_path)
    host.start()
    try:
        index_entries(encoder, connect(socket_path), catalog_entries[:30], spec=str(tiny_model_dir))
        settings = Settings(data_dir=tmp_path / "data")
        maintenance = LiveIndex(settings, encoder, connect(socket_path))
        serving = LiveIndex(settings, encoder, connect(socket_path), check_every_s=0)
        report = reindex(maintenance, encoder_b, str(spec_b))
        view = serving.current()  # the other worker sees the alias move and loads model B
        assert view.store.physical == report.target != "products"
        assert view.encoder.model_id == encoder_b.model_id
        assert view.store.count() == 30 and view.searcher.search(Query(text="shoes", k=3)).hits
        maintenance.close()
        serving.close()
    finally:
        host.close()


def test_a_searcher_sees_a_rewrite_made_through_another_client(
    connect: Connect, host: StoreHost, encoder: Encoder
) -> None:
    from indexer import Query, Searcher

    searching, ingesting = connect(host.socket_path), connect(host.socket_path)
    searcher = Searcher(encoder, searching, Settings())
    first = searcher.search(Query(text="blue jeans", k=20))
    target = first.hits[-1]
    assert len(searcher.vectors) >= 20  # its candidates' vectors are cached now
    query = encoder.embed_text("blue jeans")
    old = ingesting.get([target.id], with_vectors=True)[0]
    # Another worker rewrites it with the same payload: only the host's change log tells.
    ingesting.upsert([StoredPoint(target.id, old.payload, query, query)])
    second = searcher.search(Query(text="blue jeans", k=20))
    assert second.hits[0].id == target.id and second.hits[0].score == pytest.approx(1.0, abs=1e-5)


def test_recommend_runs_through_the_host(connect: Connect, host: StoreHost, encoder: Encoder) -> None:
    from indexer.search.encoding import DirectEncoder
    from indexer.search.recommend import RecommendRequest, recommend

    remote, local = connect(host.socket_path), host.store("products", None)
    request = RecommendRequest(positive=("10000",), negative=("10001",), k=5,
                               filters=parse_filters({"gender": "Men"}))
    model = DirectEncoder(encoder)
    got, expected = recommend(remote, model, request), recommend(local, model, request)
    assert [h.id for h in got] == [h.id for h in expected] and len(got) == 5
    assert [h.breakdown for h in got] == [h.breakdown for h in expected]
