"""In-process query latency of `search` (text, image, hybrid) on a catalog.

    python -m benchmarks.search_latency --catalog ../shared/catalog [--model SPEC]
        [--queries 200] [--data-dir DIR] [--json OUT]

Indexes the catalog into a data directory (re-using it when already indexed with
the same model), then times ``Searcher.search`` for N text, N image and N hybrid
queries drawn from the catalog itself, after a warm-up, and reports p50/p95 of
the total and of each stage (encode, candidates, re-rank).

Then, side by side on the text queries' vectors (encoded once, so encoding is left out),
alternating query by query: candidates plus re-rank with the candidates as point ids and
the vector cache kept by the store's change log (the default for the embedded store), and
with each candidate's id and content hash read back from Qdrant (the path for a Qdrant
server); both caches warmed first. Reports p50 wall ms and mean CPU ms per search.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.api_load import machine_speed
from benchmarks.results import write_json
from encoder import load_encoder
from indexer import EdgeStore, FilterSpec, Query, Searcher, Settings, index_entries, read_catalog

KINDS = ("text", "image", "hybrid")
STAGES = ("encode_ms", "candidates_ms", "rerank_ms", "total_ms")


def build_queries(products: list, n: int, seed: int) -> dict[str, list[Query]]:
    """Realistic queries from the catalog: attribute phrases, product photos, photo + colour."""
    rng = random.Random(seed)
    colours = sorted({p.colour for p in products if p.colour})
    texts, images, hybrids = [], [], []
    for _ in range(n):
        p = rng.choice(products)
        kind = (p.article_type or p.sub_category or "clothes").lower()
        words = [w for w in (p.colour, p.gender, p.occasion) if w and rng.random() < 0.6]
        texts.append(Query(text=" ".join([*words, kind]).lower(), k=10))
        images.append(Query(image=rng.choice(products).image, k=10))
        hybrids.append(Query(image=rng.choice(products).image, text=rng.choice(colours).lower(), k=10))
    return {"text": texts, "image": images, "hybrid": hybrids}


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--catalog", required=True, type=Path)
    parser.add_argument(
        "--model", default=None, help="model spec (default: VITRINE_MODEL or the shipped model)"
    )
    parser.add_argument("--queries", type=int, default=200, help="queries per kind")
    parser.add_argument("--data-dir", type=Path, default=Path("data/bench"))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args(argv)

    speed = machine_speed()
    settings = Settings.from_env(**({"model": args.model} if args.model else {}))
    encoder = load_encoder(settings.model, settings.device, settings.torch_threads)
    products = read_catalog(args.catalog).entries
    store = EdgeStore(args.data_dir, "latency")
    started = time.perf_counter()
    report = index_entries(encoder, store, products, batch_size=settings.batch_size)
    store.optimize()
    # Indexing throughput is only meaningful when this run built the collection (unchanged 0).
    indexing = {"indexed": report.indexed, "unchanged": report.unchanged,
                "seconds": round(time.perf_counter() - started, 1)}
    print(
        f"indexed {report.indexed} (unchanged {report.unchanged}) in {indexing['seconds']} s; "
        f"{store.count()} points, model {encoder.model_id}",
        file=sys.stderr,
    )
    searcher = Searcher(encoder, store, settings)
    queries = build_queries([e.product for e in products], args.queries, args.seed)
    for q in [queries[k][0] for k in KINDS] * 3:  # warm-up: first calls pay one-off allocations
        searcher.search(q)

    results: dict = {"model": encoder.model_id, "points": store.count(), "queries_per_kind": args.queries,
                     "python_loop_s": speed, "indexing": indexing}
    for kind in KINDS:
        stages: dict[str, list[float]] = {s: [] for s in STAGES}
        for q in queries[kind]:
            timings = searcher.search(q).timings
            for s in STAGES:
                stages[s].append(timings[s])
        results[kind] = {
            s: {
                "p50": round(percentile(v, 50), 2),
                "p95": round(percentile(v, 95), 2),
                "mean": round(statistics.fmean(v), 2),
            }
            for s, v in stages.items()
        }
    results["candidate_paths"] = candidate_paths(encoder, store, settings, queries["text"])
    store.close()

    print(
        f"\nSearch latency in-process, {results['points']} products, model {results['model']}, "
        f"{args.queries} queries per kind (ms); a 20-million-step Python loop took {speed} s\n"
    )
    print("| query | total p50 | total p95 | encode p50 | candidates p50 | re-rank p50 |")
    print("|---|---|---|---|---|---|")
    for kind in KINDS:
        r = results[kind]
        print(
            f"| {kind} | {r['total_ms']['p50']} | {r['total_ms']['p95']} | {r['encode_ms']['p50']} | "
            f"{r['candidates_ms']['p50']} | {r['rerank_ms']['p50']} |"
        )
    paths = results["candidate_paths"]
    print("\n| candidates + re-rank | p50 ms | CPU ms per search |")
    print("|---|---|---|")
    for name in ("change_log", "content_hash"):
        print(f"| {name} | {paths[name]['p50_ms']} | {paths[name]['cpu_ms']} |")
    write_json(args.json, results)
    return results


def candidate_paths(encoder: Any, store: EdgeStore, settings: Settings, texts: list[Query]) -> dict:
    """Candidates + re-rank through the change-log path and the content-hash path, alternating."""
    searchers = {"change_log": Searcher(encoder, store, settings),
                 "content_hash": Searcher(encoder, store, settings, change_log=False)}
    for searcher in searchers.values():
        searcher.vectors.warm(store)
    vectors = [encoder.embed_text(q.text) for q in texts]
    walls: dict[str, list[float]] = {name: [] for name in searchers}
    cpus: dict[str, list[float]] = {name: [] for name in searchers}
    spec = FilterSpec()
    for vector in vectors[:20] + vectors:
        for name, searcher in searchers.items():
            wall, cpu = time.perf_counter(), time.process_time()
            searcher._rank(vector, spec, 10, 0, False, 0.0, wall, wall)
            walls[name].append((time.perf_counter() - wall) * 1000)
            cpus[name].append((time.process_time() - cpu) * 1000)
    out = {name: {"p50_ms": round(percentile(walls[name][20:], 50), 3),
                  "cpu_ms": round(statistics.fmean(cpus[name][20:]), 3)} for name in searchers}
    out["cpu_ratio"] = round(out["change_log"]["cpu_ms"] / out["content_hash"]["cpu_ms"], 3)
    return out


if __name__ == "__main__":
    main()
