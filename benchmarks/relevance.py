"""Relevance of text search on shopper queries: plain BM25, dense only and Vitrine full.

    python -m benchmarks.relevance --catalog ../shared/catalog [--split val] [--json OUT]
        [--markdown] [--worst N] [--model SPEC] [--queries DIR] [--data-dir DIR] [--limit N]

The queries (``benchmarks/queries/*.jsonl``) are graded from catalog fields
(``benchmarks.relevance_grades``): 2 when every condition holds, 1 for the right kind of
product, 0 otherwise. Every system answers every query in one run; reported per system:

- ``ndcg10``: nDCG@10 with gains 2^grade - 1, the ideal ranking taken from every product.
- ``success5``: share of queries with a grade-2 product in the top 5.
- ``zero_rate``: share of queries answered with no product at all.
- ``brand_at_1``: share of queries naming a brand whose first result is of that brand.
- ``typo_same_top5``: share of typo queries whose top 5 holds the same products as the top 5
  of their correctly spelled twin (order aside; an empty page never counts);
  ``typo1_same_top5`` the same over typos of one edit in a word of 5 or more letters.
- the same figures per kind of query, and every query's top 10 with its grades (``--json``).

With ``--split val`` only the products the shipped model was not trained on are searched
(the validation split of ``benchmarks.quality``). The catalog is indexed into ``--data-dir``
(a temporary folder by default) with the model.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.quality import select_products, warn_if_seen
from benchmarks.relevance_grades import (
    QUERIES_DIR,
    Grader,
    QueryFileError,
    RelevanceQuery,
    TypeInference,
    load_queries,
)
from benchmarks.relevance_metrics import mean, ndcg_at, one_edit_in_long_word, same_top, success_at
from benchmarks.relevance_systems import Bm25System, SearcherSystem, SearchSystem, ServiceSystem
from benchmarks.results import write_json
from encoder import load_encoder
from indexer import (
    CatalogError,
    EdgeStore,
    IndexerError,
    Searcher,
    Settings,
    index_entries,
    read_catalog,
)
from indexer.catalog import CatalogEntry
from indexer.schema import Product
from indexer.search import SearchService

log = logging.getLogger(__name__)
K = 10
TOP = 5
SUMMARY = (("nDCG@10", "ndcg10"), ("success@5", "success5"), ("zero results", "zero_rate"),
           ("brand at rank 1", "brand_at_1"), ("typo: same top 5", "typo_same_top5"),
           ("1-edit typo: same top 5", "typo1_same_top5"))


def select_entries(
    catalog: str | Path, split: str | None, split_file: str | None
) -> tuple[list[CatalogEntry], list[Product]]:
    """The catalog's entries (only those of the validation split with ``split="val"``), and
    every product of the catalog (the grader learns from all titles which type each names)."""
    chosen = {p.id for p in select_products(catalog, split, split_file)}
    entries = read_catalog(catalog).entries
    return [e for e in entries if e.product.id in chosen], [e.product for e in entries]


def run_query(system: SearchSystem, query: RelevanceQuery, grader: Grader,
              all_grades: list[int], index: dict[str, int], brand_here: bool) -> dict[str, Any]:
    """One query through one system: its top ``K`` with grades, and its figures.
    ``brand_here``: the catalog has a product of the brand the query names."""
    started = time.perf_counter()
    top = system.search(query.text, K)
    ms = (time.perf_counter() - started) * 1000
    grades = [all_grades[index[pid]] for pid in top]
    row: dict[str, Any] = {
        "id": query.id, "kind": query.kind, "text": query.text,
        "ndcg10": ndcg_at(grades, all_grades, K), "zero_rate": not top, "ms": round(ms, 2),
        "top": [{"id": pid, "grade": g} for pid, g in zip(top, grades, strict=True)],
    }
    if 2 in all_grades:  # success is only asked of queries the catalog can fully answer
        row["success5"] = success_at(grades, TOP)
    if brand_here:
        row["brand_at_1"] = bool(top) and grader.has_brand(query.brand_check, index[top[0]])
    if query.twin:
        row["twin"] = query.twin
        # two empty pages are not robustness: the shopper saw nothing either way
        row["typo_same_top5"] = bool(top) and same_top(top, system.search(query.twin, TOP), TOP)
        if one_edit_in_long_word(query.text, query.twin):
            row["typo1_same_top5"] = row["typo_same_top5"]
    return row


def summarise(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The figures of SUMMARY over ``rows`` (optional figures over the rows that have them)."""
    out: dict[str, Any] = {"queries": len(rows)}
    for _, key in SUMMARY:
        values = [float(r[key]) for r in rows if key in r]
        out[key] = round(mean(values), 4) if values else None
    return out


def evaluate(systems: Sequence[SearchSystem], queries: Sequence[RelevanceQuery],
             grader: Grader) -> dict[str, Any]:
    """Every query through every system, with overall and per-kind figures."""
    index = {p.id: i for i, p in enumerate(grader.products)}
    grades = {q.id: grader.grades(q) for q in queries}
    unmet = [q.id for q in queries if 2 not in grades[q.id]]
    if unmet:
        log.warning("%d queries have no fully relevant product here (listed in the JSON), e.g. %s",
                    len(unmet), ", ".join(unmet[:5]))
    kinds = sorted({q.kind for q in queries})
    brand_here = {q.id: bool(q.brand_check) and any(grader.has_brand(q.brand_check, i)
                                                    for i in index.values()) for q in queries}
    result: dict[str, Any] = {"products": len(grader.products), "queries": len(queries),
                              "queries_without_match": unmet, "systems": {}}
    for system in systems:
        rows = [run_query(system, q, grader, grades[q.id], index, brand_here[q.id]) for q in queries]
        result["systems"][system.name] = {
            **summarise(rows),
            "ms_per_query": round(mean([r["ms"] for r in rows]), 2),
            "per_kind": {kind: summarise([r for r in rows if r["kind"] == kind]) for kind in kinds},
            "per_query": rows,
        }
    return result


