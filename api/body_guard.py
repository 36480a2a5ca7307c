"""Request bodies received in full, within a deadline, before the app sees the request.

A search takes an admission slot (api/admission.py) in ``before_request``; if the body were
read after that, a client sending one byte every few seconds would hold the slot for as long
as it liked, and some thirty such clients would answer every search with 503. So the body is
read here, below Flask: the whole of it, within ``min(timeout_s, GRACE_S + length / min_rate)``
seconds, or the request is answered 408 and the connection closed. A deadline on each socket
read is not enough (a server's ``read(n)`` loops over reads until ``n`` bytes came, and each
read restarts its timeout), so a watchdog thread shuts the socket's reading side when the
deadline passes, which ends the blocked read at once.
"""

from __future__ import annotations

import contextlib
import heapq
import io
import itertools
import json
import socket
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

GRACE_S = 2.0  # time for a body's first bytes, on top of what the minimum rate allows
CHUNK = 64 * 1024
_NO_BODY = frozenset({"GET", "HEAD", "OPTIONS", "DELETE"})

StartResponse = Callable[..., Any]
Wsgi = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def client_socket(environ: dict[str, Any]) -> socket.socket | None:
    """The connection's socket, where the server shares it (gunicorn and werkzeug do)."""
    found = environ.get("gunicorn.socket") or environ.get("werkzeug.socket")
    return found if isinstance(found, socket.socket) else None


def client_gone(environ: dict[str, Any]) -> bool:
    """Whether the client has closed its connection (its body is read, so an end of stream
    means it left). False where the socket is unknown."""
    sock = client_socket(environ)
    if sock is None:
        return False
    try:
        return sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except (BlockingIOError, InterruptedError, ValueError):
        return False  # nothing to read: still there (ValueError: a TLS socket cannot peek)
    except OSError:
        return True


def client_left(request: Any) -> Callable[[], bool]:
    """For ``fetch_image_bytes(..., cancelled=)``: whether the client of this Flask request has
    gone (bound to its WSGI environ now, so it can be asked from the fetch's watchdog thread)."""
    environ = request.environ
    return lambda: client_gone(environ)


class Watchdog:
    """One thread that shuts sockets' reading side at their deadlines (a heap of them)."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, socket.socket]] = []
        self._cancelled: set[int] = set()
        self._ids = itertools.count()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def watch(self, sock: socket.socket, deadline: float) -> int:
        with self._wake:
            ticket = next(self._ids)
            heapq.heappush(self._heap, (deadline, ticket, sock))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="vitrine-body-watchdog", daemon=True)
                self._thread.start()
            # Wake the thread only when this deadline comes first: otherwise it is already
            # waiting for an earlier one (a wake per request cost a thread switch each).
            if self._heap[0][1] == ticket:
                self._wake.notify()
            return ticket

    def cancel(self, ticket: int) -> None:
        with self._wake:
            self._cancelled.add(ticket)

    def _run(self) -> None:
        with self._wake:
            while True:
                while self._heap and self._heap[0][1] in self._cancelled:
                    self._cancelled.discard(heapq.heappop(self._heap)[1])
                if not self._heap:
                    self._wake.wait()
                    continue
                deadline, _, sock = self._heap[0]
                left = deadline - time.monotonic()
                if left > 0:
                    self._wake.wait(left)
                    continue
                heapq.heappop(self._heap)
                with contextlib.suppress(OSError):  # the connection is already gone
                    sock.shutdown(socket.SHUT_RD)


WATCHDOG = Watchdog()


class BodyGuard:
    """WSGI middleware: read the whole request body (at most ``max_bytes``) within its deadline,
    then hand the app a request whose body is already in memory."""

    def __init__(self, app: Wsgi, max_bytes: int, timeout_s: float, min_rate: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s
        self.min_rate = max(1, min_rate)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # werkzeug answers a malformed length itself
        if environ.get("REQUEST_METHOD", "GET") in _NO_BODY and not length and not chunked:
            return self.app(environ, start_response)
        if (not length and not chunked) or length > self.max_bytes:
            return self.app(environ, start_response)  # nothing to wait for, or Flask's 413
        budget = self.timeout_s if chunked else min(self.timeout_s, GRACE_S + length / self.min_rate)
        body = self._receive(environ, length if not chunked else None, time.monotonic() + budget)
        if body is None:
            return _timeout(start_response, budget)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        environ["wsgi.input_terminated"] = True
        return self.app(environ, start_response)

    def _receive(self, environ: dict[str, Any], length: int | None, deadline: float) -> bytes | None:
        """The body, or None when it did not arrive in time (or was cut short)."""
        stream = environ["wsgi.input"]
        sock = client_socket(environ)
        ticket = WATCHDOG.watch(sock, deadline) if sock is not None else None
        chunks: list[bytes] = []
        received = 0
        try:
            while length is None or received < length:
                want = CHUNK if length is None else min(CHUNK, length - received)
                chunk = stream.read(want)
                if time.monotonic() > deadline:
                    return None
                if not chunk:
                    break
                received += len(chunk)
                chunks.append(chunk)
                if received > self.max_bytes:
                    break  # a chunked body over the limit: Flask answers 413 from its length
        except Exception:  # the watchdog shut the socket, a reset, or a server's "no more data"
            return None
        finally:
            if ticket is not None:
                WATCHDOG.cancel(ticket)
        if length is not None and received < length:
            return None
        return b"".join(chunks)


def _timeout(start_response: StartResponse, budget: float) -> list[bytes]:
    body = json.dumps({
        "error": "request_timeout",
        "message": f"the request body did not arrive within {budget:.1f} s; send it faster",
    }).encode()
    start_response("408 Request Timeout", [
        ("Content-Type", "application/json"), ("Content-Length", str(len(body))), ("Connection", "close"),
    ])
    return [body]
