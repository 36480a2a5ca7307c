"""Merchandising: what popularity boosting does to shoppers, how long an A/B test takes, and
what business terms, rules and events cost.

    python -m benchmarks.merchandising [--catalog ../shared/catalog] [--days 14] [--per-day 1000]
        [--products 1000] [--rounds 5] [--skip-cost] [--json OUT]

1. Simulation (benchmarks/merch_sim.py): pure relevance against relevance + popularity over
   simulated days, click-through and conversion per day.
2. A/B duration: searches and days to call a 5% CTR lift at 95% confidence (80% power), at
   ``--per-day`` searches a day, from the simulation's baseline CTR.
3. Cost: in-process ``SearchService.search`` p50, side by side, without merchandising and with
   every business term and 20 active rules (a tiny random open_clip over ``--products`` real
   products: the merchandising stage does not depend on the model); events ingest through
   POST /api/v1/events in batches of 1,000 into a private redis-server.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.merch_sim import ab_duration, build_world, simulate
from benchmarks.results import write_json
from indexer.catalog import read_catalog

log = logging.getLogger(__name__)


def run_simulation(catalog: str, days: int, per_day: int, seed: int) -> dict[str, Any]:
    products = [e.product for e in read_catalog(catalog).entries]
    world = build_world(products, seed)
    plain = simulate(world, days, per_day, boost=False, seed=seed + 1)
    boosted = simulate(world, days, per_day, boost=True, seed=seed + 1)
    rows = [
        {
            "day": a["day"],
            "ctr_relevance": round(a["ctr"], 4),
            "ctr_popularity": round(b["ctr"], 4),
            "conversion_relevance": round(a["conversion"], 4),
            "conversion_popularity": round(b["conversion"], 4),
        }
        for a, b in zip(plain, boosted, strict=True)
    ]
    last = max(1, days // 2)  # the second half: popularity has had time to learn

    def mean(key: str) -> float:
        return round(statistics.mean(r[key] for r in rows[-last:]), 4)

    return {
        "products": len(products),
        "queries": len(world.queries),
        "days": rows,
        "second_half": {
            k: mean(k)
            for k in ("ctr_relevance", "ctr_popularity", "conversion_relevance", "conversion_popularity")
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.merchandising", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--catalog", default=str(Path(__file__).resolve().parents[1].parent / "shared" / "catalog")
    )
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--per-day", type=int, default=1000)
    parser.add_argument("--products", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-cost", action="store_true")
    parser.add_argument("--json", dest="json_out", type=Path)
    args = parser.parse_args(argv)
    if args.days < 2 or args.per_day < 10 or args.products < 50 or args.rounds < 1:
        parser.error("--days >= 2, --per-day >= 10, --products >= 50, --rounds >= 1")
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    started = time.perf_counter()
    sim = run_simulation(args.catalog, args.days, args.per_day, args.seed)
    print(
        f"simulation: {sim['queries']} queries over {sim['products']} products, {args.per_day} searches a day"
    )
    print("| day | CTR relevance | CTR + popularity | conversion relevance | conversion + popularity |")
    print("|---:|---:|---:|---:|---:|")
    for r in sim["days"]:
        print(
            f"| {r['day']} | {r['ctr_relevance']:.3f} | {r['ctr_popularity']:.3f} | "
            f"{r['conversion_relevance']:.3f} | {r['conversion_popularity']:.3f} |"
        )
    print(f"second half, mean: {sim['second_half']}")
    ab = ab_duration(sim["second_half"]["ctr_relevance"], 0.05, args.per_day, 2000, args.seed)
    print(f"A/B: {ab}")
    result: dict[str, Any] = {"simulation": sim, "ab": ab}
    if not args.skip_cost:
        from benchmarks.merch_cost import measure_cost, measure_ingest

        with tempfile.TemporaryDirectory(prefix="vitrine-merch-") as tmp:
            result["search_cost"] = measure_cost(args.catalog, args.products, args.rounds, Path(tmp))
            print(f"search cost: {result['search_cost']}")
            result["ingest"] = measure_ingest(Path(tmp))
            print(f"events ingest: {result['ingest']}")
    result["seconds"] = round(time.perf_counter() - started, 1)
    write_json(args.json_out, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
