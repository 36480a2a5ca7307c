"""The store host: one process that owns the embedded Qdrant Edge shards and serves them to
other processes over a local socket.

An Edge shard belongs to the process that opened it, and its query holds Python's lock
while it runs, so a single serving process tops out at what one Python thread can do
(docs/results/api_load.json). With a host, several gunicorn workers each encode queries and
re-rank on their own core, and only the candidate search itself (a few milliseconds) runs
here. ``vitrine serve --workers N`` starts one; ``RemoteStore`` is its client.

Each request is ``(logical name, physical collection or None, method, args, kwargs)``; the
answer is ``("ok", value)`` or ``("error", exception)``. Only the ``VectorStore`` methods (and
the host's own operations in ``indexer.store.wire``) are served.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import logging
import os
import signal
import socket
import socketserver
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from indexer.errors import IndexerError, StoreError
from indexer.store.aliases import resolve_edge_alias, write_edge_alias
from indexer.store.edge import EdgeStore
from indexer.store.wire import NEXT, OPEN, PING, SCROLL, WireError, pack_points, receive, send, unpack_points

log = logging.getLogger(__name__)

METHODS = frozenset({
    "ensure_collection", "info", "upsert", "upsert_versioned", "delete", "get", "count",
    "candidates", "candidate_ids", "get_points", "changes_since", "facets", "set_payload",
    "optimize", "drop", "has_keywords", "keyword_candidates", "recommend", "text_candidate_ids",
})
POINTS_IN = frozenset({"upsert", "upsert_versioned"})
POINTS_OUT = frozenset({"candidates", "get", "get_points", "recommend"})
HOST_OPS = frozenset({OPEN, SCROLL, NEXT, PING, "current_target", "switch_alias"})


class _Server(socketserver.ThreadingUnixStreamServer):
    # Every gunicorn thread of every worker connects when it first searches, all at once after
    # a start: socketserver's default backlog of 5 refused some of them (EAGAIN).
    request_queue_size = 1024


class StoreHost:
    """Serves the collections of one data directory on a Unix socket until ``close``."""

    def __init__(self, data_dir: str | Path, socket_path: str | Path, *, hnsw_m: int = 32,
                 search_threads: int = 0) -> None:
        self.data_dir = Path(data_dir)
        self.socket_path = Path(socket_path)
        self.hnsw_m = hnsw_m
        self.search_threads = search_threads
        self._stores: dict[str, EdgeStore] = {}
        self._connections: set[socket.socket] = set()
        self._closed = False
        self._lock = threading.Lock()
        if self.socket_path.exists():
            self.socket_path.unlink()  # a previous host's leftover; a live one would hold the shards
        host = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                host._serve_connection(self.request)

        self._server = _Server(str(self.socket_path), Handler)
        self._server.daemon_threads = True
        os.chmod(self.socket_path, 0o600)

    def serve_forever(self) -> None:
        self._server.serve_forever(poll_interval=0.5)

    def start(self) -> threading.Thread:
        """Serve on a background thread (tests, and a process that does other work)."""
        thread = threading.Thread(target=self.serve_forever, name="store-host", daemon=True)
        thread.start()
        return thread

    def stop_serving(self) -> None:
        """Make ``serve_forever`` return (from another thread)."""
        self._server.shutdown()

    def close(self) -> None:
        """Stop serving, end every client's connection (clients see a StoreError, then reconnect
        to whichever host serves the socket next) and flush every open shard."""
        with self._lock:
            self._closed = True
            connections, self._connections = self._connections, set()
        self._server.shutdown()
        self._server.server_close()
        for sock in connections:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        with self._lock:
            for store in self._stores.values():
                store.close()
            self._stores.clear()
        self.socket_path.unlink(missing_ok=True)

    def store(self, name: str, physical: str | None) -> EdgeStore:
        """The open store of a physical collection (opened on first use, then shared by every
        client: a shard must be opened once)."""
        physical = physical or resolve_edge_alias(self.data_dir, name)
        with self._lock:
            if self._closed:
                raise StoreError("the store host is stopping")
            found = self._stores.get(physical)
            if found is None:
                found = EdgeStore(self.data_dir, name, physical=physical, hnsw_m=self.hnsw_m,
                                  search_threads=self.search_threads)
                self._stores[physical] = found
            return found

    def _serve_connection(self, sock: socket.socket) -> None:
        with self._lock:
            if self._closed:
                return
            self._connections.add(sock)
        scrolls: dict[int, Iterator[Any]] = {}
        handles = itertools.count(1)
        while True:
            try:
                request = receive(sock)
            except (WireError, OSError):
                return
            try:
                reply: tuple[str, Any] = ("ok", self._dispatch(request, scrolls, handles))
            except IndexerError as e:
                reply = ("error", e)
            except Exception as e:  # the binding raises plain exceptions; send one the client can rebuild
                log.exception("store host: %r failed", request[:2] if isinstance(request, tuple) else request)
                reply = ("error", StoreError(f"{type(e).__name__}: {e}"))
            try:
                send(sock, reply)
            except OSError:
                return

    def _dispatch(self, request: Any, scrolls: dict[int, Iterator[Any]], handles: Iterator[int]) -> Any:
        name, physical, method, args, kwargs = request
        if method not in METHODS and method not in HOST_OPS:
            raise StoreError(f"the store host does not serve {method!r}")
        if method == PING:
            return os.getpid()
        if method == NEXT:
            iterator = scrolls.get(args[0])
            if iterator is None:  # the connection broke and was replaced: the cursor is gone
                raise StoreError("the scroll's cursor was lost with its connection; start it again")
            batch = next(iterator, None)
            if batch is None:
                scrolls.pop(args[0], None)
                return None
            return pack_points(batch)
        # Aliases belong to the logical name the client holds, not to the shard.
        if method == "current_target":
            return resolve_edge_alias(self.data_dir, name)
        if method == "switch_alias":
            return write_edge_alias(self.data_dir, name, *args)
        store = self.store(name, physical)
        if method == OPEN:
            return store.physical
        if method == SCROLL:
            handle = next(handles)
            scrolls[handle] = store.scroll(*args, **kwargs)
            return handle
        if method == "drop":
            with self._lock:
                self._stores.pop(store.physical, None)
        if method in POINTS_IN:
            args = (unpack_points(args[0]), *args[1:])
        value = getattr(store, method)(*args, **kwargs)
        return pack_points(value) if method in POINTS_OUT else value


def _exit_with_parent(host: StoreHost, parent: int) -> None:
    """Stop when the process that started the host is gone (a killed ``vitrine serve`` must not
    leave the shards locked by an orphan)."""
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:
            log.warning("store host: parent %d is gone; flushing and stopping", parent)
            host.close()
            os._exit(0)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve the embedded Qdrant Edge store over a local socket.")
    parser.add_argument("--data-dir", required=True, type=Path)
    parser.add_argument("--socket", required=True, type=Path)
    parser.add_argument("--hnsw-m", type=int, default=32)
    parser.add_argument("--search-threads", type=int, default=0)
    parser.add_argument("--parent-pid", type=int, default=0, help="stop when this process is gone")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s store-host %(levelname)s %(message)s")
    host = StoreHost(args.data_dir, args.socket, hnsw_m=args.hnsw_m, search_threads=args.search_threads)

    def stop(signum: int, frame: Any) -> None:
        # shutdown() waits for serve_forever to return, so not from this (the serving) thread.
        threading.Thread(target=host.stop_serving, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.parent_pid:
        threading.Thread(target=_exit_with_parent, args=(host, args.parent_pid), daemon=True).start()
    log.info("serving %s on %s", args.data_dir, args.socket)
    host.serve_forever()
    host.close()


if __name__ == "__main__":
    main()
