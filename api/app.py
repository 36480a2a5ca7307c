"""The Flask application factory."""

from __future__ import annotations

import logging
import re
import secrets
import sys
import threading
import time
import uuid
from dataclasses import replace
from typing import Any

import redis as redis_lib
from flask import Flask, Response, g, request
from flask_limiter import Limiter, RequestLimit
from werkzeug.middleware.proxy_fix import ProxyFix

from api.admission import register_admission
from api.analytics import Analytics
from api.auth import current_limit, rate_limit_key
from api.blueprints import auth_bp, docs_bp, ops_bp, products_bp, search_bp
from api.body_guard import BodyGuard
from api.cache import CachedEncoder, EmbeddingCache
from api.context import EXTENSION, AppState
from api.csrf import register_csrf_guard
from api.errors import error_response, register_error_handlers
from api.features import register_features
from api.ingest import bp as ingest_bp
from api.metrics import Metrics
from api.proxy_hint import register_proxy_hint
from api.rate_window import NAME as RATE_WINDOW
from api.redis_guard import CONNECT_TIMEOUT_S, SOCKET_TIMEOUT_S, RedisGuard, connect
from api.security import register_security_headers
from api.tokens import TokenIssuer
from encoder import Encoder
from indexer import Searcher, Settings, VectorStore, open_store
from indexer.image_dirs import ImageDirs
from indexer.live import LiveIndex
from indexer.media import FetchPolicy, allowing
from indexer.search.facets import FacetCounter
from settings.api import ApiSettings
from settings.queue import redis_prefix

log = logging.getLogger(__name__)

PREFIX = "/api/v1"
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
# Form fields and multipart boundaries ride along with an upload.
FORM_OVERHEAD = 64 * 1024
# Probes and scrapes must keep working when a client is over its limit.
UNLIMITED_ENDPOINTS = frozenset({
    "ops.health", "ops.ready", "ops.metrics", "ops_root.health", "ops_root.ready", "ops_root.metrics",
    "docs.openapi",
})


def create_app(
    settings: Settings | None = None,
    *,
    api_settings: ApiSettings | None = None,
    encoder: Encoder | None = None,
    store: VectorStore | None = None,
    redis: redis_lib.Redis | None = None,
    fetch_policy: FetchPolicy | None = None,
) -> Flask:
    """Build the API.

    Args:
        settings: the search core's settings (default: from the environment).
        api_settings: the HTTP layer's settings (default: from the environment).
        encoder, store, redis: ready-made parts (tests pass a small model, a temporary
            store and a separate Redis database); by default they are built from settings.
            The rate limiter always connects to ``api_settings.redis_url`` itself, so a
            given ``redis`` client should point at the same database.
        fetch_policy: how ``image_url`` is fetched (tests point it at a local server).
    """
    settings = settings or Settings.from_env()
    api = api_settings or ApiSettings.from_env()
    if api.jwt_secret is None:
        log.warning("VITRINE_JWT_SECRET is not set: using a random key, so tokens end with this process")
        api = replace(api, jwt_secret=secrets.token_urlsafe(48))
    store = store or open_store(settings)
    encoder = encoder or _load_encoder(settings, store)
    client = redis or connect(api.redis_url)
    metrics = Metrics()
    guard = RedisGuard(client, on_error=lambda op: metrics.redis_errors.labels(operation=op).inc())
    # Two instances (collections) on one Redis keep apart everything but clients and tokens.
    prefix = api.redis_prefix or redis_prefix(settings.collection)
    # The embedding cache may live in a Redis that evicts; everything else stays where nothing does.
    cache_guard = guard if not api.cache_redis_url else RedisGuard(
        connect(api.cache_redis_url), on_error=lambda op: metrics.redis_errors.labels(operation=op).inc())

    def make_searcher(enc: Encoder, st: VectorStore) -> Searcher:
        # Each generation of the index gets a cache keyed by its own model.
        cache = EmbeddingCache(cache_guard, enc.model_id, enc.dim, api.cache_ttl_s, metrics,
                               key_prefix=prefix)
        return Searcher(enc, st, settings, query_encoder=CachedEncoder(enc, cache))

    app = Flask("vitrine")
    app.config["MAX_CONTENT_LENGTH"] = api.max_upload_bytes + FORM_OVERHEAD
    app.json.sort_keys = False  # type: ignore[attr-defined]
    # Bodies arrive in full before the request reaches Flask (and its admission slots).
    app.wsgi_app = BodyGuard(  # type: ignore[method-assign]
        app.wsgi_app, app.config["MAX_CONTENT_LENGTH"], api.body_timeout_s, api.body_min_rate)
    if api.trusted_proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=api.trusted_proxies, x_proto=api.trusted_proxies)  # type: ignore[method-assign]

    limiter = _limiter(api, metrics, prefix)

    state = AppState(
        settings=settings, api=api, redis=client, guard=guard, metrics=metrics,
        live=LiveIndex(settings, encoder, store, searcher_factory=make_searcher),
        tokens=TokenIssuer(api.jwt_secret or "", api.access_token_ttl_s, api.refresh_token_ttl_s),
        fetch_policy=fetch_policy or FetchPolicy(
            timeout_s=api.fetch_timeout_s, max_bytes=api.fetch_max_bytes,
            max_redirects=api.fetch_max_redirects, allowed=allowing(api.fetch_allow_networks),
        ),
        limiter=limiter,
        facets=FacetCounter(api.facet_cache_ttl_s),
        analytics=Analytics(guard, key_prefix=prefix),
        image_dirs=ImageDirs(settings.data_dir),
        key_prefix=prefix,
    )
    app.extensions[EXTENSION] = state
    limiter.init_app(app)

    _register_routes(app, api, metrics, guard)
    return app


