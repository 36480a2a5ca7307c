"""Choosing the fusion and its weights with the relevance benchmark (validation split).

    python -m benchmarks.fusion_grid --catalog ../shared/catalog --split val [--data-dir DIR]
        [--json OUT] [--top N]

Each query of the relevance benchmark (and each typo's correctly spelled twin) is read and its
candidates gathered once, with their four terms (``s_image``, ``s_text``, ``s_keyword``,
``s_attributes``: ``HybridRanker.pool``); then every weighting of a small grid is fused, for
both fusions (``weighted``; ``rrf`` with k 10 and 60), and scored on nDCG@10, success@5, brand
at rank 1 and typo robustness. Weights are on a 0.1 grid and sum to 1. The best by nDCG@10 (then
success@5) is printed, and so is a two-fold check of it: the queries split in halves by a hash
of their id, weights chosen on one half and measured on the other, to see how much of the gain
is fitted to these queries.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import logging
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.relevance import select_entries
from benchmarks.relevance_grades import QUERIES_DIR, Grader, RelevanceQuery, TypeInference, load_queries
from benchmarks.relevance_metrics import mean, ndcg_at, one_edit_in_long_word, same_top, success_at
from benchmarks.results import write_json
from encoder import load_encoder
from indexer import EdgeStore, Searcher, Settings, index_entries
from indexer.search.encoding import encode_query
from indexer.search.fusion import TERMS, Fusion
from indexer.search.model import Query
from indexer.search.reading import read_query

log = logging.getLogger(__name__)
K = 10
STEP = 0.1


@dataclass(frozen=True)
class Pool:
    ids: list[str]
    terms: dict[str, np.ndarray]


def weightings(step: float = STEP) -> list[dict[str, float]]:
    """Every weighting of the four terms on a ``step`` grid, summing to 1, text weight > 0."""
    n = round(1 / step)
    out = []
    for parts in itertools.product(range(n + 1), repeat=len(TERMS)):
        if sum(parts) == n and parts[1] > 0:
            out.append({t: round(p * step, 2) for t, p in zip(TERMS, parts, strict=True)})
    return out


def fusions() -> list[Fusion]:
    out = []
    for weights in weightings():
        out.append(Fusion("weighted", weights))
        out += [Fusion("rrf", weights, k) for k in (10, 60)]
    return out


def gather_pools(searcher: Searcher, texts: Sequence[str], limit: int) -> dict[str, Pool]:
    """Each text's candidates and terms, read as the service reads it (boost mode)."""
    facts = searcher.facts.get()
    keywords = searcher.settings.keyword_candidates if searcher.keywords_on() else 0
    pools = {}
    for text in dict.fromkeys(texts):
        reading = read_query(text, facts)
        vector, _ = encode_query(searcher.query_encoder, Query(text=reading.search_text), 0.0)
        ids, terms = searcher.hybrid.pool(vector, reading, keywords, limit)
        pools[text] = Pool(ids, terms)
    return pools


def top(pool: Pool, fusion: Fusion, k: int) -> list[str]:
    score = fusion.fuse(pool.terms)
    order = np.argsort(-score, kind="stable")[:k]
    return [pool.ids[i] for i in order]


def evaluate(fusion: Fusion, queries: Sequence[RelevanceQuery], pools: dict[str, Pool],
             grades: dict[str, list[int]], index: dict[str, int], grader: Grader) -> dict[str, float]:
    ndcg, success, brand, typo1 = [], [], [], []
    for q in queries:
        ranked = top(pools[q.text], fusion, K)
        g = [grades[q.id][index[pid]] for pid in ranked]
        ndcg.append(ndcg_at(g, grades[q.id], K))
        if 2 in grades[q.id]:
            success.append(success_at(g, 5))
        if q.brand_check and ranked:
            brand.append(float(grader.has_brand(q.brand_check, index[ranked[0]])))
        if q.twin and one_edit_in_long_word(q.text, q.twin):
            typo1.append(float(same_top(ranked, top(pools[q.twin], fusion, 5), 5)))
    return {"ndcg10": mean(ndcg), "success5": mean(success), "brand_at_1": mean(brand),
            "typo1_same_top5": mean(typo1)}


