"""The engines compared: Qdrant Edge, a Qdrant server, and FAISS indexes with ID-selector filters.

Every engine takes the same dataset, builds its index once (timed), then answers
top-k queries with an optional filter at one value of its search knob (``ef`` or
``nprobe``). Filters are the benchmark's ``{field: [values]}`` form; FAISS has no
payloads, so its filter is a bitmap over ids computed from the payload codes
(``faiss.IDSelectorBitmap``), built once per filter as an application would cache it.
"""

from __future__ import annotations

import math
import shutil
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import faiss
import numpy as np
import qdrant_edge as qe

from benchmarks.ann_data import PAYLOAD_FIELDS, Dataset

VECTOR = "image"
UPSERT_BATCH = 2_000
FULL_SCAN_KB = 10_000
"""Qdrant's default full_scan_threshold (KB of vectors): a segment, or a filtered subset,
smaller than this is scanned exactly instead of walked as a graph (10k points at dim 256)."""


class Engine(Protocol):
    """What the harness needs from an engine."""

    name: str
    setting: str
    knob: str
    knob_values: Sequence[int]

    def build(self, ds: Dataset) -> float:
        """Index ``ds``; return the seconds it took."""

    def memory_bytes(self) -> int:
        """Bytes the index holds for the vectors (see each engine for what is counted)."""

    def prepare_filter(self, ds: Dataset, spec: dict[str, list[str]]) -> Any:
        """The engine's form of a filter, built once and reused by every query."""

    def search(self, query: np.ndarray, k: int, flt: Any, knob: int) -> np.ndarray:
        """Ids of the top ``k`` for one query (-1 pads)."""

    def search_batch(self, queries: np.ndarray, k: int, flt: Any, knob: int) -> np.ndarray:
        """Ids for many queries at once, shape ``(len(queries), k)``."""

    def close(self) -> None:
        """Release files and memory."""


# ---------------------------------------------------------------------------- FAISS