def _limiter(api: ApiSettings, metrics: Metrics, prefix: str) -> Limiter:
    """Per-client rate limits in Redis (in memory while Redis is down), one round trip each."""

    def on_breach(limit: RequestLimit) -> Response | None:
        metrics.rate_limited.labels(endpoint=request.endpoint or "?").inc()
        return None

    # Typed as str | int by flask-limiter, but passed on to redis-py, which takes float seconds.
    redis_timeouts: dict[str, Any] = {"socket_connect_timeout": CONNECT_TIMEOUT_S,
                                      "socket_timeout": SOCKET_TIMEOUT_S}
    limiter = Limiter(
        key_func=rate_limit_key,
        default_limits=[current_limit],
        storage_uri=api.redis_url,
        storage_options=redis_timeouts,
        in_memory_fallback=[current_limit],  # type: ignore[list-item]
        in_memory_fallback_enabled=True,
        headers_enabled=True,
        key_prefix=f"{prefix.rstrip(':')}-rl",  # vitrine-rl for the default instance
        strategy=RATE_WINDOW,  # one Redis round trip per request (api/rate_window.py)
        on_breach=on_breach,
    )
    limiter.request_filter(lambda: request.endpoint in UNLIMITED_ENDPOINTS or request.method == "OPTIONS")
    return limiter


def _register_routes(app: Flask, api: ApiSettings, metrics: Metrics, guard: RedisGuard) -> None:
    """Blueprints, features, error handlers, security headers, metrics and admission."""
    for bp in (search_bp, products_bp, auth_bp, ops_bp, docs_bp, ingest_bp):
        app.register_blueprint(bp, url_prefix=PREFIX)
    app.register_blueprint(ops_bp, url_prefix="", name="ops_root")
    register_features(app, PREFIX)  # shopper, admin, web UI (api/features.py)
    register_csrf_guard(app, api.cors_origins)
    register_proxy_hint(app, guard, api.trusted_proxies)
    register_error_handlers(app)
    register_security_headers(app, api.cors_origins)
    _register_metrics(app, metrics)
    register_admission(app, api.max_in_flight, api.admission_wait_s, metrics.registry,
                       api.anonymous_in_flight)

    @app.errorhandler(429)
    def _too_many(e: Any) -> Response:
        return error_response(429, "rate_limited", f"rate limit exceeded ({e.description}); "
                              "retry after the time in Retry-After")


def tune_server_process(api: ApiSettings, workers: int = 1) -> None:
    """Process-wide settings for one of ``workers`` serving processes (not for apps built in
    tests or tools)."""
    switch_ms = api.gil_switch_ms or (1.0 if workers == 1 else 5.0)
    sys.setswitchinterval(switch_ms / 1000)


def warm_vector_cache(app: Flask) -> threading.Thread | None:
    """Fill the re-rank's vector cache from the store in the background (VITRINE_VECTOR_CACHE_WARM);
    searches run meanwhile and fill it themselves where they get there first."""
    st: AppState = app.extensions[EXTENSION]
    if not st.settings.vector_cache_warm:
        return None
    view = st.live.current()

    def warm() -> None:
        started = time.perf_counter()
        try:
            added = view.searcher.vectors.warm(view.store)
        except Exception as e:  # a background fill must not die loudly: searches fill it too
            log.warning("vector cache warm-up stopped: %s", e)
            return
        log.info("vector cache: %d products' vectors read in %.1f s", added, time.perf_counter() - started)

    thread = threading.Thread(target=warm, name="vector-cache-warmup", daemon=True)
    thread.start()
    return thread


def _load_encoder(settings: Settings, store: VectorStore) -> Encoder:
    """The model the collection was built with (its vectors mean nothing to another model);
    VITRINE_MODEL when the collection does not say, or does not exist yet."""
    spec = store.info().model_spec or settings.model
    if spec != settings.model:
        log.warning("the collection was built with model %s; serving with it instead of VITRINE_MODEL=%s",
                    spec, settings.model)
    return Encoder.load(spec, settings.device, settings.torch_threads, settings.text_int8,
                        settings.image_int8)


def _register_metrics(app: Flask, metrics: Metrics) -> None:
    @app.before_request
    def _start() -> None:
        g.vitrine_started = time.perf_counter()
        # A caller's id (from a proxy or the storefront) ties its logs to ours; else make one.
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex

    @app.after_request
    def _count(response: Response) -> Response:
        endpoint = request.endpoint or "unmatched"
        status = str(response.status_code)
        metrics.requests.labels(endpoint=endpoint, method=request.method, status=status).inc()
        response.headers["X-Request-ID"] = g.get("request_id") or uuid.uuid4().hex
        started = g.get("vitrine_started")
        if started is not None:
            metrics.latency.labels(endpoint=endpoint).observe(time.perf_counter() - started)
        return response
