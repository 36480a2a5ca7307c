"""The embedded store: idempotent re-ingest, persistence, model guard, point ids, crash safety."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from encoder import Encoder
from indexer import EdgeStore, ModelMismatchError, Searcher, StoreError, index_entries, point_id
from indexer.catalog import CatalogEntry
from indexer.schema import POINT_NAMESPACE

REPO = Path(__file__).resolve().parents[2]


def test_point_id_is_uuid5_of_product_id() -> None:
    assert point_id("10000") == str(uuid.uuid5(POINT_NAMESPACE, "10000"))
    assert point_id("10000") == point_id("10000") != point_id("10001")


def test_reingest_changes_nothing(
    encoder: Encoder, catalog_entries: list[CatalogEntry], tmp_path: Path
) -> None:
    store = EdgeStore(tmp_path)
    entries = catalog_entries[:40]
    first = index_entries(encoder, store, entries, batch_size=16)
    before = {p.product_id: p.payload for p in store.get([e.product.id for e in entries])}
    again = index_entries(encoder, store, entries, batch_size=16)
    forced = index_entries(encoder, store, entries, batch_size=16, force=True)
    after = {p.product_id: p.payload for p in store.get([e.product.id for e in entries])}
    assert (first.indexed, again.indexed, again.unchanged, forced.indexed) == (40, 0, 40, 40)
    assert store.count() == 40
    assert before == after
    assert all(p["model"] == encoder.model_id for p in after.values())
    store.close()


def test_persists_across_reopen(
    encoder: Encoder, catalog_entries: list[CatalogEntry], tmp_path: Path
) -> None:
    store = EdgeStore(tmp_path)
    index_entries(encoder, store, catalog_entries[:30])
    store.delete([catalog_entries[0].product.id])
    store.set_payload(catalog_entries[1].product.id, {"price": 12.5})
    store.close()
    reopened = EdgeStore(tmp_path)
    assert reopened.count() == 29
    assert reopened.get([catalog_entries[0].product.id]) == []
    got = reopened.get([catalog_entries[1].product.id], with_vectors=True)[0]
    assert got.payload["price"] == 12.5 and got.image is not None and got.image.shape == (encoder.dim,)
    info = reopened.info()
    assert (info.points, info.dim, info.model) == (29, encoder.dim, encoder.model_id)
    reopened.close()


def test_other_model_is_refused(encoder: Encoder, indexed_store: EdgeStore, tiny_model_dir: Path) -> None:
    with pytest.raises(ModelMismatchError, match="rebuild"):
        indexed_store.ensure_collection(encoder.dim, "another-model@123")
    floor = Encoder.load(f"random:{tiny_model_dir}", device="cpu")
    with pytest.raises(ModelMismatchError, match="VITRINE_MODEL"):
        Searcher(floor, indexed_store)


def test_empty_data_dir_explains_what_to_do(tmp_path: Path) -> None:
    store = EdgeStore(tmp_path)
    with pytest.raises(StoreError, match="vitrine index"):
        store.count()
    assert store.info().points == 0


CRASH_SCRIPT = """
import json, os, sys
from encoder import Encoder
from indexer import EdgeStore, read_catalog
from indexer.pipeline import index_entries

model, data_dir, catalog, ack_path = sys.argv[1:5]
encoder = Encoder.load(model, device="cpu")
store = EdgeStore(data_dir)
entries = read_catalog(catalog).entries[:400]
with open(ack_path, "a") as ack:
    for start in range(0, len(entries), 8):
        batch = entries[start:start + 8]
        index_entries(encoder, store, batch, batch_size=8)
        # upsert returned: these are acknowledged; record them durably before going on
        ack.write(json.dumps([e.product.id for e in batch]) + "\\n")
        ack.flush()
        os.fsync(ack.fileno())
"""


def test_kill_during_indexing_loses_nothing_acknowledged(
    tiny_model_dir: Path, catalog_dir: Path, tmp_path: Path
) -> None:
    ack_path = tmp_path / "acks.jsonl"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            CRASH_SCRIPT,
            str(tiny_model_dir),
            str(tmp_path / "data"),
            str(catalog_dir),
            str(ack_path),
        ],
        env=env,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if ack_path.exists() and len(ack_path.read_text().splitlines()) >= 5:
            break
        assert proc.poll() is None, "the indexing process ended before it could be killed"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    acknowledged = [pid for line in ack_path.read_text().splitlines() for pid in json.loads(line)]
    assert len(acknowledged) >= 40
    store = EdgeStore(tmp_path / "data")
    found = {p.product_id for p in store.get(acknowledged, with_vectors=True) if p.image is not None}
    assert found == set(acknowledged)
    assert store.count() >= len(acknowledged)  # a batch in flight may also have landed
    store.close()
