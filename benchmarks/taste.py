"""How much the personal taste term moves results toward a shopper's taste.

    python -m benchmarks.taste --catalog ../shared/catalog [--model SPEC] [--products 1500]
        [--favorites 10] [--weights 0.1,0.25,0.5] [--data-dir DIR] [--json OUT]

A simulated shopper favourites ``--favorites`` black casual products (colour Black,
occasion Casual), added over the last ten days. For each neutral query ("shirt",
"shoes", ... no colour, no occasion) the top 10 is taken from ``Searcher.search``
without the taste term and with it (``indexer.search.taste.apply_taste`` at each weight, over
the same top-``POOL`` hits the API re-ranks). Reported per weight: the mean share of
black casual products in the top 10 (the favourites themselves left out), the
catalog's base rate, and how much of the plain top 10 stays (the query still matters).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from encoder import load_encoder
from indexer import EdgeStore, Query, Searcher, Settings, index_entries, read_catalog
from indexer.search import Hit
from indexer.search.model import POOL
from indexer.search.taste import TASTE_WEIGHT, apply_taste, build_taste

QUERIES = ("shirt", "t-shirt", "shoes", "watch", "bag", "jeans", "top", "sandals", "cap", "shorts",
           "jacket", "socks", "belt", "sunglasses", "kurta", "trousers")
TOP = 10


def black_casual(colour: str | None, occasion: str | None) -> bool:
    return (colour or "").casefold() == "black" and (occasion or "").casefold() == "casual"


def share(hits: list[Hit], exclude: set[str]) -> float:
    """Share of black casual products in the top TOP of ``hits`` once ``exclude`` is removed."""
    top = [h for h in hits if h.id not in exclude][:TOP]
    return sum(black_casual(h.product.colour, h.product.occasion) for h in top) / max(1, len(top))


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--catalog", type=Path, default=Path("../shared/catalog"))
    parser.add_argument("--model", default=None, help="model spec (default: VITRINE_MODEL)")
    parser.add_argument("--products", type=int, default=1500,
                        help="catalog products indexed (a seeded sample)")
    parser.add_argument("--favorites", type=int, default=10)
    parser.add_argument("--weights", default=f"0.1,{TASTE_WEIGHT},0.5")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", type=Path, default=None, help="keep the index here (re-used next run)")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)

    settings = Settings.from_env()
    encoder = load_encoder(args.model or settings.model, settings.device, settings.torch_threads)
    rng = random.Random(args.seed)
    entries = read_catalog(args.catalog).entries
    entries = rng.sample(entries, min(args.products, len(entries)))
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="vitrine-taste-"))
    store = EdgeStore(data_dir, "taste")
    t0 = time.perf_counter()
    index_entries(encoder, store, entries, batch_size=settings.batch_size)
    index_s = time.perf_counter() - t0
    searcher = Searcher(encoder, store, settings)

    candidates = [str(e.product.id) for e in entries if black_casual(e.product.colour, e.product.occasion)]
    base_rate = len(candidates) / len(entries)
    now = time.time()
    liked = rng.sample(candidates, min(args.favorites, len(candidates)))
    favorites = [(pid, now - i * 86400.0) for i, pid in enumerate(liked)]  # one a day, newest first
    taste = build_taste(store, favorites, [], now)
    if taste is None:
        raise SystemExit("no black casual product was indexed; raise --products")
    exclude = set(liked)

    weights = [float(w) for w in args.weights.split(",") if w.strip()]
    rows = []
    for text in QUERIES:
        hits = searcher.search(Query(text=text, k=POOL)).hits
        plain_top = {h.id for h in [h for h in hits if h.id not in exclude][:TOP]}
        row: dict[str, Any] = {"query": text, "without": share(hits, exclude)}
        for w in weights:
            ranked = apply_taste(store, hits, taste, w)
            top = [h.id for h in ranked if h.id not in exclude][:TOP]
            row[f"with_{w:g}"] = share(ranked, exclude)
            row[f"kept_{w:g}"] = len(plain_top & set(top)) / max(1, len(plain_top))
        rows.append(row)
    store.close()

    summary = {
        "model": encoder.model_id, "products": len(entries), "favorites": len(liked),
        "base_rate": round(base_rate, 4), "index_s": round(index_s, 1), "queries": len(QUERIES),
        "without": round(statistics.mean(r["without"] for r in rows), 4),
        "with": {f"{w:g}": round(statistics.mean(r[f"with_{w:g}"] for r in rows), 4) for w in weights},
        "kept_of_plain_top10": {f"{w:g}": round(statistics.mean(r[f"kept_{w:g}"] for r in rows), 4)
                                for w in weights},
        "per_query": rows,
    }
    print(f"model {summary['model']}, {len(entries)} products, {len(liked)} black casual favourites, "
          f"base rate {base_rate:.1%}")
    header = "| query | without | " + " | ".join(f"w={w:g}" for w in weights) + " |"
    print(header)
    print("|" + "---|" * (2 + len(weights)))
    for r in rows:
        cells = " | ".join(f"{r[f'with_{w:g}']:.0%}" for w in weights)
        print(f"| {r['query']} | {r['without']:.0%} | {cells} |")
    print(f"| **mean** | **{summary['without']:.1%}** | "
          + " | ".join(f"**{summary['with'][f'{w:g}']:.1%}**" for w in weights) + " |")
    kept = summary["kept_of_plain_top10"]
    print("plain top-10 kept: " + ", ".join(f"w={k}: {v:.0%}" for k, v in kept.items()))
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2))
    return summary


if __name__ == "__main__":
    main(sys.argv[1:])
