"""How brands derived from titles come out on a catalog, for a person to check.

    python -m benchmarks.brand_derivation --catalog ../shared/catalog [--sample 200] [--seed 17]

Learns the brand list from the catalog's titles (indexer.understanding.brands), then prints
the coverage (titles given a brand), every brand with its title count, and a random sample
of titles beside their derived brand: the sample is what docs/understanding.md reports as
checked by hand.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

from indexer import read_catalog
from indexer.understanding import brand_from_title, learn_brands


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", type=Path, required=True)
    parser.add_argument("--sample", type=int, default=200)
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args(argv)
    titles = [p.title for p in read_catalog(args.catalog).products]
    brands = learn_brands(titles)
    derived = [brand_from_title(t, brands) for t in titles]
    covered = sum(b is not None for b in derived)
    share = covered / len(titles)
    print(f"{covered}/{len(titles)} titles given a brand ({share:.2%}); {len(brands.names)} brands")
    print("without a brand:", [t for t, b in zip(titles, derived, strict=True) if b is None][:20])
    ranked = sorted(brands.counts.items(), key=lambda kv: (-kv[1], kv[0]))
    print("brands:", ", ".join(f"{brands.names[key]} ({count})" for key, count in ranked))
    print(f"\nrandom sample of {args.sample} (seed {args.seed}): brand | title")
    for title in random.Random(args.seed).sample(titles, min(args.sample, len(titles))):
        print(f"{brand_from_title(title, brands)!s:28} | {title}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
