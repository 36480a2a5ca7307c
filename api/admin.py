"""Admin endpoints behind the dashboard (token with the ``admin`` scope).

GET    /api/v1/admin/stats            searches per minute, top and zero-result queries,
                                      latency p50/p95 per stage, cache hit ratio, queue, index
GET    /api/v1/admin/clients          storefront clients (never their secrets)
POST   /api/v1/admin/clients          {"scopes": [...], "name": ..., "rate_limit": "6000/minute"}:
                                      the secret is shown once; rate_limit is optional
DELETE /api/v1/admin/clients/{id}     remove a client

Failed ingestion jobs and their retry are the ingestion blueprint's GET /jobs and
POST /jobs/{id}/retry.
"""

from __future__ import annotations

from typing import Any

import redis
from flask import Blueprint, jsonify

from api.analytics import STAGES, Analytics
from api.auth import require_scope
from api.bodies import json_body
from api.clients import SCOPES, create_client, delete_client, list_clients, parse_rate_limit
from api.context import state
from api.errors import BadRequest, ServiceUnavailable
from api.ingest import ingestion
from indexer import IndexerError, NotFoundError

bp = Blueprint("admin", __name__)
MAX_NAME = 100


def analytics() -> Analytics:
    return state().analytics


def cache_counts() -> dict[str, Any]:
    """Embedding-cache hits and misses of this process (Prometheus counters are per process)."""
    registry = state().metrics.registry
    hits = misses = 0.0
    for kind in ("text", "image"):
        name = "vitrine_embedding_cache_total"
        hits += registry.get_sample_value(name, {"kind": kind, "result": "hit"}) or 0
        misses += registry.get_sample_value(name, {"kind": kind, "result": "miss"}) or 0
    lookups = hits + misses
    return {"hits": int(hits), "misses": int(misses),
            "hit_ratio": round(hits / lookups, 4) if lookups else None, "scope": "this process"}


@bp.get("/admin/stats")
@require_scope("admin")
def stats() -> Any:
    """Everything the dashboard shows, in one answer."""
    st = state()
    a = analytics()
    per_minute = a.per_minute(60)
    view = st.view()
    try:
        info = view.store.info()
        index: dict[str, Any] = {"points": info.points, "dim": info.dim, "model": info.model,
                                 "model_spec": info.model_spec, "backend": info.backend}
    except IndexerError as e:
        index = {"error": str(e)}
    index["serving_model"] = view.encoder.model_id
    try:
        queue: dict[str, Any] = ingestion().counts()
    except redis.RedisError:
        queue = {"error": "the ingestion queue is unavailable (Redis)"}
    return jsonify({
        "searches_per_minute": per_minute,
        "searches_last_hour": sum(m["searches"] for m in per_minute),
        "totals": a.totals(),
        "top_queries": a.top_queries(10),
        "zero_result_queries": a.zero_result_queries(10),
        "latency_ms": a.latency(STAGES),
        "cache": cache_counts(),
        "queue": queue,
        "index": index,
        "redis": not st.guard.down,
    })


def _redis(fn: Any) -> Any:
    try:
        return fn(state().redis)
    except redis.RedisError as e:
        raise ServiceUnavailable("client storage (Redis) is unavailable; try again shortly") from e


@bp.get("/admin/clients")
@require_scope("admin")
def clients() -> Any:
    return jsonify({"clients": _redis(list_clients), "scopes": list(SCOPES)})


@bp.post("/admin/clients")
@require_scope("admin")
def create() -> Any:
    """Register a storefront client; the answer is the only time its secret is shown."""
    body = json_body()
    if not isinstance(body, dict) or set(body) - {"scopes", "name", "rate_limit"}:
        raise BadRequest('send {"scopes": ["search", ...], "name": "...", "rate_limit": "6000/minute"}')
    scopes = body.get("scopes")
    name = body.get("name", "")
    if (not isinstance(scopes, list) or not scopes or not all(isinstance(s, str) for s in scopes)
            or not set(scopes) <= set(SCOPES)):
        raise BadRequest(f"scopes must be a non-empty list drawn from {', '.join(SCOPES)}")
    if not isinstance(name, str) or len(name) > MAX_NAME or not name.isprintable():
        raise BadRequest(f"name must be printable text of at most {MAX_NAME} characters")
    raw_limit = body.get("rate_limit", "")
    try:
        rate_limit = parse_rate_limit(raw_limit if isinstance(raw_limit, str) else "?")
    except ValueError as e:
        raise BadRequest(str(e)) from e
    client_id, secret = _redis(lambda r: create_client(r, tuple(dict.fromkeys(scopes)), name, rate_limit))
    response = jsonify({"client_id": client_id, "client_secret": secret, "scopes": scopes, "name": name,
                        "rate_limit": rate_limit})
    response.headers["Cache-Control"] = "no-store"
    return response, 201


@bp.delete("/admin/clients/<client_id>")
@require_scope("admin")
def delete(client_id: str) -> Any:
    if len(client_id) > 100 or not client_id.isprintable():
        raise BadRequest("not a client id")
    if not _redis(lambda r: delete_client(r, client_id)):
        raise NotFoundError(f"no client {client_id!r}")
    return jsonify({"client_id": client_id, "deleted": True})
