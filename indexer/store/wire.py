"""Framing for the store host's local socket: one pickled message per length-prefixed frame.

Pickle is safe here only because both ends are this project's own processes: the socket
lives in a directory only its owner can enter (mode 0700), so whoever can connect could
already read and write the data directory directly.
"""

from __future__ import annotations

import pickle
import socket
import struct
from collections.abc import Iterable
from typing import Any

from errors import VitrineError
from indexer.store.protocol import StoredPoint

HEADER = struct.Struct("!I")
# Host-level operations beside the store methods: open a store (resolving the alias), page
# through a scroll, liveness.
OPEN, SCROLL, NEXT, PING = "__open__", "__scroll__", "__next__", "__ping__"
MAX_FRAME = 1 << 30  # a scroll page or an upsert batch is megabytes at most; a larger length is garbage


class WireError(VitrineError, ConnectionError):
    """The other end closed the connection or sent something that is not a frame."""


def pack_points(points: Iterable[StoredPoint]) -> list[tuple[Any, ...]]:
    """Points as plain tuples: a search's ~190 candidates pickle and unpickle several times
    faster than as dataclasses (pickle rebuilds those through their __dict__)."""
    return [(p.product_id, p.payload, p.image, p.text, p.score, p.sources) for p in points]


def unpack_points(rows: Iterable[tuple[Any, ...]]) -> list[StoredPoint]:
    return [StoredPoint(*row) for row in rows]


def send(sock: socket.socket, message: Any) -> None:
    body = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    sock.sendall(HEADER.pack(len(body)) + body)


def receive(sock: socket.socket) -> Any:
    (size,) = HEADER.unpack(_exactly(sock, HEADER.size))
    if size > MAX_FRAME:
        raise WireError(f"frame of {size} bytes refused")
    return pickle.loads(_exactly(sock, size))


def _exactly(sock: socket.socket, size: int) -> bytes:
    buffer = bytearray(size)
    view = memoryview(buffer)
    got = 0
    while got < size:
        n = sock.recv_into(view[got:], size - got)
        if n == 0:
            raise WireError("connection closed")
        got += n
    return bytes(buffer)
