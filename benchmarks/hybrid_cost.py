"""In-process cost of query understanding and keyword retrieval, side by side with them off.

    python -m benchmarks.hybrid_cost --catalog ../shared/catalog --split val [--data-dir DIR]
        [--rounds N] [--json OUT]

The relevance benchmark's queries run through ``SearchService.search`` (text only, no facets,
as ``POST /search`` runs them) under three configurations of one store:

- ``dense``: the core alone (``Searcher.search``: dense candidates, image + text re-rank), the
  search before issue 17;
- ``hybrid, understanding off, no keywords``: the hybrid ranking with neither part
  (``understand: off``, ``VITRINE_KEYWORDS=0``);
- ``full``: understanding and keyword retrieval on (the defaults).

Reported per configuration: p50 and p95 of the search time without the query encoding (the
same model call in every configuration, and cached by the API), and of the whole search; and
for ``full`` the p50 of the understanding step and of the candidate searches, dense and keyword
together (``understand_ms``, ``candidates_ms``: one store call). Queries are interleaved
across configurations round by round, so that load from other processes falls on all of them alike.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from benchmarks.relevance import select_entries
from benchmarks.relevance_grades import QUERIES_DIR, load_queries
from benchmarks.results import write_json
from encoder import load_encoder
from indexer import EdgeStore, Searcher, Settings, index_entries
from indexer.search import Query, SearchRequest, SearchService

log = logging.getLogger(__name__)


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure(configs: dict[str, Callable[[str], dict[str, float]]], texts: Sequence[str],
            rounds: int) -> dict[str, Any]:
    """Every text through every configuration, ``rounds`` times; the timings' percentiles."""
    samples: dict[str, dict[str, list[float]]] = {name: {} for name in configs}
    for run in configs.values():  # one warm-up pass: caches and the catalog facts
        for text in texts:
            run(text)
    for _ in range(rounds):
        for text in texts:
            for name, run in configs.items():
                timings = run(text)
                timings["search_ms"] = timings["total_ms"] - timings.get("encode_ms", 0.0)
                for key, value in timings.items():
                    samples[name].setdefault(key, []).append(value)
    out: dict[str, Any] = {}
    for name, by_key in samples.items():
        out[name] = {f"{key}_p50": round(statistics.median(v), 3) for key, v in by_key.items()}
        out[name].update({f"{key}_p95": round(percentile(v, 0.95), 3) for key, v in by_key.items()
                          if key in ("search_ms", "total_ms")})
        out[name]["searches"] = len(by_key["total_ms"])
    return out


def configurations(searcher: Searcher, bare: Searcher) -> dict[str, Callable[[str], dict[str, float]]]:
    full, off = SearchService(searcher), SearchService(bare)

    def core(text: str) -> dict[str, float]:
        return dict(searcher.search(Query(text=text, k=10)).timings)

    def service(svc: SearchService, **kw: Any) -> Callable[[str], dict[str, float]]:
        return lambda text: dict(svc.search(SearchRequest(text=text, k=10, facets=False, **kw)).timings)

    return {"dense": core, "hybrid, understanding off, no keywords": service(off, understand="off"),
            "full": service(full)}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.hybrid_cost",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--catalog", required=True)
    parser.add_argument("--split", choices=["val"])
    parser.add_argument("--data-dir", type=Path, help="index here (default: a temporary folder)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", dest="json_out", type=Path)
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    texts = [q.text for q in load_queries(QUERIES_DIR)]
    entries, _ = select_entries(args.catalog, args.split, None)
    settings = Settings.from_env()
    encoder = load_encoder(settings.model, settings.device, settings.torch_threads)
    with tempfile.TemporaryDirectory(prefix="vitrine-hybrid-cost-") as tmp:
        store = EdgeStore(args.data_dir or Path(tmp), "relevance")
        try:
            index_entries(encoder, store, entries, batch_size=settings.batch_size)
            store.optimize()
            searcher = Searcher(encoder, store, settings)
            bare = Searcher(encoder, store, replace(settings, keywords=False))
            result = measure(configurations(searcher, bare), texts, args.rounds)
        finally:
            store.close()
    result = {"products": len(entries), "queries": len(texts), "rounds": args.rounds,
              "configurations": result}
    print(f"{len(texts)} queries x {args.rounds} rounds over {len(entries)} products")
    print("| configuration | search p50 (ms, without encoding) | search p95 | total p50 (with encoding) |")
    print("|---|---:|---:|---:|")
    for name, row in result["configurations"].items():
        print(f"| {name} | {row['search_ms_p50']:.2f} | {row['search_ms_p95']:.2f} | "
              f"{row['total_ms_p50']:.2f} |")
    full = result["configurations"]["full"]
    print(f"full: understand_ms p50 {full.get('understand_ms_p50', 0):.3f}, "
          f"candidates_ms p50 {full.get('candidates_ms_p50', 0):.3f}")
    write_json(args.json_out, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
