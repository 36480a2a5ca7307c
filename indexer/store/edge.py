"""The embedded backend: Qdrant Edge (the Qdrant engine in-process) in a data directory."""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import qdrant_edge as qe

from encoder.threads import cpu_threads
from indexer.errors import ModelMismatchError, StoreError
from indexer.filters import FilterSpec
from indexer.schema import INDEXED_FIELDS, point_id
from indexer.store.aliases import edge_root, resolve_edge_alias, write_edge_alias
from indexer.store.change_log import ChangeLog, Mark
from indexer.store.edge_queries import EdgeQueries, edge_filter
from indexer.store.keywords import KEYWORD_MODEL, KEYWORDS, touches_keywords
from indexer.store.product_ids import ProductIds
from indexer.store.protocol import (
    IMAGE,
    TEXT,
    VECTOR_NAMES,
    VERSION_FIELD,
    CollectionInfo,
    StoredPoint,
    in_request_order,
    stored_point,
)

log = logging.getLogger(__name__)

META_FILE = "vitrine.json"
_INDEX_TYPES = {
    "keyword": qe.PayloadSchemaType.Keyword,
    "integer": qe.PayloadSchemaType.Integer,
    "float": qe.PayloadSchemaType.Float,
    "bool": qe.PayloadSchemaType.Bool,
}
HNSW_EF_CONSTRUCT = 100
FULL_SCAN_THRESHOLD_KB = 10_000  # Qdrant's default: below it a filtered search scans exactly




