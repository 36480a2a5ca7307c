"""Diversity against relevance: nDCG@10 and the first page's intra-list similarity for several
``diversity`` values, on the relevance benchmark's queries and products (docs/discovery.md).

    python -m benchmarks.diversity --catalog ../shared/catalog --split val \
        --diversity 0,0.05,0.1,0.2,0.3,0.5 --data-dir /tmp/vitrine-relevance

Per value: nDCG@10 and success@5 as benchmarks.relevance grades them, ILS@10 (the mean image
cosine over the pairs of a first page), and the first pages' near-duplicate pairs (image cosine
above 0.98) per query.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from collections.abc import Sequence
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.relevance import build_systems, evaluate, select_entries
from benchmarks.relevance_grades import QUERIES_DIR, Grader, TypeInference, load_queries
from benchmarks.relevance_systems import ServiceSystem
from benchmarks.results import write_json
from indexer import EdgeStore
from indexer.search import SearchRequest, SearchService
from indexer.search.diversity import NEAR_DUPLICATE


def page_similarity(store: EdgeStore, pages: Sequence[Sequence[str]]) -> tuple[float, float]:
    """Mean ILS@10 (image cosine over a page's pairs) and near-duplicate pairs per page."""
    ids = sorted({pid for page in pages for pid in page})
    vectors = {p.product_id: np.asarray(p.image) / np.linalg.norm(np.asarray(p.image))
               for p in store.get(ids, with_vectors=True)}
    ils, dups = [], []
    for page in pages:
        sims = [float(vectors[a] @ vectors[b]) for a, b in combinations(page, 2)]
        if sims:
            ils.append(float(np.mean(sims)))
            dups.append(sum(s > NEAR_DUPLICATE for s in sims))
    return float(np.mean(ils)), float(np.mean(dups))


def interleaved_cost(
    service: SearchService, texts: Sequence[str], value: float
) -> dict[str, dict[str, float]]:
    """Median and p95 ms of each query without and with ``value``, the two run back to back per
    query (the evaluation's ms / query column runs each value's queries minutes apart, so load
    from other processes on a shared machine skews it)."""
    times: dict[float, list[float]] = {0.0: [], value: []}
    for text in texts:
        for v in times:
            started = time.perf_counter()
            service.search(SearchRequest(text=text, k=10, facets=False, diversity=v))
            times[v].append((time.perf_counter() - started) * 1000)
    return {f"{k:g}": {"median_ms": round(float(np.median(t)), 1),
                       "p95_ms": round(float(np.percentile(t, 95)), 1)} for k, t in times.items()}


def run(catalog: str, split: str | None, values: Sequence[float], data_dir: Path) -> dict[str, Any]:
    entries, everything = select_entries(catalog, split, None)
    grader = Grader([e.product for e in entries], TypeInference.learn(everything))
    queries = load_queries(QUERIES_DIR)
    systems, store, model_id = build_systems(entries, None, data_dir)
    service = next(s for s in systems if isinstance(s, ServiceSystem)).service
    assert isinstance(service, SearchService)
    try:
        chosen = [ServiceSystem(f"diversity {v:g}", service, diversity=v) for v in values]
        result = evaluate(chosen, queries, grader)
        rows = []
        for v, system in zip(values, chosen, strict=True):
            figures = result["systems"][system.name]
            pages = [[t["id"] for t in r["top"]] for r in figures["per_query"]]
            ils, dups = page_similarity(store, pages)
            rows.append({"diversity": v, "ndcg10": figures["ndcg10"], "success5": figures["success5"],
                         "ils10": round(ils, 4), "near_duplicate_pairs": round(dups, 3),
                         "ms_per_query": figures["ms_per_query"]})
        cost = interleaved_cost(service, [q.text for q in queries], max(values))
    finally:
        store.close()
    return {"model": model_id, "products": len(entries), "queries": len(queries), "rows": rows,
            "interleaved_cost": cost}


def markdown(result: dict[str, Any]) -> str:
    lines = ["| diversity | nDCG@10 | success@5 | ILS@10 (image cosine) | near-duplicate pairs / page "
             "| ms / query |",
             "|---:|---:|---:|---:|---:|---:|"]
    for r in result["rows"]:
        lines.append(f"| {r['diversity']:g} | {r['ndcg10']:.3f} | {r['success5']:.3f} | {r['ils10']:.3f} | "
                     f"{r['near_duplicate_pairs']:.2f} | {r['ms_per_query']:.1f} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.diversity",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--catalog", required=True)
    parser.add_argument("--split", choices=["val"])
    parser.add_argument("--diversity", default="0,0.1,0.2,0.3,0.5", help="values, comma-separated")
    parser.add_argument("--data-dir", type=Path, help="index here (default: a temporary folder)")
    parser.add_argument("--json", dest="json_out", type=Path)
    args = parser.parse_args(argv)
    try:
        values = [float(v) for v in args.diversity.split(",")]
    except ValueError:
        parser.error("--diversity takes numbers separated by commas")
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="vitrine-diversity-") as tmp:
        result = run(args.catalog, args.split, values, args.data_dir or Path(tmp))
    print(f"{result['queries']} queries over {result['products']} products, model {result['model']}")
    print(markdown(result))
    print("interleaved, per query without / with the largest value:", result["interleaved_cost"])
    write_json(args.json_out, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
