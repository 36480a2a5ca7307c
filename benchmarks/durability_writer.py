"""The writer process of ``benchmarks.durability``: upserts forever, logging each acknowledged batch.

python -m benchmarks.durability_writer DATA_DIR SENT_LOG ACK_LOG FIRST_ID BATCH
"""

from __future__ import annotations

import json
import os
import sys
from typing import TextIO

import numpy as np

from indexer import EdgeStore, StoredPoint

DIM = 32
COLLECTION = "durability"


def _log(handle: TextIO, ids: list[str]) -> None:
    handle.write(json.dumps(ids) + "\n")
    handle.flush()
    os.fsync(handle.fileno())


def main() -> None:
    data_dir, sent_path, ack_path = sys.argv[1:4]
    first, batch = int(sys.argv[4]), int(sys.argv[5])
    store = EdgeStore(data_dir, COLLECTION)
    store.ensure_collection(DIM, "synthetic@0")
    rng = np.random.default_rng(first)
    with open(sent_path, "a") as sent, open(ack_path, "a") as ack:
        n = first
        while True:
            ids = [f"p{i}" for i in range(n, n + batch)]
            _log(sent, ids)  # about to be written: may or may not land if killed now
            vectors = rng.normal(size=(2, batch, DIM)).astype(np.float32)
            store.upsert(
                [StoredPoint(pid, {"id": pid}, vectors[0][k], vectors[1][k]) for k, pid in enumerate(ids)]
            )
            _log(ack, ids)  # upsert returned: acknowledged, must survive
            n += batch


if __name__ == "__main__":
    main()
