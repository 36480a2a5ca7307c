"""Which keyword document ranks best: the shipped one against the alternatives it was chosen over.

    python -m benchmarks.keyword_document --catalog ../shared/catalog [--json OUT]

Indexes the sample catalog's fully tagged products (those with an article type, so that every
query below can be graded from the catalog's fields) into one Qdrant Edge shard per document
variant, each a sparse BM25 vector with ``modifier: idf`` made by ``indexer.store.keywords``'s
model, and reports keyword-only nDCG@10 over shopper queries graded from the fields (2: every
stated condition holds; 1: the product type holds) and the p50 time of one keyword query.

Variants: ``shipped`` (title, then each distinct attribute value once), ``all_fields`` (title
and every field, a value shared by two fields twice), ``binary`` (each word once), ``title``
(the title alone), ``fields`` (the attribute values alone).
"""

from __future__ import annotations

import argparse
import math
import statistics
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import qdrant_edge as qe

from benchmarks.results import write_json
from indexer import read_catalog
from indexer.store.keywords import DOCUMENT_FIELDS, KEYWORD_MODEL, keyword_document, normalise

Conditions = dict[str, tuple[str, ...]]
# (query, conditions); the last condition names the product type (grade 1 alone).
QUERIES: tuple[tuple[str, Conditions], ...] = (
    ("puma tshirt", {"brand": ("Puma",), "article_type": ("Tshirts",)}),
    ("nike shoes", {"brand": ("Nike",), "sub_category": ("Shoes",)}),
    ("fastrack watch", {"brand": ("Fastrack",), "article_type": ("Watches",)}),
    ("reebok sports shoes", {"brand": ("Reebok",), "article_type": ("Sports Shoes",)}),
    ("esprit watch", {"brand": ("Esprit",), "article_type": ("Watches",)}),
    ("united colors of benetton shirt",
     {"brand": ("United Colors of Benetton",), "article_type": ("Shirts",)}),
    ("black watch", {"colour": ("Black",), "article_type": ("Watches",)}),
    ("red tshirt", {"colour": ("Red",), "article_type": ("Tshirts",)}),
    ("blue jeans", {"colour": ("Blue",), "article_type": ("Jeans",)}),
    ("navy blue tshirt", {"colour": ("Navy Blue",), "article_type": ("Tshirts",)}),
    ("grey track pants", {"colour": ("Grey",), "article_type": ("Track Pants",)}),
    ("pink top", {"colour": ("Pink",), "article_type": ("Tops",)}),
    ("white shirt men", {"colour": ("White",), "gender": ("Men",), "article_type": ("Shirts",)}),
    ("women handbags", {"gender": ("Women",), "article_type": ("Handbags",)}),
    ("men casual shoes", {"gender": ("Men",), "article_type": ("Casual Shoes",)}),
    ("kurta for women", {"gender": ("Women",), "article_type": ("Kurtas",)}),
    ("belt for men", {"gender": ("Men",), "article_type": ("Belts",)}),
    ("winter jacket", {"season": ("Winter",), "article_type": ("Jackets",)}),
    ("summer dress", {"season": ("Summer",), "article_type": ("Dresses",)}),
    ("sports tshirt", {"occasion": ("Sports",), "article_type": ("Tshirts",)}),
    ("sports shoes", {"article_type": ("Sports Shoes",)}),
    ("formal shoes", {"article_type": ("Formal Shoes",)}),
    ("flip flops", {"article_type": ("Flip Flops",)}),
    ("sunglasses", {"article_type": ("Sunglasses",)}),
    ("wallet", {"article_type": ("Wallets",)}),
    ("heels", {"article_type": ("Heels",)}),
    ("socks", {"article_type": ("Socks",)}),
    ("backpack", {"article_type": ("Backpacks",)}),
    ("perfume", {"sub_category": ("Fragrance",)}),
    ("t-shirt", {"article_type": ("Tshirts",)}),
)


def _all_fields(payload: Mapping[str, Any]) -> str:
    return normalise(" ; ".join(str(payload[f]) for f in DOCUMENT_FIELDS if payload.get(f)))


def _binary(payload: Mapping[str, Any]) -> str:
    return " ".join(dict.fromkeys(keyword_document(payload).lower().split()))


VARIANTS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "shipped": keyword_document,
    "all_fields": _all_fields,
    "binary": _binary,
    "title": lambda p: normalise(str(p.get("title") or "")),
    "fields": lambda p: normalise(" ; ".join(str(p[f]) for f in DOCUMENT_FIELDS[1:] if p.get(f))),
}


def grade(payload: Mapping[str, Any], conditions: Conditions) -> int:
    held = [payload.get(name) in values for name, values in conditions.items()]
    return 2 if all(held) else 1 if held[-1] else 0


def ndcg10(grades: list[int], ideal: list[int]) -> float:
    def dcg(gs: list[int]) -> float:
        return sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(gs[:10]))

    best = dcg(sorted(ideal, reverse=True))
    return dcg(grades) / best if best else 0.0


def _shard(directory: Path, payloads: list[dict[str, Any]], document: Callable[..., str]) -> qe.EdgeShard:
    sparse = {"keywords": qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf)}
    shard = qe.EdgeShard.create(str(directory), qe.EdgeConfig(vectors={}, sparse_vectors=sparse))
    points = []
    for i, payload in enumerate(payloads):
        vector = KEYWORD_MODEL.document_text(document(payload)).to_edge()
        points.append(qe.Point(id=i, vector={"keywords": vector}, payload={"id": payload["id"]}))
    shard.update(qe.UpdateOperation.upsert_points(points))
    shard.optimize()
    return shard


def evaluate(shard: qe.EdgeShard, payloads: list[dict[str, Any]]) -> tuple[dict[str, float], float]:
    scores, times = {}, []
    for text, conditions in QUERIES:
        query = KEYWORD_MODEL.query(text).to_edge()
        start = time.perf_counter()
        hits = shard.query(qe.QueryRequest(limit=10, query=qe.Query.Nearest(query, using="keywords")))
        times.append(time.perf_counter() - start)
        grades = [grade(payloads[int(h.id)], conditions) for h in hits]
        scores[text] = ndcg10(grades, [grade(p, conditions) for p in payloads])
    return scores, statistics.median(times) * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", type=Path, required=True)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    payloads = [p.to_payload() for p in read_catalog(args.catalog).products if p.article_type]
    report: dict[str, Any] = {"products": len(payloads), "queries": len(QUERIES), "variants": {}}
    print(f"{len(payloads)} tagged products, {len(QUERIES)} queries")
    with tempfile.TemporaryDirectory() as tmp:
        for name, document in VARIANTS.items():
            shard = _shard(Path(tmp) / name, payloads, document)
            scores, p50_ms = evaluate(shard, payloads)
            shard.close()
            mean = statistics.mean(scores.values())
            report["variants"][name] = {"ndcg10": round(mean, 4), "query_p50_ms": round(p50_ms, 3),
                                        "per_query": {q: round(s, 3) for q, s in scores.items()}}
            print(f"{name:<11} nDCG@10 {mean:.3f}   query p50 {p50_ms:.3f} ms")
    if args.json:
        write_json(args.json, report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
