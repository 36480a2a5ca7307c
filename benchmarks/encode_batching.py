"""Query encoding cost: batch size, torch CPU threads, and text with or without padding.

    python -m benchmarks.encode_batching [--model SPEC] [--catalog ../shared/catalog]
        [--repeats 200] [--threads 1,2] [--json OUT]

For each torch thread count, times (median over repeats, side by side in one run):
- text batches of 1, 2, 4, 8, 16 shopper queries, padded to the model's context length
  (open_clip's ``encode_text``) and cut to the longest query (``encode_trimmed_text``);
- image batches of 1, 4, 8 catalog photos (preprocessed beforehand: the model's share only).
Reports ms per batch and per query; the API's micro-batching and its CPU thread default
(``encoder.embedder.cpu_threads``) rest on these numbers.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from benchmarks.results import write_json
from encoder import load_encoder
from encoder.images import load_image
from encoder.text_trim import encode_trimmed_text

QUERIES = ["black leather watch", "red summer dress", "men navy formal shirt", "white sneakers",
           "women blue denim jeans", "green kurta for festive wear", "brown handbag", "grey hoodie",
           "pink heels for a party", "sports shoes for running", "silver earrings", "kids t-shirt",
           "beige chinos", "yellow saree", "black backpack", "formal belt for men"]


def median_ms(fn: Callable[[], Any], repeats: int) -> tuple[float, float]:
    """(median wall ms, mean CPU ms of the whole process) per call: with more threads the
    wall time can drop while the CPU spent, what a loaded server runs out of, grows."""
    for _ in range(5):
        fn()
    times = []
    cpu_start = time.process_time()
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    cpu = (time.process_time() - cpu_start) * 1000 / repeats
    return round(statistics.median(times), 3), round(cpu, 3)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", default=None, help="model spec (default: the shipped model)")
    parser.add_argument("--catalog", type=Path, default=Path("../shared/catalog"))
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--threads", default="1,2", help="torch CPU thread counts to compare")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)

    encoder = load_encoder(args.model, "cpu")
    model = encoder.model
    photos = sorted((args.catalog / "images").glob("*.jpg"))[:8]
    pixels = [encoder.preprocess(load_image(p)) for p in photos]
    rows: list[dict[str, Any]] = []
    for threads in [int(t) for t in args.threads.split(",")]:
        torch.set_num_threads(threads)
        with torch.inference_mode():
            for n in (1, 2, 4, 8, 16):
                tokens = encoder.tokenizer(QUERIES[:n])
                padded, _ = median_ms(lambda t=tokens: model.encode_text(t), args.repeats)
                trimmed, cpu = median_ms(lambda t=tokens: encode_trimmed_text(model, t), args.repeats)
                rows.append({"threads": threads, "input": "text", "batch": n, "padded_ms": padded,
                             "trimmed_ms": trimmed, "cpu_ms": cpu, "per_query_ms": round(trimmed / n, 3),
                             "cpu_per_query_ms": round(cpu / n, 3)})
            for n in (1, 4, 8):
                batch = torch.stack(pixels[:n])
                ms, cpu = median_ms(lambda b=batch: model.encode_image(b), max(20, args.repeats // 4))
                rows.append({"threads": threads, "input": "image", "batch": n, "padded_ms": None,
                             "trimmed_ms": ms, "cpu_ms": cpu, "per_query_ms": round(ms / n, 3),
                             "cpu_per_query_ms": round(cpu / n, 3)})
    print(f"Query encoding, model {encoder.model_id}, median of {args.repeats} (ms)\n")
    print("| torch threads | input | batch | padded text ms | as served ms | per query ms "
          "| CPU ms per query |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        padded = "" if r["padded_ms"] is None else r["padded_ms"]
        print(f"| {r['threads']} | {r['input']} | {r['batch']} | {padded} | {r['trimmed_ms']} "
              f"| {r['per_query_ms']} | {r['cpu_per_query_ms']} |")
    report = {"model": encoder.model_id, "repeats": args.repeats, "rows": rows}
    write_json(args.json, report)
    return report


if __name__ == "__main__":
    main()