def worst(result: dict[str, Any], system: str, n: int = 10) -> list[dict[str, Any]]:
    """The ``n`` queries with the lowest nDCG@10 for ``system``."""
    rows = result["systems"][system]["per_query"]
    return sorted(rows, key=lambda r: (r["ndcg10"], r["id"]))[:n]


def worst_table(result: dict[str, Any], system: str, n: int = 10) -> str:
    """The ``n`` worst queries of ``system`` with the grades of their top 10."""
    lines = [f"| {system}: query | kind | nDCG@10 | grades |", "|---|---|---:|---|"]
    for row in worst(result, system, n):
        grades = " ".join(str(t["grade"]) for t in row["top"]) or "(no results)"
        lines.append(f"| {row['text']} | {row['kind']} | {row['ndcg10']:.3f} | {grades} |")
    return "\n".join(lines)


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def markdown(result: dict[str, Any]) -> str:
    """The summary table, then nDCG@10 and success@5 per kind, one column per system."""
    names = list(result["systems"])
    systems = result["systems"]
    lines = ["| system | " + " | ".join(label for label, _ in SUMMARY) + " |",
             "|---|" + "---:|" * len(SUMMARY)]
    for name in names:
        lines.append(f"| {name} | " + " | ".join(_fmt(systems[name][key]) for _, key in SUMMARY) + " |")
    kinds = list(systems[names[0]]["per_kind"])
    lines += ["", "| kind (queries) | " + " | ".join(f"{n} nDCG@10 | {n} success@5" for n in names) + " |",
              "|---|" + "---:|" * (2 * len(names))]
    for kind in kinds:
        count = systems[names[0]]["per_kind"][kind]["queries"]
        cells = [f"{_fmt(systems[n]['per_kind'][kind]['ndcg10'])} | "
                 f"{_fmt(systems[n]['per_kind'][kind]['success5'])}" for n in names]
        lines.append(f"| {kind} ({count}) | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def build_systems(entries: Sequence[CatalogEntry], model: str | None, data_dir: Path,
                  device: str | None = None) -> tuple[list[SearchSystem], EdgeStore, str]:
    """BM25 over the products, and the catalog indexed into ``data_dir`` for the dense systems."""
    overrides = {"model": model} if model else {}
    settings = Settings.from_env(**overrides, **({"device": device} if device else {}))
    encoder = load_encoder(settings.model, settings.device, settings.torch_threads)
    store = EdgeStore(data_dir, "relevance")
    started = time.perf_counter()
    report = index_entries(encoder, store, entries, batch_size=settings.batch_size)
    store.optimize()
    log.info("indexed %d (unchanged %d) in %.1fs", report.indexed, report.unchanged,
             time.perf_counter() - started)
    products = [e.product for e in entries]
    # dense: the core's ranking with the model's defaults; vitrine: the search service with the
    # environment's settings, as POST /search runs it
    dense = SearcherSystem("dense", Searcher(encoder, store, Settings(model=settings.model)))
    full = ServiceSystem("vitrine", SearchService(Searcher(encoder, store, settings)))
    return [Bm25System(products), dense, full], store, encoder.model_id


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.relevance",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--catalog", required=True, help="catalog folder (styles.csv + images/)")
    parser.add_argument("--split", choices=["val"], help="only the validation products of the split")
    parser.add_argument("--split-file",
                        help="split.json to use with --split (default: the project's fixed split)")
    parser.add_argument("--queries", type=Path, default=QUERIES_DIR, help="folder of *.jsonl queries")
    parser.add_argument("--model", help="model spec (default: VITRINE_MODEL or the shipped model)")
    parser.add_argument("--device", help="cpu or cuda (default: cuda when present)")
    parser.add_argument("--data-dir", type=Path, help="index here (default: a temporary folder)")
    parser.add_argument("--limit", type=int, help="only the first N products (a quick run)")
    parser.add_argument("--json", dest="json_out", type=Path, help="write the full results here")
    parser.add_argument("--markdown", action="store_true", help="print the README table")
    parser.add_argument("--worst", type=int, default=0, metavar="N",
                        help="also print each system's N worst queries")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    try:
        queries = load_queries(args.queries)
    except QueryFileError as e:
        parser.error(str(e))
    if args.limit is not None and args.limit < 1:
        parser.error("--limit must be at least 1")
    try:
        entries, everything = select_entries(args.catalog, args.split, args.split_file)
    except CatalogError as e:
        parser.error(str(e))
    entries = entries[: args.limit]
    seen = warn_if_seen(args.model or Settings.from_env().model, [e.product for e in entries])
    grader = Grader([e.product for e in entries], TypeInference.learn(everything))
    with tempfile.TemporaryDirectory(prefix="vitrine-relevance-") as tmp:
        try:
            systems, store, model_id = build_systems(entries, args.model, args.data_dir or Path(tmp),
                                                     args.device)
        except IndexerError as e:  # e.g. a --data-dir indexed with another model
            parser.error(str(e))
        try:
            result = evaluate(systems, queries, grader)
        finally:
            store.close()
    result.update(model=model_id, catalog=str(args.catalog), split=args.split or "all",
                  products_seen_in_training=seen)
    print(f"{result['queries']} queries over {result['products']} products"
          + (" (validation split)" if args.split else "") + f", model {model_id}")
    print(markdown(result) if args.markdown else markdown(result).split("\n\n")[0])
    for name in result["systems"] if args.worst > 0 else ():
        print("\n" + worst_table(result, name, args.worst))
    write_json(args.json_out, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
