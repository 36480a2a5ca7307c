"""Time of query understanding per query, after the vocabulary is built.

    python -m benchmarks.understanding_speed --catalog ../shared/catalog [--rounds 200] [--json OUT]

Builds the vocabulary of the catalog once (timed), then understands a fixed set of shopper
queries (plain, typos, prices, brands, multi-word values) ``rounds`` times each and reports
the p50, p95 and max time of one ``understand`` call, and the build time.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from benchmarks.results import write_json
from indexer import read_catalog
from indexer.understanding import Vocabulary, understand

QUERIES = (
    "white sneakers", "sneekers", "addidas running shoes for women", "red tape shoes",
    "navy blue shirt for men", "ladies purse under ₹1000", "black jaket", "track pants",
    "puma t-shirt", "fastrack watch", "green tee between 20 and 40", "sweater for winter",
    "festive kurta for women", "gym wear", "orange flip flops", "leather wallet for gents",
    "united colors of benetton tshirt", "kids shoes", "hello world", "tshrt below $30",
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    products = [p.to_payload() for p in read_catalog(args.catalog).products]
    start = time.perf_counter()
    vocabulary = Vocabulary.from_products(products)
    build_s = time.perf_counter() - start
    for query in QUERIES:  # warm-up
        understand(query, vocabulary)
    times_us = []
    for _ in range(args.rounds):
        for query in QUERIES:
            start = time.perf_counter()
            understand(query, vocabulary)
            times_us.append((time.perf_counter() - start) * 1e6)
    times_us.sort()
    result = {
        "products": len(products),
        "vocabulary_build_s": round(build_s, 3),
        "queries": len(QUERIES) * args.rounds,
        "p50_us": round(statistics.median(times_us), 1),
        "p95_us": round(times_us[int(0.95 * (len(times_us) - 1))], 1),
        "max_us": round(times_us[-1], 1),
    }
    print(
        f"{result['products']} products, vocabulary built in {result['vocabulary_build_s']} s; "
        f"understand over {result['queries']} queries: p50 {result['p50_us']} us, "
        f"p95 {result['p95_us']} us, max {result['max_us']} us"
    )
    if args.json:
        write_json(args.json, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