class EdgeStore(EdgeQueries):
    """A collection as a Qdrant Edge shard at ``data_dir/edge/<collection>``.

    Writes go through Qdrant's write-ahead log and are flushed before ``upsert``
    returns, so an acknowledged write survives a crash of this process.
    """

    backend = "qdrant-edge"

    def __init__(
        self, data_dir: str | Path, collection: str = "products", *, physical: str | None = None,
        hnsw_m: int = 32, search_threads: int = 0,
    ) -> None:
        self.hnsw_m = hnsw_m
        # Qdrant's default pool (one thread per core) searches segments in parallel; a
        # catalog-sized shard has one or two segments, so the extra threads mostly cost CPU
        # that the request threads on the other core need.
        self.search_threads = cpu_threads(search_threads)
        self.data_dir = Path(data_dir)
        self.name = collection
        self.physical = physical or resolve_edge_alias(data_dir, collection)
        self.path = edge_root(data_dir) / self.physical
        self._meta_path = self.path / META_FILE
        self._lock = threading.RLock()
        self._shard: qe.EdgeShard | None = None
        self._meta: dict[str, Any] = {}
        # This process writes the shard, so it can tell searchers what it rewrote (change_log.py).
        self.changes = ChangeLog()
        self.product_ids = ProductIds()
        if self._meta_path.is_file():
            self._meta = json.loads(self._meta_path.read_text(encoding="utf-8"))
            self._open_existing()

    def _open_existing(self) -> None:
        try:
            self._shard = qe.EdgeShard.load(str(self.path), self._config())
        except Exception as e:  # the binding raises plain exceptions with Qdrant's message
            raise StoreError(f"cannot open the embedded store at {self.path}: {e}") from e

    def _config(
        self, dim: int | None = None, hnsw: qe.HnswIndexConfig | None = None, keywords: bool | None = None,
    ) -> qe.EdgeConfig:
        """The shard's configuration; on load, only the search pool is set (the rest is kept).
        A shard created before the keyword vector is opened without it."""
        dim = dim or int(self._meta["dim"])
        vectors = {name: qe.EdgeVectorParams(size=dim, distance=qe.Distance.Cosine) for name in VECTOR_NAMES}
        keywords = self.has_keywords() if keywords is None else keywords
        sparse = {KEYWORDS: qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf)} if keywords else None
        return qe.EdgeConfig(vectors=vectors, sparse_vectors=sparse, hnsw_config=hnsw,
                             max_search_threads=self.search_threads)

    def has_keywords(self) -> bool:
        """Whether the collection has the ``keywords`` vector (one created before it has not:
        ``vitrine reindex`` rebuilds it with one)."""
        return bool(self._meta.get("keywords"))

    @property
    def shard(self) -> qe.EdgeShard:
        if self._shard is None:
            raise StoreError(
                f"no collection at {self.path}; index a catalog first (vitrine index --catalog DIR)"
            )
        return self._shard

    def ensure_collection(self, dim: int, model: str, spec: str | None = None) -> None:
        with self._lock:
            if self._shard is not None:
                if self._meta.get("dim") != dim or self._meta.get("model") != model:
                    raise ModelMismatchError(
                        f"the collection at {self.path} holds vectors of model "
                        f"{self._meta.get('model')} (dim {self._meta.get('dim')}), not {model} "
                        f"(dim {dim}); use another VITRINE_COLLECTION or data directory, or "
                        "rebuild it with `vitrine index --recreate`"
                    )
                return
            self.path.mkdir(parents=True, exist_ok=True)
            hnsw = qe.HnswIndexConfig(m=self.hnsw_m, ef_construct=HNSW_EF_CONSTRUCT,
                                      full_scan_threshold=FULL_SCAN_THRESHOLD_KB)
            self._shard = qe.EdgeShard.create(str(self.path), self._config(dim, hnsw, keywords=True))
            for name, kind in INDEXED_FIELDS.items():
                self._shard.update(qe.UpdateOperation.create_field_index(name, _INDEX_TYPES[kind]))
            self._shard.flush()
            # The meta file is written last: its presence means the shard is complete.
            self._meta = {"dim": dim, "model": model, "model_spec": spec, "keywords": True}
            tmp = self._meta_path.with_suffix(".tmp")
            tmp.write_text(json.dumps(self._meta), encoding="utf-8")
            tmp.replace(self._meta_path)

    def info(self) -> CollectionInfo:
        points = self.count() if self._shard is not None else 0
        return CollectionInfo(
            points=points,
            dim=self._meta.get("dim"),
            model=self._meta.get("model"),
            model_spec=self._meta.get("model_spec"),
            backend=self.backend,
            location=str(self.path),
            keywords=self.has_keywords(),
        )

    def _point(self, p: StoredPoint) -> qe.Point:
        vector: dict[str, Any] = {IMAGE: p.image.tolist(), TEXT: p.text.tolist()}  # type: ignore[union-attr]
        keywords = KEYWORD_MODEL.document(p.payload) if self.has_keywords() else None
        if keywords:  # a product without indexable words has no keyword vector at all
            vector[KEYWORDS] = keywords.to_edge()
        return qe.Point(id=point_id(p.product_id), vector=vector, payload=p.payload)

    def upsert(self, points: Sequence[StoredPoint]) -> None:
        if not points:
            return
        with self._lock, self._recording(point_id(p.product_id) for p in points):
            self.shard.update(qe.UpdateOperation.upsert_points([self._point(p) for p in points]))
            self.shard.flush()

    def upsert_versioned(self, points: Sequence[StoredPoint]) -> None:
        if not points:
            return
        # Some may lose to a newer version and change nothing: forgetting them is harmless.
        with self._lock, self._recording(point_id(p.product_id) for p in points):
            for p in points:
                seq = p.payload[VERSION_FIELD]
                older = qe.Filter(
                    should=[
                        qe.IsEmptyCondition(key=VERSION_FIELD),
                        qe.FieldCondition(key=VERSION_FIELD, range=qe.RangeFloat(lt=seq)),
                    ]
                )
                self.shard.update(qe.UpdateOperation.upsert_points([self._point(p)], condition=older))
            self.shard.flush()

    def delete(self, product_ids: Sequence[str]) -> None:
        if not product_ids:
            return
        ids = [point_id(i) for i in product_ids]
        with self._lock, self._recording(ids):
            self.shard.update(qe.UpdateOperation.delete_points(ids))
            self.shard.flush()

    def set_payload(self, product_id: str, values: dict[str, Any]) -> None:
        pid = point_id(product_id)
        with self._lock, self._recording([pid]):  # searchers may hold its payload
            self.shard.update(qe.UpdateOperation.set_payload([pid], values))
            if self.has_keywords() and touches_keywords(values):
                # The keyword vector is made of payload fields: it follows their edit.
                records = self.shard.retrieve([pid], with_payload=True, with_vector=False)
                if records:
                    vector = KEYWORD_MODEL.document(dict(records[0].payload or {})).to_edge()
                    points = [qe.PointVectors(pid, {KEYWORDS: vector})]
                    self.shard.update(qe.UpdateOperation.update_vectors(points))
            self.shard.flush()

    @contextlib.contextmanager
    def _recording(self, point_ids: Iterable[str]) -> Iterator[None]:
        """Note a write in the change log once it is done, or once it failed: a write that
        raised may have applied part of its points."""
        ids = list(point_ids)
        try:
            yield
        finally:
            self.changes.record(ids)

    def get(self, product_ids: Sequence[str], with_vectors: bool = False) -> list[StoredPoint]:
        if not product_ids:
            return []
        records = self.shard.retrieve(
            [point_id(i) for i in product_ids], with_payload=True, with_vector=with_vectors
        )
        return in_request_order([stored_point(r) for r in records], product_ids)

    def count(self, filters: FilterSpec | None = None) -> int:
        return int(self.shard.count(qe.CountRequest(exact=True, filter=edge_filter(filters))))

    def changes_since(self, mark: Mark | None) -> tuple[Mark, list[str] | None]:
        """The current mark and the point ids written after ``mark`` (see ``ChangeLog.since``)."""
        return self.changes.since(mark)

    def get_points(self, point_ids: Sequence[str]) -> list[StoredPoint]:
        """The stored points among ``point_ids`` with their vectors and the payload fields a
        vector cache keeps (``id``, ``content_hash``)."""
        if not point_ids:
            return []
        records = self.shard.retrieve(list(point_ids), with_payload=["id", "content_hash"], with_vector=True)
        return [stored_point(r) for r in records]

    def scroll(self, batch_size: int = 256, with_vectors: bool = False) -> Iterator[list[StoredPoint]]:
        offset = None
        while True:
            records, offset = self.shard.scroll(
                qe.ScrollRequest(offset=offset, limit=batch_size, with_payload=True, with_vector=with_vectors)
            )
            if records:
                yield [stored_point(r) for r in records]
            if offset is None:
                return

    def sibling(self, physical: str) -> EdgeStore:
        """Another physical collection of the same data directory (for re-indexing)."""
        return EdgeStore(self.data_dir, self.name, physical=physical, hnsw_m=self.hnsw_m,
                         search_threads=self.search_threads)

    def current_target(self) -> str:
        return resolve_edge_alias(self.data_dir, self.name)

    def switch_alias(self, target: str) -> None:
        write_edge_alias(self.data_dir, self.name, target)

    def facets(self, field_name: str, filters: FilterSpec, limit: int = 50) -> dict[Any, int]:
        response = self.shard.facet(
            qe.FacetRequest(key=field_name, limit=limit, exact=True, filter=edge_filter(filters))
        )
        return {hit.value: int(hit.count) for hit in response.hits}

    def optimize(self) -> None:
        with self._lock:
            self.shard.optimize()
            self.shard.flush()

    def drop(self) -> None:
        with self._lock:
            self.close()
            self._meta = {}
            self.changes = ChangeLog()  # a new collection may reuse this name: nothing carries over
            if self.path.exists():
                shutil.rmtree(self.path)

    def close(self) -> None:
        with self._lock:
            if self._shard is not None:
                self._shard.flush()
                self._shard.close()
                self._shard = None