def best(results: list[tuple[Fusion, dict[str, float]]]) -> tuple[Fusion, dict[str, float]]:
    return max(results, key=lambda r: (round(r[1]["ndcg10"], 4), r[1]["success5"]))


def describe(fusion: Fusion) -> dict[str, Any]:
    return {"method": fusion.method, "weights": fusion.weights,
            "rrf_k": fusion.rrf_k if fusion.method == "rrf" else None}


def half(query_id: str) -> int:
    return hashlib.sha256(query_id.encode()).digest()[0] % 2


def run(searcher: Searcher, queries: list[RelevanceQuery], grader: Grader, top_n: int) -> dict[str, Any]:
    index = {p.id: i for i, p in enumerate(grader.products)}
    grades = {q.id: grader.grades(q) for q in queries}
    limit = max(searcher.settings.candidates, searcher.settings.oversample * K)
    pools = gather_pools(searcher, [q.text for q in queries] + [q.twin for q in queries if q.twin], limit)
    candidates = fusions()
    results = [(f, evaluate(f, queries, pools, grades, index, grader)) for f in candidates]
    ranked = sorted(results, key=lambda r: (-round(r[1]["ndcg10"], 4), -r[1]["success5"]))
    by_method = {m: describe(best([r for r in results if r[0].method == m])[0]) | {
        "figures": best([r for r in results if r[0].method == m])[1]} for m in ("weighted", "rrf")}
    folds = []
    for train in (0, 1):
        fit = [q for q in queries if half(q.id) == train]
        held = [q for q in queries if half(q.id) != train]
        chosen = best([(f, evaluate(f, fit, pools, grades, index, grader)) for f in candidates])[0]
        folds.append({"chosen_on": f"half {train}", **describe(chosen),
                      "fit": evaluate(chosen, fit, pools, grades, index, grader),
                      "held_out": evaluate(chosen, held, pools, grades, index, grader)})
    return {"configurations": len(candidates), "queries": len(queries),
            "best": describe(ranked[0][0]) | {"figures": ranked[0][1]}, "best_per_method": by_method,
            "top": [describe(f) | {"figures": m} for f, m in ranked[:top_n]], "two_fold": folds}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.fusion_grid",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--catalog", required=True)
    parser.add_argument("--split", choices=["val"])
    parser.add_argument("--data-dir", type=Path, help="index here (default: a temporary folder)")
    parser.add_argument("--queries", type=Path, default=QUERIES_DIR)
    parser.add_argument("--json", dest="json_out", type=Path)
    parser.add_argument("--top", type=int, default=10, help="print the N best configurations")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    queries = load_queries(args.queries)
    entries, everything = select_entries(args.catalog, args.split, None)
    grader = Grader([e.product for e in entries], TypeInference.learn(everything))
    settings = Settings.from_env()
    encoder = load_encoder(settings.model, settings.device, settings.torch_threads)
    with tempfile.TemporaryDirectory(prefix="vitrine-fusion-") as tmp:
        store = EdgeStore(args.data_dir or Path(tmp), "relevance")
        try:
            index_entries(encoder, store, entries, batch_size=settings.batch_size)
            store.optimize()
            result = run(Searcher(encoder, store, settings), queries, grader, args.top)
        finally:
            store.close()
    print(f"{result['configurations']} configurations, {result['queries']} queries")
    for row in result["top"]:
        f = row["figures"]
        print(f"{row['method']:8} k={row['rrf_k']!s:4} {row['weights']}  nDCG@10 {f['ndcg10']:.3f}  "
              f"success@5 {f['success5']:.3f}  brand@1 {f['brand_at_1']:.3f}  "
              f"typo1 {f['typo1_same_top5']:.3f}")
    for m, row in result["best_per_method"].items():
        print(f"best {m}: {row['weights']} k={row['rrf_k']} nDCG@10 {row['figures']['ndcg10']:.3f}")
    for fold in result["two_fold"]:
        print(f"chosen on {fold['chosen_on']}: {fold['method']} {fold['weights']} fit nDCG@10 "
              f"{fold['fit']['ndcg10']:.3f}, held-out {fold['held_out']['ndcg10']:.3f}")
    write_json(args.json_out, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
