"""Runs engines over a dataset: build once, then every filter x search-knob value, timed.

Timing rules (the project's): everything compared is measured in one run, side by
side; single-query latencies and batched throughput are medians over ``repeats``.
Single-query timings run FAISS on one OpenMP thread; batched timings give FAISS
``batch_threads`` threads and Qdrant Edge one ``query_batch`` call.
"""

from __future__ import annotations

import logging
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import faiss
import numpy as np

from benchmarks.ann_data import FILTERS, Dataset, exact_top_k, recall_at_k
from benchmarks.ann_engines import Engine

log = logging.getLogger(__name__)

K = 10


@dataclass
class Row:
    """One measured point: an engine at one knob value under one filter."""

    dataset: str
    n: int
    dim: int
    model: str
    engine: str
    setting: str
    knob: str
    knob_value: int
    candidates: int
    filter: str
    selectivity: float
    recall_at_10: float
    qps_single: float
    qps_batch: float
    p50_ms: float
    p99_ms: float
    build_s: float
    bytes_per_product: float
    queries: int
    repeats: int


COLUMNS = tuple(Row.__dataclass_fields__)


@dataclass
class Truth:
    """A filter's mask and exact top-k for the query set."""

    name: str
    spec: dict[str, list[str]]
    mask: np.ndarray
    ids: np.ndarray
    kth: np.ndarray

    @property
    def selectivity(self) -> float:
        return float(self.mask.mean())


def ground_truth(
    ds: Dataset, queries: np.ndarray, filters: dict[str, dict[str, list[str]]] = FILTERS
) -> list[Truth]:
    """Exact top-k per filter by brute force (numpy), the reference every engine is scored on."""
    out = []
    for name, spec in filters.items():
        mask = ds.mask(spec)
        ids, kth = exact_top_k(ds.image, queries, K, None if not spec else mask)
        out.append(Truth(name, spec, mask, ids, kth))
    return out


def rerank_exact(vectors: np.ndarray, query: np.ndarray, ids: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` best of ``ids`` by exact inner product, as the product's re-ranking step
    orders candidates (-1 pads kept at the end)."""
    valid = ids[ids >= 0]
    out = np.full(k, -1, dtype=np.int64)
    if valid.size:
        best = valid[np.argsort(-(vectors[valid] @ query), kind="stable")[:k]]
        out[: best.size] = best
    return out


def _time_single(
    engine: Engine, vectors: np.ndarray, queries: np.ndarray, flt: object, knob: int, candidates: int
) -> tuple[np.ndarray, list[float]]:
    found = np.empty((queries.shape[0], K), dtype=np.int64)
    lat = []
    for i, q in enumerate(queries):
        t0 = time.perf_counter()
        ids = engine.search(q, candidates, flt, knob)
        found[i] = ids if candidates == K else rerank_exact(vectors, q, ids, K)
        lat.append(time.perf_counter() - t0)
    return found, lat


def measure_engine(
    engine: Engine,
    ds: Dataset,
    queries: np.ndarray,
    truths: Sequence[Truth],
    *,
    repeats: int = 3,
    batch_threads: int = 2,
    candidates: int = K,
    on_row: Callable[[Row], None] | None = None,
) -> list[Row]:
    """Build ``engine`` on ``ds`` and measure it at each of its knob values under each filter.

    With ``candidates`` > 10 each search asks for that many results and keeps the 10 best
    by exact score, timed together: the shape of the product's candidate search (it asks
    for at least 100 per vector) followed by its exact re-ranking.
    """
    faiss.omp_set_num_threads(batch_threads)  # builds may use the cores they have
    build_s = engine.build(ds)
    per_product = engine.memory_bytes() / ds.n
    log.info("%s %s built in %.1f s, %.0f B/product", engine.name, engine.setting, build_s, per_product)
    rows = []
    for truth in truths:
        flt = engine.prepare_filter(ds, truth.spec)
        for knob in engine.knob_values:
            faiss.omp_set_num_threads(1)
            for q in queries[:5]:  # warm-up: first calls pay one-off allocations
                engine.search(q, candidates, flt, knob)
            p50s, p99s, qps1, qpsb = [], [], [], []
            found = None
            for _ in range(repeats):
                faiss.omp_set_num_threads(1)
                found, lat = _time_single(engine, ds.image, queries, flt, knob, candidates)
                p50s.append(float(np.percentile(lat, 50)) * 1e3)
                p99s.append(float(np.percentile(lat, 99)) * 1e3)
                qps1.append(len(lat) / sum(lat))
                faiss.omp_set_num_threads(batch_threads)
                t0 = time.perf_counter()
                ids = engine.search_batch(queries, candidates, flt, knob)
                if candidates != K:
                    ids = np.stack(
                        [rerank_exact(ds.image, q, row, K) for q, row in zip(queries, ids, strict=True)]
                    )
                qpsb.append(queries.shape[0] / (time.perf_counter() - t0))
            row = Row(
                dataset=ds.name,
                n=ds.n,
                dim=ds.dim,
                model=ds.model,
                engine=engine.name,
                setting=engine.setting,
                knob=engine.knob,
                knob_value=int(knob),
                candidates=candidates,
                filter=truth.name,
                selectivity=round(truth.selectivity, 5),
                recall_at_10=round(recall_at_k(found, truth.ids, truth.kth, ds.image, queries), 4),
                qps_single=round(statistics.median(qps1), 1),
                qps_batch=round(statistics.median(qpsb), 1),
                p50_ms=round(statistics.median(p50s), 3),
                p99_ms=round(statistics.median(p99s), 3),
                build_s=round(build_s, 2),
                bytes_per_product=round(per_product, 1),
                queries=int(queries.shape[0]),
                repeats=repeats,
            )
            rows.append(row)
            if on_row:
                on_row(row)
    faiss.omp_set_num_threads(batch_threads)
    engine.close()
    return rows


def as_dicts(rows: Sequence[Row]) -> list[dict]:
    return [asdict(r) for r in rows]
