"""The Qdrant-vs-FAISS benchmark harness, end to end on a few hundred real catalog products."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from benchmarks.ann_compare import make_engines, parse_args, run_dataset
from benchmarks.ann_data import (
    FILTERS,
    Dataset,
    embed_products,
    exact_top_k,
    grow,
    make_queries,
    recall_at_k,
)
from benchmarks.ann_engines import EdgeEngine, FaissEngine, ServerEngine
from benchmarks.ann_harness import COLUMNS, K, ground_truth, measure_engine
from benchmarks.rerank_cost import measure as measure_rerank
from encoder import Encoder
from indexer.catalog import CatalogEntry

GROWN = 600


@pytest.fixture(scope="module")
def base(encoder: Encoder, catalog_entries: list[CatalogEntry]) -> Dataset:
    return embed_products(encoder, [e.product for e in catalog_entries])


@pytest.fixture(scope="module")
def grown(base: Dataset) -> Dataset:
    return grow(base, GROWN, "grown", seed=3)


def test_grown_set_keeps_the_catalog_and_its_payload_mix(base: Dataset, grown: Dataset) -> None:
    assert grown.n == GROWN
    assert np.array_equal(grown.image[: base.n], base.image)
    assert np.allclose(np.linalg.norm(grown.image, axis=1), 1.0, atol=1e-5)
    # Perturbed copies stay near their sources but are not duplicates of them.
    assert len({row.tobytes() for row in grown.image}) > 0.9 * GROWN
    # Filter selectivities stay close to the catalog's (payloads are resampled within sub-category).
    for spec in FILTERS.values():
        assert abs(grown.mask(spec).mean() - base.mask(spec).mean()) < 0.1


def test_harness_end_to_end_writes_results(base: Dataset, grown: Dataset, tmp_path: Path) -> None:
    engine_names = "edge,faiss-flat,faiss-hnsw,faiss-ivfflat"
    options = ["--queries", "20", "--repeats", "1", "--ef", "16,64", "--nprobe", "1,8"]
    args = parse_args([*options, "--engines", engine_names, "--out", str(tmp_path)])
    engines = make_engines(args.engines.split(","), args, tmp_path / "edge")
    rows = run_dataset(grown, base, engines, args, tmp_path)

    with (tmp_path / "ann_grown.csv").open() as fh:
        reader = csv.DictReader(fh)
        assert tuple(reader.fieldnames or ()) == COLUMNS
        assert len(list(reader)) == len(rows)
    assert (tmp_path / "recall_qps_grown.png").stat().st_size > 0
    assert (tmp_path / "latency_selectivity_grown.png").stat().st_size > 0
    assert "| qdrant-edge |" in (tmp_path / "ann_grown.md").read_text()

    assert {r["filter"] for r in rows} == set(FILTERS)
    assert all(0.0 <= r["recall_at_10"] <= 1.0 for r in rows)
    assert all(r["p50_ms"] > 0 and r["p99_ms"] >= r["p50_ms"] for r in rows)
    # Exact search is the reference: FAISS flat finds the exact top 10 under every filter.
    assert all(r["recall_at_10"] == 1.0 for r in rows if r["engine"] == "faiss-flat")
    # Below Qdrant's full-scan threshold Edge answers exactly as well.
    assert all(r["recall_at_10"] == 1.0 for r in rows if r["engine"] == "qdrant-edge")


@pytest.mark.parametrize("kind", ["flat", "hnsw", "ivfflat", "ivf-hybrid"])
def test_faiss_filtered_results_satisfy_the_filter(grown: Dataset, base: Dataset, kind: str) -> None:
    options = {"hnsw": {"M": 16}, "ivf-hybrid": {"exact_below": 0.1}}.get(kind, {})
    engine = FaissEngine("ivfflat" if kind == "ivf-hybrid" else kind, (4,), **options)  # type: ignore[arg-type]
    engine.build(grown)
    queries = make_queries(base, 15)
    for name in ("~50%", "~5%"):
        spec = FILTERS[name]
        ids = engine.search_batch(queries, K, engine.prepare_filter(grown, spec), 4)
        assert (ids >= 0).any()
        assert grown.mask(spec)[ids[ids >= 0]].all()
        if kind == "ivf-hybrid" and name == "~5%":
            # Under its threshold the hybrid scans every list: exact.
            truth, kth = exact_top_k(grown.image, queries, K, grown.mask(spec))
            assert recall_at_k(ids, truth, kth, grown.image, queries) == 1.0


# The client's local mode (the server stand-in) searches exactly and says it ignores hnsw_ef.
@pytest.mark.filterwarnings("ignore:Local mode performs exact:UserWarning")
def test_edge_and_client_agree_with_exact_search(grown: Dataset, base: Dataset, tmp_path: Path) -> None:
    from qdrant_client import QdrantClient

    queries = make_queries(base, 10)
    spec = FILTERS["~5%"]
    truth, _ = exact_top_k(grown.image, queries, K, grown.mask(spec))
    for engine in (
        EdgeEngine(tmp_path, knob_values=(64,)),
        ServerEngine(QdrantClient(":memory:"), knob_values=(64,), wait_s=5),
    ):
        engine.build(grown)
        found = engine.search_batch(queries, K, engine.prepare_filter(grown, spec), 64)
        single = np.stack([engine.search(q, K, engine.prepare_filter(grown, spec), 64) for q in queries])
        engine.close()
        assert np.array_equal(found, single)
        assert grown.mask(spec)[found[found >= 0]].all()
        for f, t in zip(found, truth, strict=True):
            assert set(f[f >= 0].tolist()) == set(t[t >= 0].tolist())


def test_more_candidates_reranked_exactly_keep_exact_search_exact(grown: Dataset, base: Dataset) -> None:
    queries = make_queries(base, 10)
    truths = ground_truth(grown, queries, {"~50%": FILTERS["~50%"]})
    rows = measure_engine(FaissEngine("flat"), grown, queries, truths, repeats=1, candidates=40)
    assert [(r.candidates, r.recall_at_10) for r in rows] == [(40, 1.0)]


def test_rerank_cost_compares_equal_scores(base: Dataset) -> None:
    rows = measure_rerank(base.image, base.text, (50, 200), repeats=2)
    assert [r["candidates"] for r in rows] == [50, 200]
    assert all(r["faiss_us"] > 0 and r["numpy_us"] > 0 for r in rows)
