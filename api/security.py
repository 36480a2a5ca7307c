"""Security headers on every response, and CORS for the configured storefront origins only."""

from __future__ import annotations

from collections.abc import Iterable

from flask import Flask, Response, request

# JSON answers need nothing from the browser; pages (the web UI) may load their own assets.
JSON_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
PAGE_CSP = ("default-src 'self'; img-src 'self' data: https:; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
CORS_METHODS = "GET, POST, OPTIONS"
CORS_HEADERS = "Authorization, Content-Type, X-Vitrine-Shopper"  # the last: a storefront's shopper id
CORS_EXPOSE = "X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, Retry-After"
PREFLIGHT_MAX_AGE = "600"


def register_security_headers(app: Flask, cors_origins: Iterable[str]) -> None:
    """Add the headers to every response (errors included)."""
    allowed = frozenset(cors_origins)

    @app.after_request
    def _headers(response: Response) -> Response:
        headers = response.headers
        is_page = response.mimetype == "text/html"
        headers.setdefault("Content-Security-Policy", PAGE_CSP if is_page else JSON_CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "no-referrer")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Cross-Origin-Resource-Policy", "same-site")
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        origin = request.headers.get("Origin")
        # The answer depends on Origin, so caches must key on it even when it is refused.
        headers.add("Vary", "Origin")
        if origin and origin.rstrip("/") in allowed:
            headers["Access-Control-Allow-Origin"] = origin
            headers["Access-Control-Expose-Headers"] = CORS_EXPOSE
            if request.method == "OPTIONS":
                headers["Access-Control-Allow-Methods"] = CORS_METHODS
                headers["Access-Control-Allow-Headers"] = CORS_HEADERS
                headers["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
        return response
