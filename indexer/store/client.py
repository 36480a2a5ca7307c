"""The server backend: a Qdrant server or cluster through ``qdrant-client``.

``QdrantClient(":memory:")`` speaks the same API in-process and stands in for a
server in tests; it is never the embedded default (its filters run in Python).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from typing import Any

from qdrant_client import QdrantClient, models
from qdrant_client.http.exceptions import ResponseHandlingException, UnexpectedResponse

from indexer.errors import ModelMismatchError, StoreError
from indexer.filters import FilterSpec
from indexer.schema import INDEXED_FIELDS, point_id
from indexer.store.client_queries import ClientQueries, client_filter
from indexer.store.keywords import KEYWORD_MODEL, KEYWORDS, touches_keywords
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

_INDEX_TYPES = {
    "keyword": models.PayloadSchemaType.KEYWORD,
    "integer": models.PayloadSchemaType.INTEGER,
    "float": models.PayloadSchemaType.FLOAT,
    "bool": models.PayloadSchemaType.BOOL,
}


class ClientStore(ClientQueries):
    """A collection on a Qdrant server (``url``) or in ``qdrant-client``'s local mode."""

    backend = "qdrant-server"

    def __init__(
        self,
        url: str | None = None,
        *,
        api_key: str | None = None,
        collection: str = "products",
        client: QdrantClient | None = None,
        timeout: int = 30,
        physical: str | None = None,
        shards: int = 1,
        replication_factor: int = 1,
        hnsw_m: int = 32,
    ) -> None:
        self.hnsw_m = hnsw_m
        self.name = collection
        self.shards = shards
        self.replication_factor = replication_factor
        self.location = url or ":memory:"
        self.client = client or QdrantClient(url=url, api_key=api_key, timeout=timeout)
        if url is None and client is not None:
            self.backend = "qdrant-client-local"
        self.physical = physical or self.current_target()
        self._keywords: bool | None = None  # read from the collection once it exists

    @property
    def collection(self) -> str:
        return self.physical

    def current_target(self) -> str:
        """The collection the alias ``name`` points at; the name itself when it is a collection."""
        aliases = self._call("read aliases", self.client.get_aliases).aliases
        for alias in aliases:
            if alias.alias_name == self.name:
                return str(alias.collection_name)
        if self._call("check the collection", self.client.collection_exists, self.name):
            return self.name
        # Not created yet: the collection gets a versioned name and `name` becomes its alias,
        # so that a later re-index can switch the alias atomically.
        return f"{self.name}-{int(time.time())}"

    def _has_alias(self) -> bool:
        aliases = self._call("read aliases", self.client.get_aliases).aliases
        return any(a.alias_name == self.name for a in aliases)

    def switch_alias(self, target: str) -> None:
        ops: list[Any] = []
        if self._has_alias():
            ops.append(models.DeleteAliasOperation(delete_alias=models.DeleteAlias(alias_name=self.name)))
        ops.append(
            models.CreateAliasOperation(
                create_alias=models.CreateAlias(collection_name=target, alias_name=self.name)
            )
        )
        # Qdrant applies the list in one atomic step: readers never see the name unbound.
        self._call("switch the alias", self.client.update_collection_aliases, change_aliases_operations=ops)

    def sibling(self, physical: str) -> ClientStore:
        return ClientStore(
            client=self.client, collection=self.name, physical=physical, shards=self.shards,
            replication_factor=self.replication_factor, hnsw_m=self.hnsw_m,
        )

    def scroll(self, batch_size: int = 256, with_vectors: bool = False) -> Iterator[list[StoredPoint]]:
        offset = None
        while True:
            records, offset = self._call(
                "scroll", self.client.scroll, self.collection, limit=batch_size, offset=offset,
                with_payload=True, with_vectors=with_vectors,
            )
            if records:
                yield [stored_point(r) for r in records]
            if offset is None:
                return

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (ResponseHandlingException, UnexpectedResponse, ConnectionError) as e:
            raise StoreError(f"Qdrant at {self.location} failed to {what}: {e}") from e

    def _exists(self) -> bool:
        return bool(self._call("check the collection", self.client.collection_exists, self.collection))

    def _meta(self) -> dict[str, Any]:
        info = self._call("read the collection", self.client.get_collection, self.collection)
        return dict(getattr(info.config, "metadata", None) or {})

    def ensure_collection(self, dim: int, model: str, spec: str | None = None) -> None:
        if self._exists():
            meta = self._meta()
            if meta.get("dim") != dim or meta.get("model") != model:
                raise ModelMismatchError(
                    f"collection {self.collection} at {self.location} holds vectors of model "
                    f"{meta.get('model')} (dim {meta.get('dim')}), not {model} (dim {dim})"
                )
            return
        params = {n: models.VectorParams(size=dim, distance=models.Distance.COSINE) for n in VECTOR_NAMES}
        try:
            self._call(
                "create the collection",
                self.client.create_collection,
                self.collection,
                vectors_config=params,
                sparse_vectors_config={KEYWORDS: models.SparseVectorParams(modifier=models.Modifier.IDF)},
                shard_number=self.shards,
                hnsw_config=models.HnswConfigDiff(m=self.hnsw_m),
                replication_factor=self.replication_factor,
                metadata={"dim": dim, "model": model, "model_spec": spec},
            )
        except (StoreError, ValueError):
            # Several workers race to create it on their first write: the loser (409 from a
            # server, ValueError in local mode) checks what the winner created instead.
            if not self._exists():
                raise
            self.ensure_collection(dim, model, spec)
            return
        for name, kind in INDEXED_FIELDS.items():
            self._call(
                "create a payload index",
                self.client.create_payload_index,
                self.collection,
                field_name=name,
                field_schema=_INDEX_TYPES[kind],
                wait=True,
            )
        self._keywords = True
        if self.physical != self.name and not self._has_alias():
            self.switch_alias(self.physical)  # the first collection: bind the name to it

    def has_keywords(self) -> bool:
        """Whether the collection has the ``keywords`` sparse vector (one created before it has
        not: ``vitrine reindex`` rebuilds it with one)."""
        if self._keywords is None:
            if not self._exists():
                return False
            info = self._call("read the collection", self.client.get_collection, self.collection)
            self._keywords = KEYWORDS in (info.config.params.sparse_vectors or {})
        return self._keywords

    def info(self) -> CollectionInfo:
        if not self._exists():
            return CollectionInfo(
                points=0, dim=None, model=None, backend=self.backend, location=self.location
            )
        meta = self._meta()
        return CollectionInfo(
            points=self.count(),
            dim=meta.get("dim"),
            model=meta.get("model"),
            model_spec=meta.get("model_spec"),
            backend=self.backend,
            location=f"{self.location} / {self.name} -> {self.collection}",
            keywords=self.has_keywords(),
        )

    def _struct(self, p: StoredPoint) -> models.PointStruct:
        vector: dict[str, Any] = {IMAGE: p.image.tolist(), TEXT: p.text.tolist()}  # type: ignore[union-attr]
        keywords = KEYWORD_MODEL.document(p.payload) if self.has_keywords() else None
        if keywords:  # a product without indexable words has no keyword vector at all
            vector[KEYWORDS] = models.SparseVector(**keywords.to_dict())
        return models.PointStruct(id=point_id(p.product_id), vector=vector, payload=p.payload)

    def upsert(self, points: Sequence[StoredPoint]) -> None:
        if not points:
            return
        structs = [self._struct(p) for p in points]
        self._call("upsert", self.client.upsert, self.collection, points=structs, wait=True)

    def upsert_versioned(self, points: Sequence[StoredPoint]) -> None:
        # One request per point: the version condition differs from point to point.
        for p in points:
            older = models.Filter(
                should=[
                    models.IsEmptyCondition(is_empty=models.PayloadField(key=VERSION_FIELD)),
                    models.FieldCondition(key=VERSION_FIELD, range=models.Range(lt=p.payload[VERSION_FIELD])),
                ]
            )
            self._call(
                "upsert", self.client.upsert, self.collection, points=[self._struct(p)], wait=True,
                update_filter=older,
            )

    def delete(self, product_ids: Sequence[str]) -> None:
        if not product_ids:
            return
        selector = models.PointIdsList(points=[point_id(i) for i in product_ids])
        self._call("delete", self.client.delete, self.collection, points_selector=selector, wait=True)

    def set_payload(self, product_id: str, values: dict[str, Any]) -> None:
        self._call(
            "update a payload",
            self.client.set_payload,
            self.collection,
            payload=values,
            points=[point_id(product_id)],
            wait=True,
        )
        if self.has_keywords() and touches_keywords(values):
            # The keyword vector is made of payload fields: it follows their edit.
            for point in self.get([product_id]):
                sparse = models.SparseVector(**KEYWORD_MODEL.document(point.payload).to_dict())
                update = models.PointVectors(id=point_id(product_id), vector={KEYWORDS: sparse})
                self._call("update a keyword vector", self.client.update_vectors, self.collection,
                           points=[update], wait=True)

    def get(self, product_ids: Sequence[str], with_vectors: bool = False) -> list[StoredPoint]:
        if not product_ids:
            return []
        records = self._call(
            "retrieve",
            self.client.retrieve,
            self.collection,
            ids=[point_id(i) for i in product_ids],
            with_payload=True,
            with_vectors=with_vectors,
        )
        return in_request_order([stored_point(r) for r in records], product_ids)

    def count(self, filters: FilterSpec | None = None) -> int:
        result = self._call(
            "count", self.client.count, self.collection, count_filter=client_filter(filters), exact=True
        )
        return int(result.count)

    def facets(self, field_name: str, filters: FilterSpec, limit: int = 50) -> dict[Any, int]:
        response = self._call(
            "facet",
            self.client.facet,
            self.collection,
            key=field_name,
            facet_filter=client_filter(filters),
            limit=limit,
            exact=True,
        )
        return {hit.value: int(hit.count) for hit in response.hits}

    def optimize(self) -> None:
        """The server optimises in the background; nothing to do."""

    def drop(self) -> None:
        if self._exists():
            self._call("delete the collection", self.client.delete_collection, self.collection)

    def close(self) -> None:
        self.client.close()
