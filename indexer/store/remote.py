"""``RemoteStore``: the embedded store as served by a store host (indexer/store_host.py), for
processes that do not own the shard (the workers of ``vitrine serve --workers N``)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from indexer.errors import StoreError
from indexer.filters import FilterSpec
from indexer.store.change_log import CandidateIds, Mark
from indexer.store.protocol import CollectionInfo, StoredPoint
from indexer.store.wire import NEXT, OPEN, PING, SCROLL, pack_points, receive, send, unpack_points

CONNECT_TIMEOUT_S = 5.0
# Long enough for an optimize after a bulk load; a search answers in milliseconds.
CALL_TIMEOUT_S = 600.0


class HostUnreachable(StoreError):
    """No store host answers on the socket (not started yet, or gone)."""


class HostConnection:
    """One connection per thread to the host (requests on a connection are answered in order)."""

    def __init__(self, socket_path: str | Path) -> None:
        self.socket_path = str(socket_path)
        self._local = threading.local()
        self._open: set[socket.socket] = set()  # every thread's, so that close() ends them all
        self._open_lock = threading.Lock()

    def _socket(self) -> socket.socket:
        sock = getattr(self._local, "sock", None)
        if sock is None:
            sock = self._connect()
            sock.settimeout(CALL_TIMEOUT_S)
            self._local.sock = sock
            with self._open_lock:
                self._open.add(sock)
        return sock

    def _connect(self) -> socket.socket:
        deadline = time.monotonic() + CONNECT_TIMEOUT_S
        while True:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(CONNECT_TIMEOUT_S)
            try:
                sock.connect(self.socket_path)
                return sock
            except OSError as e:
                sock.close()
                if isinstance(e, BlockingIOError) and time.monotonic() < deadline:
                    time.sleep(0.01)  # the host's backlog is full for a moment: try again
                    continue
                raise HostUnreachable(f"the store host at {self.socket_path} is not answering: {e}") from e

    def _drop(self) -> None:
        sock = getattr(self._local, "sock", None)
        self._local.sock = None
        if sock is not None:
            with self._open_lock:
                self._open.discard(sock)
            sock.close()

    def call(self, request: tuple[Any, ...]) -> Any:
        """Send one request and return its answer, raising the error the host raised.

        Every store operation is idempotent (writes overwrite by point id), so a request whose
        connection broke (the host restarted) is sent once more on a new connection.
        """
        for attempt in (1, 2):
            try:
                sock = self._socket()
                send(sock, request)
                status, value = receive(sock)
                break
            except StoreError:
                raise
            except OSError as e:  # WireError is a ConnectionError
                self._drop()
                if attempt == 2:
                    raise StoreError(f"the store host at {self.socket_path} failed: {e}") from e
        if status == "error":
            raise value
        return value

    def close(self) -> None:
        """Close every thread's connection (a thread that calls again reconnects)."""
        with self._open_lock:
            sockets, self._open = self._open, set()
        for sock in sockets:
            sock.close()
        self._local = threading.local()


