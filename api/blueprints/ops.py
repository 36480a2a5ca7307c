"""GET /health (alive), /ready (dependencies, degraded modes) and /metrics (Prometheus)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from api.context import state
from api.metrics import CONTENT_TYPE_LATEST
from indexer import IndexerError

bp = Blueprint("ops", __name__)


@bp.get("/health")
def health() -> Any:
    """The process is up and answering; says nothing about its dependencies."""
    return jsonify({"status": "ok"})


@bp.get("/ready")
def ready() -> Any:
    """Whether this process can serve searches: 200 (possibly degraded) or 503.

    Without Redis the API still searches (limits in memory, no cache, no token
    issuing), so that is "degraded", not "unavailable"; without the store it is down.
    """
    st = state()
    view = st.view()
    checks: dict[str, Any] = {"model": {"ok": True, "id": view.encoder.model_id, "dim": view.encoder.dim}}
    try:
        info = view.store.info()
        checks["store"] = {"ok": info.points > 0, "backend": info.backend, "points": info.points}
        if info.points == 0:
            checks["store"]["message"] = "the collection is empty; index a catalog first"
    except IndexerError as e:
        checks["store"] = {"ok": False, "backend": getattr(view.store, "backend", "?"), "message": str(e)}
    redis_ok = st.guard.ping()
    checks["redis"] = {"ok": redis_ok}
    degraded = []
    if not redis_ok:
        degraded += ["rate limits in memory (per process)", "embedding cache off",
                     "token issuing, refresh and revocation unavailable",
                     "revoked access tokens are not checked"]
    storage_dead = getattr(st.limiter, "_storage_dead", False)
    if storage_dead and redis_ok:
        degraded.append("rate limits in memory until the limiter reconnects")
    ok = checks["store"]["ok"]
    status = "unavailable" if not ok else ("degraded" if degraded else "ready")
    response = jsonify({"status": status, "checks": checks, "degraded": degraded})
    response.status_code = 200 if ok else 503
    return response


@bp.get("/metrics")
def metrics() -> Response:
    """Prometheus text format."""
    return Response(state().metrics.render(), mimetype=CONTENT_TYPE_LATEST.split(";")[0],
                    headers={"Content-Type": CONTENT_TYPE_LATEST})
