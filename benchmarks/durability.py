"""Durability of the embedded store: SIGKILL during a stream of acknowledged upserts.

    python -m benchmarks.durability [--rounds 20] [--batch 16] [--json OUT]

Each round starts a writer process that upserts batches of points into a Qdrant Edge
shard (through ``EdgeStore.upsert``, which returns once the write is flushed) and, after
each return, appends the batch's ids to an acknowledgement log (fsynced). The writer is
killed with SIGKILL at a random moment; the shard is then reopened and compared with
the log. Reported over all rounds: acknowledged writes missing (goal 0), phantom points
(present but never sent; goal 0), duplicates (more points than distinct ids; goal 0), and
in-flight writes that landed (sent, not acknowledged: allowed either way).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.durability_writer import COLLECTION
from benchmarks.results import write_json
from indexer import EdgeStore


def _ids(path: Path) -> list[str]:
    if not path.exists():
        return []
    out: list[str] = []
    for line in path.read_text().splitlines():
        with contextlib.suppress(json.JSONDecodeError):  # a line torn by the kill was never acknowledged
            out += json.loads(line)
    return out


def run(rounds: int, batch: int, seed: int) -> dict:
    rng = random.Random(seed)
    result: dict = {"rounds": rounds}
    with tempfile.TemporaryDirectory() as tmp:
        data_dir, sent_path, ack_path = Path(tmp) / "data", Path(tmp) / "sent", Path(tmp) / "ack"
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
        next_id = 0
        for done in range(1, rounds + 1):
            writer = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "benchmarks.durability_writer",
                    str(data_dir),
                    str(sent_path),
                    str(ack_path),
                    str(next_id),
                    str(batch),
                ],
                env=env,
            )
            # let it get past start-up and into the stream, then kill it at a random point
            deadline = time.monotonic() + 60
            while len(_ids(ack_path)) <= next_id and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(rng.uniform(0.0, 1.5))
            writer.send_signal(signal.SIGKILL)
            writer.wait()
            sent, acked = set(_ids(sent_path)), set(_ids(ack_path))
            store = EdgeStore(data_dir, COLLECTION)
            count = store.count()
            stored = [p.product_id for batch_ in store.scroll(1000) for p in batch_]
            store.close()
            next_id = max(int(i[1:]) for i in sent) + 1 if sent else next_id
            result.update(
                rounds=done,
                acknowledged=len(acked),
                missing=len(acked - set(stored)),
                phantom=len(set(stored) - sent),
                duplicates=count - len(set(stored)),
                in_flight_landed=len(set(stored) - acked),
            )
            if result["missing"] or result["phantom"] or result["duplicates"]:
                break  # stop at the first violation, with the state that shows it
    return result


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    result = run(args.rounds, args.batch, args.seed)
    print(json.dumps(result))
    write_json(args.json, result)
    return result


if __name__ == "__main__":
    main()
