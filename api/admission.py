"""Admission control: a bound on work in flight, so that overload sheds requests instead of
making every request slow.

Model inference and search use the CPU; past a few concurrent searches per core, extra
concurrency only lengthens every request's latency. Requests to the heavy endpoints take
a slot; when none frees up within a short wait, the request is answered at once with 503
and Retry-After, and the client tries again later. Probes, docs and metrics never queue.

Callers without a token (or with one that does not verify) take their slots from a smaller
pool of their own, so however many anonymous requests arrive, storefronts with tokens still
find theirs free. Request bodies are already received when a slot is taken (api/body_guard.py).
"""

from __future__ import annotations

import os
import threading
from typing import Any

from flask import Flask, g, request
from prometheus_client import Counter, Gauge

from api.auth import principal
from api.errors import Unauthorized, error_response

HEAVY_ENDPOINTS = frozenset({
    "search.search", "products.similar", "products.complete", "ingest.submit_products",
    "shopper.search", "shopper.similar",
})
RETRY_AFTER_S = 1
# Where Retry-After means something: rate limited, or the server is unavailable for now.
RETRY_STATUSES = frozenset({429, 503})


class Admission:
    """A counting semaphore with a bounded wait, and its metrics."""

    def __init__(
        self, max_in_flight: int, wait_s: float, registry: Any, anonymous_in_flight: int = 2
    ) -> None:
        self.max_in_flight = max_in_flight
        self.anonymous_in_flight = anonymous_in_flight
        self.wait_s = wait_s
        self._slots = threading.BoundedSemaphore(max_in_flight)
        self._anonymous = threading.BoundedSemaphore(anonymous_in_flight)
        self.shed = Counter("vitrine_shed", "Requests refused with 503 because the server was full",
                            ["endpoint"], registry=registry)
        self.in_flight = Gauge("vitrine_in_flight", "Heavy requests being served", registry=registry)

    def enter(self, anonymous: bool = False) -> bool:
        slots = self._anonymous if anonymous else self._slots
        if not slots.acquire(timeout=self.wait_s):
            return False
        self.in_flight.inc()
        return True

    def leave(self, anonymous: bool = False) -> None:
        self.in_flight.dec()
        (self._anonymous if anonymous else self._slots).release()


def _anonymous() -> bool:
    try:
        return principal().anonymous
    except Unauthorized:
        return True  # answered 401 by the view; until then it is nobody's


def register_admission(
    app: Flask, max_in_flight: int, wait_s: float, registry: Any, anonymous_in_flight: int = 2
) -> Admission:
    """Guard the heavy endpoints of ``app`` with an ``Admission`` of ``max_in_flight`` slots
    (0: one per core), and ``anonymous_in_flight`` more for callers without a token."""
    max_in_flight = max_in_flight or os.cpu_count() or 1
    admission = Admission(max_in_flight, wait_s, registry, anonymous_in_flight)
    app.extensions["vitrine.admission"] = admission

    @app.before_request
    def _admit() -> Any:
        if request.endpoint not in HEAVY_ENDPOINTS:
            return None
        anonymous = _anonymous()
        if not admission.enter(anonymous):
            admission.shed.labels(endpoint=request.endpoint).inc()
            pool = anonymous_in_flight if anonymous else max_in_flight
            who = "requests without a token" if anonymous else "requests"
            response = error_response(
                503, "overloaded",
                f"the server is at capacity ({pool} {who} in flight); retry after {RETRY_AFTER_S} s",
            )
            g.shed = True
            return response
        g.admitted = "anonymous" if anonymous else "client"
        return None

    def _retry_soon(response: Any) -> Any:
        # flask-limiter stamps every response with its window's reset as Retry-After (up to a
        # minute); a full server frees up in moments, so a shed request may come back sooner.
        if g.pop("shed", False):
            response.headers["Retry-After"] = str(RETRY_AFTER_S)
        elif response.status_code not in RETRY_STATUSES:
            # On a 200 or a 400 it would tell a client to wait a minute for nothing.
            response.headers.pop("Retry-After", None)
        return response

    # Flask runs after-request hooks last-registered first: put this one first so it runs last.
    app.after_request_funcs.setdefault(None, []).insert(0, _retry_soon)

    @app.teardown_request
    def _release(_: BaseException | None) -> None:
        admitted = g.pop("admitted", None)
        if admitted:
            admission.leave(anonymous=admitted == "anonymous")

    return admission
