"""Query encoding cost: batch size, torch CPU threads, and text with or without padding.

    python -m benchmarks.encode_batching [--model SPEC] [--catalog ../shared/catalog]
        [--repeats 200] [--threads 1,2] [--json OUT]

For each torch thread count, times (median over repeats, side by side in one run):
- text batches of 1, 2, 4, 8, 16 shopper queries, padded to the model's context length
  (open_clip's ``encode_text``) and cut to the longest query (``encode_trimmed_text``);
- image batches of 1, 4, 8 catalog photos (preprocessed beforehand: the model's share only).
Reports ms per batch and per query; the API's micro-batching and its CPU thread default
(``encoder.embedder.cpu_threads``) rest on these numbers.

Then, with one torch thread and the variants called in turn call by call: the compiled text
tower with float weights against the one with int8 linear layers (``encoder/quantize.py``,
the default on CPU) on the same batches, and the lowest cosine between their vectors over all
the queries; and the compiled image tower as open_clip defines it against the one whose
attention pooling computes only the token it returns (``encoder/scripted.py``,
``FirstTokenPooledResNet``), with their largest difference, and against that tower in int8
from the model directory's calibration (``encoder/image_int8.py``), with the lowest cosine
to the float vectors.

With ``--contention N``, also times one text query and one photo while N threads spin in
Python (as request threads do under load), for the eager towers and the TorchScript ones
the encoder uses (``encoder/scripted.py``), at Python's default 5 ms lock switch interval
and at the API's 1 ms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from benchmarks.results import write_json
from encoder import image_int8, load_encoder
from encoder.images import load_image
from encoder.loading import resolve_spec
from encoder.scripted import compile_module, first_token_pooled, image_tower, text_tower
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


def alternating_ms(fns: dict[str, Callable[[], Any]], repeats: int) -> dict[str, float]:
    """Median wall ms per call of each function, called in turn call by call (A, B, A, B...),
    so that a drift of the machine's speed falls on all of them alike."""
    for fn in fns.values():
        for _ in range(5):
            fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append((time.perf_counter() - start) * 1000)
    return {name: round(statistics.median(t), 3) for name, t in times.items()}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", default=None, help="model spec (default: the shipped model)")
    parser.add_argument("--catalog", type=Path, default=Path("../shared/catalog"))
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--threads", default="1,2", help="torch CPU thread counts to compare")
    parser.add_argument("--contention", type=int, default=0,
                        help="also time single queries beside this many busy Python threads")
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
    print("| torch threads | input | batch | padded text ms | trimmed ms | per query ms "
          "| CPU ms per query |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        padded = "" if r["padded_ms"] is None else r["padded_ms"]
        print(f"| {r['threads']} | {r['input']} | {r['batch']} | {padded} | {r['trimmed_ms']} "
              f"| {r['per_query_ms']} | {r['cpu_per_query_ms']} |")
    report: dict[str, Any] = {"model": encoder.model_id, "repeats": args.repeats, "rows": rows}
    torch.set_num_threads(1)
    report["text_precision"] = text_precision(encoder, args.repeats)
    print("\nCompiled text tower, float against int8 weights (one thread, median ms per batch)\n")
    print("| batch | float ms | int8 ms | int8 / float |")
    print("|---|---|---|---|")
    for r in report["text_precision"]["rows"]:
        print(f"| {r['batch']} | {r['float_ms']} | {r['int8_ms']} | {r['ratio']} |")
    print(f"\nLowest cosine between float and int8 vectors over {len(QUERIES)} queries: "
          f"{report['text_precision']['min_cosine']}")
    report["image_pooling"] = image_pooling(encoder, pixels, max(20, args.repeats // 2), args.model)
    if report["image_pooling"]["rows"]:
        print("\nCompiled image tower, open_clip's pooling against first-token pooling (one thread, "
              "median ms per batch)\n")
        print("| batch | plain ms | first-token ms | first-token / plain | int8 ms | int8 / plain |")
        print("|---|---|---|---|---|---|")
        for r in report["image_pooling"]["rows"]:
            print(f"| {r['batch']} | {r['plain_ms']} | {r['pooled_ms']} | {r['ratio']} "
                  f"| {r.get('int8_ms', '')} | {r.get('int8_ratio', '')} |")
        print(f"\nLargest difference between plain and first-token vectors: "
              f"{report['image_pooling']['max_abs_diff']}; lowest cosine between int8 and plain: "
              f"{report['image_pooling']['int8_min_cosine']}")
    if args.contention:
        torch.set_num_threads(1)
        report["contention"] = contention(encoder, pixels[0], args.contention)
        print(f"\nOne query beside {args.contention} busy Python threads (median ms)\n")
        print("| lock switch interval | eager text | compiled text | eager photo | compiled photo |")
        print("|---|---|---|---|---|")
        for r in report["contention"]:
            print(f"| {r['switch_ms']} ms | {r['eager_text_ms']} | {r['compiled_text_ms']} "
                  f"| {r['eager_image_ms']} | {r['compiled_image_ms']} |")
    write_json(args.json, report)
    return report


def batch_rows(
    towers: dict[str, Callable[[torch.Tensor], Any]], batches: dict[int, torch.Tensor], repeats: int
) -> list[dict[str, Any]]:
    """One row per batch size: every tower's median ms on that batch, timed in turn call by call."""
    rows = []
    for n, batch in batches.items():
        calls = {name: (lambda b=batch, f=tower: f(b)) for name, tower in towers.items()}
        rows.append({"batch": n, **{f"{name}_ms": ms for name, ms in alternating_ms(calls, repeats).items()}})
    return rows


def text_precision(encoder: Any, repeats: int) -> dict[str, Any]:
    """The float and int8 compiled text towers side by side, alternating batch by batch."""
    towers = {}
    for name, int8 in (("float", False), ("int8", True)):
        tower, kind = text_tower(encoder.model, encoder.tokenizer, encoder.device, True, int8=int8)
        if kind != ("torchscript-int8" if int8 else "torchscript"):
            raise SystemExit(f"the {name} text tower did not compile for this model ({kind})")
        towers[name] = tower
    with torch.inference_mode():
        rows = batch_rows(towers, {n: encoder.tokenizer(QUERIES[:n]) for n in (1, 4, 16)}, repeats)
        for row in rows:
            row["ratio"] = round(row["int8_ms"] / row["float_ms"], 3)
        tokens = encoder.tokenizer(QUERIES)
        float_vectors, int8_vectors = towers["float"](tokens), towers["int8"](tokens)
        cosine = torch.nn.functional.cosine_similarity(float_vectors, int8_vectors, dim=-1)
    return {"rows": rows, "min_cosine": round(float(cosine.min()), 6)}


def image_pooling(
    encoder: Any, pixels: list[torch.Tensor], repeats: int, model_spec: str | None
) -> dict[str, Any]:
    """The compiled image tower with open_clip's attention pooling, with first-token pooling
    and (where the model directory holds a calibration) in int8, alternating batch by batch
    (no rows for a model without a ModifiedResNet image tower)."""
    pooled = first_token_pooled(encoder.model.visual)
    if pooled is None:
        return {"rows": [], "max_abs_diff": None}
    towers = {"plain": compile_module(encoder.model.visual), "pooled": compile_module(pooled)}
    resolved = resolve_spec(model_spec)
    calibration = image_int8.load_calibration(resolved.directory, resolved.identity.checksum)
    if calibration is not None:
        towers["int8"] = compile_module(image_int8.quantized_tower(pooled, calibration))
    with torch.inference_mode():
        rows = batch_rows(towers, {n: torch.stack(pixels[:n]) for n in (1, 4, 8)}, repeats)
        for row in rows:
            row["ratio"] = round(row["pooled_ms"] / row["plain_ms"], 3)
            if "int8" in towers:
                row["int8_ratio"] = round(row["int8_ms"] / row["plain_ms"], 3)
        batch = torch.stack(pixels)
        diff = float((towers["plain"](batch) - towers["pooled"](batch)).abs().max())
        cosine = None
        if "int8" in towers:
            cosine = round(float(torch.nn.functional.cosine_similarity(
                towers["int8"](batch), towers["plain"](batch), dim=-1).min()), 5)
    return {"rows": rows, "max_abs_diff": diff, "int8_min_cosine": cosine}


def _spin(stop: threading.Event) -> None:
    n = 0
    while not stop.is_set():
        n += 1


def contention(encoder: Any, pixels: torch.Tensor, busy: int) -> list[dict[str, Any]]:
    """Single-query latency of eager and compiled towers while ``busy`` threads run Python."""
    model = encoder.model
    tokens = encoder.tokenizer([QUERIES[0]])
    photo = pixels[None]
    compiled_text, _ = text_tower(model, encoder.tokenizer, encoder.device, True, int8=False)
    compiled_image, _ = image_tower(model, photo)
    towers = {
        "eager_text_ms": lambda: encode_trimmed_text(model, tokens),
        "compiled_text_ms": lambda: compiled_text(tokens),
        "eager_image_ms": lambda: model.encode_image(photo),
        "compiled_image_ms": lambda: compiled_image(photo),
    }
    default = sys.getswitchinterval()
    rows = []
    for switch_ms in (5.0, 1.0):
        sys.setswitchinterval(switch_ms / 1000)
        stop = threading.Event()

        spinners = [threading.Thread(target=_spin, args=(stop,)) for _ in range(busy)]
        for t in spinners:
            t.start()
        try:
            with torch.inference_mode():
                row: dict[str, Any] = {"switch_ms": switch_ms, "busy_threads": busy}
                for name, fn in towers.items():
                    row[name] = median_ms(fn, 15)[0]
        finally:
            stop.set()
            for t in spinners:
                t.join()
        rows.append(row)
    sys.setswitchinterval(default)
    return rows


if __name__ == "__main__":
    main()
