"""Suggestion acceptance in process, on a split of its own (docs/discovery.md):

the relevance benchmark's queries sorted by id, *without* every 7th (the held-out queries of
``benchmarks.suggest``, left untouched for its final figure), fall in two folds by their
position: ``dev`` (position mod 7 in 1..3: what the suggestions were looked at against while
building them) and ``test`` (4..6: read only to report). For each query of a fold, its first 4
letters are looked up in the suggestion index, and it is a hit when one of the top 3 is the
query itself or returns the same top product as the query (the search service, k=1), as in
``benchmarks.suggest`` but without the browser and HTTP.

Three modes per fold: ``vocabulary`` (nothing in the query log: the catalog's vocabulary
alone), ``log`` (the other fold's queries in the log as past searches of 3 shoppers each, as
``benchmarks.suggest`` logs its past queries: the fold's own queries are never searched) and
``in-log`` (both folds' queries in the log, as ``benchmarks.suggest --held-in-log``).

    python -m benchmarks.relevance --catalog ../shared/catalog --split val --data-dir /tmp/vitrine-relevance
    python -m benchmarks.suggest_split --data-dir /tmp/vitrine-relevance [--fold dev|test|both] [--misses]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from benchmarks.relevance_grades import QUERIES_DIR, load_queries
from benchmarks.results import write_json
from encoder import load_encoder
from indexer import EdgeStore, Searcher, Settings
from indexer.search import SearchRequest, SearchService
from indexer.search.catalog_facts import CatalogFacts
from indexer.search.suggest import PastQuery, SuggestIndex, build_index

BENCHMARK_EVERY = 7  # benchmarks.suggest holds out every 7th query: never used here
PREFIX = 4
FOLDS = {"dev": (1, 2, 3), "test": (4, 5, 6)}


def folds() -> dict[str, list[str]]:
    queries = sorted(load_queries(QUERIES_DIR), key=lambda q: q.id)
    return {name: [q.text for i, q in enumerate(queries) if i % BENCHMARK_EVERY in rests]
            for name, rests in FOLDS.items()}


def acceptance(index: SuggestIndex, queries: Sequence[str],
               top: Callable[[str], str | None]) -> dict[str, Any]:
    rows = []
    for text in queries:
        if len(text) < PREFIX:
            continue
        shown = [s.text for s in index.lookup(text[:PREFIX])[:3]]
        wanted = top(text)
        same = next((s for s in shown if s.casefold() == text.casefold()), None)
        if same is None:
            same = next((s for s in shown if top(s) == wanted), None)
        rows.append({"query": text, "typed": text[:PREFIX], "top3": shown, "accepted": same})
    hits = sum(r["accepted"] is not None for r in rows)
    return {"queries": len(rows), "accepted": hits, "rate": round(hits / max(1, len(rows)), 3), "rows": rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.suggest_split",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True, help="the relevance benchmark's data dir")
    parser.add_argument("--collection", default="relevance")
    parser.add_argument("--fold", choices=["dev", "test", "both"], default="both")
    parser.add_argument("--misses", action="store_true", help="print every miss")
    parser.add_argument("--json", dest="json_out", type=Path)
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    store = EdgeStore(args.data_dir, args.collection)
    try:
        encoder = load_encoder(settings.model, settings.device, settings.torch_threads)
        service = SearchService(Searcher(encoder, store, settings))
        facts = CatalogFacts.from_store(store)
        cache: dict[str, str | None] = {}

        def top(text: str) -> str | None:
            if text not in cache:
                hits = service.search(SearchRequest(text=text, k=1, facets=False)).result.hits
                cache[text] = hits[0].id if hits else None
            return cache[text]

        split = folds()
        result: dict[str, Any] = {}
        for name in ("dev", "test") if args.fold == "both" else (args.fold,):
            other = [q for n, qs in split.items() if n != name for q in qs]
            logged = [PastQuery(q, searches=3, shoppers=3) for q in other]
            everything = [PastQuery(q, searches=3, shoppers=3) for qs in split.values() for q in qs]
            for mode, past in (("vocabulary", []), ("log", logged), ("in-log", everything)):
                found = acceptance(build_index(facts, past, 3), split[name], top)
                result[f"{name}/{mode}"] = found
                print(f"{name:4} {mode:10} {found['accepted']:3}/{found['queries']} = {found['rate']:.1%}")
                for r in found["rows"] if args.misses else ():
                    if r["accepted"] is None:
                        print(f"    MISS {r['typed']!r} -> {r['top3']} (wanted {r['query']!r})")
    finally:
        store.close()
    write_json(args.json_out, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