class FaissEngine:
    """A FAISS index over inner product (cosine on unit vectors), filtered by an id bitmap."""

    def __init__(
        self, kind: str, knob_values: Sequence[int] = (), *, exact_below: float = 0.0, **options: int
    ) -> None:
        """``exact_below`` (IVF only): for filters passing fewer than this share of products,
        probe every list, which with the id bitmap is an exact scan of just the matching
        products: the usual way round FAISS's weak recall under selective filters."""
        self.kind = kind
        self.options = options
        self.exact_below = exact_below
        self.knob_values = tuple(knob_values) or (0,)
        self.knob = {"hnsw": "efSearch", "ivfflat": "nprobe", "ivfpq": "nprobe"}.get(kind, "-")
        self.index: faiss.Index | None = None
        self.name = f"faiss-{kind}" + ("-hybrid" if exact_below else "")
        self.setting = ",".join(f"{k}={v}" for k, v in options.items()) or "exact"

    def _make(self, ds: Dataset) -> faiss.Index:
        d = ds.dim
        if self.kind == "flat":
            return faiss.IndexFlatIP(d)
        if self.kind == "hnsw":
            index = faiss.IndexHNSWFlat(d, self.options.get("M", 32), faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = self.options.get("efC", 100)
            return index
        nlist = self.options.get("nlist") or ivf_nlist(ds.n)
        self.options["nlist"] = nlist
        quantizer = faiss.IndexFlatIP(d)
        if self.kind == "ivfflat":
            return faiss.IndexIVFFlat(quantizer, d, nlist, faiss.METRIC_INNER_PRODUCT)
        if self.kind == "ivfpq":
            m = self.options.get("pq_m") or d // 8
            self.options["pq_m"] = m
            return faiss.IndexIVFPQ(quantizer, d, nlist, m, 8, faiss.METRIC_INNER_PRODUCT)
        raise ValueError(f"unknown FAISS index kind {self.kind!r}")

    def build(self, ds: Dataset) -> float:
        started = time.perf_counter()
        index = self._make(ds)
        if not index.is_trained:
            nlist = self.options["nlist"]
            # FAISS wants >= 39 points per centroid; more only slows training down.
            sample = np.random.default_rng(0).choice(ds.n, size=min(ds.n, 50 * nlist), replace=False)
            index.train(np.ascontiguousarray(ds.image[np.sort(sample)]))
        index.add(np.ascontiguousarray(ds.image))
        self.index = index
        self.setting = ",".join(f"{k}={v}" for k, v in self.options.items()) or "exact"
        if self.exact_below:
            self.setting += f",exact<{100 * self.exact_below:g}%"
        return time.perf_counter() - started

    def memory_bytes(self) -> int:
        # The serialized index is what it holds in RAM: vectors/codes, graph or lists.
        return int(faiss.serialize_index(self.index).size)

    def prepare_filter(self, ds: Dataset, spec: dict[str, list[str]]) -> Any:
        if not spec:
            return None
        mask = ds.mask(spec)
        bits = np.packbits(mask, bitorder="little")
        sel = faiss.IDSelectorBitmap(ds.n, faiss.swig_ptr(bits))
        return (sel, bits, float(mask.mean()))  # the bitmap must live as long as the selector

    def _params(self, flt: Any, knob: int) -> faiss.SearchParameters | None:
        sel = flt[0] if flt is not None else None
        if self.kind == "hnsw":
            return faiss.SearchParametersHNSW(efSearch=knob, sel=sel)
        if self.kind in ("ivfflat", "ivfpq"):
            if flt is not None and flt[2] < self.exact_below:
                knob = self.options["nlist"]
            return faiss.SearchParametersIVF(nprobe=knob, sel=sel)
        return faiss.SearchParameters(sel=sel) if sel is not None else None

    def search(self, query: np.ndarray, k: int, flt: Any, knob: int) -> np.ndarray:
        return self.search_batch(query[None, :], k, flt, knob)[0]

    def search_batch(self, queries: np.ndarray, k: int, flt: Any, knob: int) -> np.ndarray:
        _, ids = self.index.search(queries, k, params=self._params(flt, knob))
        return ids

    def close(self) -> None:
        self.index = None


def ivf_nlist(n: int) -> int:
    """Inverted lists for n vectors: the usual 4 * sqrt(n), at least 8."""
    return max(8, int(4 * math.sqrt(n)))


# ---------------------------------------------------------------------- Qdrant Edge


def dir_bytes(path: Path, skip: tuple[str, ...] = ("wal",)) -> int:
    """Bytes allocated under ``path`` (like ``du``: mmap files are preallocated sparse, so their
    apparent size overstates them), leaving out the write-ahead log (a write buffer, not index)."""
    total = 0
    for p in path.rglob("*"):
        if p.is_file() and not any(part in skip for part in p.relative_to(path).parts):
            total += p.stat().st_blocks * 512
    return total


class EdgeEngine:
    """Qdrant Edge in-process: HNSW plus payload indexes on the filter fields.

    With ``quantization`` the shard also keeps int8 scalar-quantized vectors in RAM;
    searches traverse them and rescore the top candidates on the original vectors.
    """

    name = "qdrant-edge"
    knob = "hnsw_ef"

    def __init__(
        self,
        root: Path,
        *,
        m: int = 16,
        ef_construct: int = 100,
        quantization: bool = False,
        knob_values: Sequence[int] = (16, 32, 64, 128, 256),
        oversampling: float = 2.0,
        full_scan_kb: int = FULL_SCAN_KB,
        acorn: bool = False,
    ) -> None:
        self.m, self.ef_construct, self.quantization = m, ef_construct, quantization
        self.acorn = acorn
        self.oversampling = oversampling
        self.full_scan_kb = full_scan_kb
        self.knob_values = tuple(knob_values)
        self.setting = f"m={m},efC={ef_construct}"
        if full_scan_kb != FULL_SCAN_KB:
            self.setting += f",fullscan={full_scan_kb}KB"
        if quantization:
            self.setting += ",sq-int8"
        if acorn:
            self.setting += ",acorn"
        self.path = root / ("edge-" + self.setting.replace(",", "-").replace("=", ""))
        self.shard: qe.EdgeShard | None = None

    def _config(self, dim: int) -> qe.EdgeConfig:
        quant = (
            qe.ScalarQuantizationConfig(type=qe.ScalarType.Int8, quantile=0.99, always_ram=True)
            if self.quantization
            else None
        )
        return qe.EdgeConfig(
            vectors={VECTOR: qe.EdgeVectorParams(size=dim, distance=qe.Distance.Cosine)},
            hnsw_config=qe.HnswIndexConfig(
                m=self.m, ef_construct=self.ef_construct, full_scan_threshold=self.full_scan_kb
            ),
            quantization_config=quant,
            # Index every segment, however small: the catalog (8.5k x 256 x 4 B) sits below
            # Qdrant's default 10 MB threshold and would otherwise be brute-forced.
            optimizers=qe.EdgeOptimizersConfig(indexing_threshold=1),
        )

    def build(self, ds: Dataset) -> float:
        if self.path.exists():
            shutil.rmtree(self.path)
        started = time.perf_counter()
        shard = qe.EdgeShard.create(str(self.path), self._config(ds.dim))
        for field in PAYLOAD_FIELDS[:3]:
            shard.update(qe.UpdateOperation.create_field_index(field, qe.PayloadSchemaType.Keyword))
        for start in range(0, ds.n, UPSERT_BATCH):
            stop = min(start + UPSERT_BATCH, ds.n)
            rows = ds.image[start:stop].tolist()
            points = [
                qe.Point(id=i, vector={VECTOR: rows[i - start]}, payload=ds.payload(i))
                for i in range(start, stop)
            ]
            shard.update(qe.UpdateOperation.upsert_points(points))
        shard.optimize()
        shard.flush()
        self.shard = shard
        return time.perf_counter() - started

    def memory_bytes(self) -> int:
        # Segment files (vectors, quantized vectors, HNSW graph, payload + indexes), not the WAL.
        return dir_bytes(self.path)

    def prepare_filter(self, ds: Dataset, spec: dict[str, list[str]]) -> Any:
        if not spec:
            return None
        must: list[Any] = [
            qe.FieldCondition(key=f, match=qe.MatchValue(v[0]) if len(v) == 1 else qe.MatchAny(v))
            for f, v in spec.items()
        ]
        return qe.Filter(must=must)

    @property
    def _acorn(self) -> qe.AcornSearchParams | None:
        # ACORN widens filtered graph search (it also follows neighbours of neighbours that
        # fail the filter); max_selectivity 1.0 lets it act on every filter, even the ~50% one.
        return qe.AcornSearchParams(enable=True, max_selectivity=1.0) if self.acorn else None

    def _request(self, query: np.ndarray, k: int, flt: Any, knob: int) -> qe.QueryRequest:
        quant = (
            qe.QuantizationSearchParams(rescore=True, oversampling=self.oversampling)
            if self.quantization
            else None
        )
        return qe.QueryRequest(
            limit=k,
            query=qe.Query.Nearest(query.tolist(), using=VECTOR),
            filter=flt,
            params=qe.SearchParams(hnsw_ef=knob, quantization=quant, acorn=self._acorn),
            with_payload=False,
            with_vector=False,
        )

    def search(self, query: np.ndarray, k: int, flt: Any, knob: int) -> np.ndarray:
        hits = self.shard.query(self._request(query, k, flt, knob))
        return _pad([int(h.id) for h in hits], k)

    def search_batch(self, queries: np.ndarray, k: int, flt: Any, knob: int) -> np.ndarray:
        batch = qe.QueryBatchRequest([self._request(q, k, flt, knob) for q in queries])
        return np.stack([_pad([int(h.id) for h in hits], k) for hits in self.shard.query_batch(batch)])

    def close(self) -> None:
        if self.shard is not None:
            self.shard.close()
            self.shard = None


def _pad(ids: list[int], k: int) -> np.ndarray:
    out = np.full(k, -1, dtype=np.int64)
    out[: len(ids)] = ids[:k]
    return out


# ------------------------------------------------------------------- Qdrant server


class ServerEngine:
    """A Qdrant server (or any ``QdrantClient``) through qdrant-client, configured like Edge."""

    name = "qdrant-server"
    knob = "hnsw_ef"

    def __init__(
        self,
        client: Any,
        *,
        collection: str = "vitrine_bench",
        m: int = 16,
        ef_construct: int = 100,
        quantization: bool = False,
        knob_values: Sequence[int] = (16, 32, 64, 128, 256),
        wait_s: float = 3600.0,
    ) -> None:
        self.client, self.collection = client, collection
        self.m, self.ef_construct, self.quantization = m, ef_construct, quantization
        self.knob_values = tuple(knob_values)
        self.wait_s = wait_s
        self.setting = f"m={m},efC={ef_construct}" + (",sq-int8" if quantization else "")

    def build(self, ds: Dataset) -> float:
        from qdrant_client import models

        if self.client.collection_exists(self.collection):
            self.client.delete_collection(self.collection)
        started = time.perf_counter()
        quant = (
            models.ScalarQuantization(
                scalar=models.ScalarQuantizationConfig(
                    type=models.ScalarType.INT8, quantile=0.99, always_ram=True
                )
            )
            if self.quantization
            else None
        )
        self.client.create_collection(
            self.collection,
            vectors_config={VECTOR: models.VectorParams(size=ds.dim, distance=models.Distance.COSINE)},
            hnsw_config=models.HnswConfigDiff(m=self.m, ef_construct=self.ef_construct),
            optimizers_config=models.OptimizersConfigDiff(indexing_threshold=1),
            quantization_config=quant,
        )
        for field in PAYLOAD_FIELDS[:3]:
            self.client.create_payload_index(self.collection, field, models.PayloadSchemaType.KEYWORD)
        for start in range(0, ds.n, UPSERT_BATCH):
            stop = min(start + UPSERT_BATCH, ds.n)
            self.client.upsert(
                self.collection,
                points=models.Batch(
                    ids=list(range(start, stop)),
                    vectors={VECTOR: ds.image[start:stop].tolist()},
                    payloads=[ds.payload(i) for i in range(start, stop)],
                ),
                wait=True,
            )
        # The server indexes in the background: the build ends when the collection is green.
        deadline = time.monotonic() + self.wait_s
        while time.monotonic() < deadline:
            status = self.client.get_collection(self.collection).status
            if str(getattr(status, "value", status)).lower() == "green":
                break
            time.sleep(0.5)
        return time.perf_counter() - started

    def memory_bytes(self) -> int:
        return 0  # not observable through the API; read the server's telemetry instead

    def prepare_filter(self, ds: Dataset, spec: dict[str, list[str]]) -> Any:
        from qdrant_client import models

        if not spec:
            return None
        must: list[Any] = [
            models.FieldCondition(
                key=f, match=models.MatchValue(value=v[0]) if len(v) == 1 else models.MatchAny(any=v)
            )
            for f, v in spec.items()
        ]
        return models.Filter(must=must)

    def _params(self, knob: int) -> Any:
        from qdrant_client import models

        quant = models.QuantizationSearchParams(rescore=True, oversampling=2.0) if self.quantization else None
        return models.SearchParams(hnsw_ef=knob, quantization=quant)

    def search(self, query: np.ndarray, k: int, flt: Any, knob: int) -> np.ndarray:
        res = self.client.query_points(
            self.collection,
            query=query.tolist(),
            using=VECTOR,
            query_filter=flt,
            search_params=self._params(knob),
            limit=k,
            with_payload=False,
        )
        return _pad([int(p.id) for p in res.points], k)

    def search_batch(self, queries: np.ndarray, k: int, flt: Any, knob: int) -> np.ndarray:
        from qdrant_client import models

        requests = [
            models.QueryRequest(
                query=q.tolist(),
                using=VECTOR,
                filter=flt,
                params=self._params(knob),
                limit=k,
                with_payload=False,
            )
            for q in queries
        ]
        responses = self.client.query_batch_points(self.collection, requests=requests)
        return np.stack([_pad([int(p.id) for p in r.points], k) for r in responses])

    def close(self) -> None:
        if self.client.collection_exists(self.collection):
            self.client.delete_collection(self.collection)