class RemoteStore:
    """A collection of the embedded store, reached through the host that owns it."""

    backend = "qdrant-edge"

    def __init__(self, socket_path: str | Path, collection: str = "products", *,
                 physical: str | None = None) -> None:
        self.socket_path = Path(socket_path)
        self.name = collection
        self._conn = HostConnection(socket_path)
        # Resolved by the host once, like EdgeStore pins its physical shard when opened.
        self.physical = physical or self._open()

    def _open(self) -> str:
        try:
            return str(self._conn.call((self.name, None, OPEN, (), {})))
        except StoreError:
            self._conn.close()
            raise

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return self._conn.call((self.name, self.physical, method, args, kwargs))

    def ping(self) -> int:
        """The host's process id (it answers)."""
        return int(self._call(PING))

    def ensure_collection(self, dim: int, model: str, spec: str | None = None) -> None:
        self._call("ensure_collection", dim, model, spec)

    def info(self) -> CollectionInfo:
        return self._call("info")  # type: ignore[no-any-return]

    def upsert(self, points: Sequence[StoredPoint]) -> None:
        self._call("upsert", pack_points(points))

    def upsert_versioned(self, points: Sequence[StoredPoint]) -> None:
        self._call("upsert_versioned", pack_points(points))

    def delete(self, product_ids: Sequence[str]) -> None:
        self._call("delete", list(product_ids))

    def get(self, product_ids: Sequence[str], with_vectors: bool = False) -> list[StoredPoint]:
        return unpack_points(self._call("get", list(product_ids), with_vectors))

    def count(self, filters: FilterSpec | None = None) -> int:
        return int(self._call("count", filters))

    def candidates(
        self,
        query: np.ndarray,
        filters: FilterSpec,
        limit: int,
        *,
        exact: bool = False,
        hnsw_ef: int | None = None,
        acorn: bool = False,
        with_vectors: bool = True,
        payload_fields: Sequence[str] | None = None,
    ) -> list[StoredPoint]:
        return unpack_points(self._call(
            "candidates", np.asarray(query, dtype=np.float32), filters, limit, exact=exact,
            hnsw_ef=hnsw_ef, acorn=acorn, with_vectors=with_vectors,
            payload_fields=None if payload_fields is None else list(payload_fields),
        ))

    def candidate_ids(
        self,
        query: np.ndarray,
        filters: FilterSpec,
        limit: int,
        *,
        exact: bool = False,
        hnsw_ef: int | None = None,
        acorn: bool = False,
        since: Mark | None = None,
    ) -> CandidateIds:
        return self._call(  # type: ignore[no-any-return]
            "candidate_ids", np.asarray(query, dtype=np.float32), filters, limit, exact=exact,
            hnsw_ef=hnsw_ef, acorn=acorn, since=since,
        )

    def text_candidate_ids(
        self,
        query: np.ndarray,
        filters: FilterSpec,
        limit: int,
        keyword_text: str,
        keyword_limit: int,
        *,
        exact: bool = False,
        hnsw_ef: int | None = None,
        acorn: bool = False,
        since: Mark | None = None,
    ) -> tuple[CandidateIds, list[tuple[str, float]]]:
        return self._call(  # type: ignore[no-any-return]
            "text_candidate_ids", np.asarray(query, dtype=np.float32), filters, limit, keyword_text,
            keyword_limit, exact=exact, hnsw_ef=hnsw_ef, acorn=acorn, since=since,
        )

    def has_keywords(self) -> bool:
        return bool(self._call("has_keywords"))

    def recommend(
        self, positives: Sequence[np.ndarray], negatives: Sequence[np.ndarray], filters: FilterSpec | None,
        limit: int, using: str = "image",
    ) -> list[StoredPoint]:
        return unpack_points(self._call(
            "recommend", [np.asarray(v, dtype=np.float32) for v in positives],
            [np.asarray(v, dtype=np.float32) for v in negatives], filters, limit, using))

    def keyword_candidates(
        self, text: str, filters: FilterSpec | None, limit: int
    ) -> list[tuple[str, float]]:
        return self._call("keyword_candidates", text, filters, limit)  # type: ignore[no-any-return]

    def get_points(self, point_ids: Sequence[str]) -> list[StoredPoint]:
        return unpack_points(self._call("get_points", list(point_ids)))

    def changes_since(self, mark: Mark | None) -> tuple[Mark, list[str] | None]:
        return self._call("changes_since", mark)  # type: ignore[no-any-return]

    def facets(self, field_name: str, filters: FilterSpec, limit: int = 50) -> dict[Any, int]:
        return self._call("facets", field_name, filters, limit)  # type: ignore[no-any-return]

    def set_payload(self, product_id: str, values: dict[str, Any]) -> None:
        self._call("set_payload", product_id, values)

    def optimize(self) -> None:
        self._call("optimize")

    def scroll(self, batch_size: int = 256, with_vectors: bool = False) -> Iterator[list[StoredPoint]]:
        # The host keeps the cursor on this thread's connection; pages come one call at a time.
        handle = self._call(SCROLL, batch_size, with_vectors)
        while True:
            batch = self._call(NEXT, handle)
            if batch is None:
                return
            yield unpack_points(batch)

    def sibling(self, physical: str) -> RemoteStore:
        return RemoteStore(self.socket_path, self.name, physical=physical)

    def current_target(self) -> str:
        return str(self._call("current_target"))

    def switch_alias(self, target: str) -> None:
        self._call("switch_alias", target)

    def drop(self) -> None:
        self._call("drop")

    def close(self) -> None:
        # Only this client's connections: the shard stays open in the host, where other workers
        # may still be searching it.
        self._conn.close()
