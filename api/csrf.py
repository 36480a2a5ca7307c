"""Cross-site request forgery on cookie-authenticated shopper changes.

An anonymous shopper is known by a cookie, which a browser attaches to requests that other
sites make it send. SameSite=Lax keeps it off cross-site POSTs, but not off requests from a
sibling subdomain, and older browsers ignore it. So a state-changing shopper request that
carries the cookie (and no storefront token) must come from this site or a configured CORS
origin (by Origin, else Referer), or be JSON: a cross-origin JSON request needs a CORS
preflight first, which only the configured origins pass. A request with neither header
(not a browser) is let through: forgery needs a browser.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, request

from api.errors import error_response
from api.shopper import COOKIE

CHANGES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _origin(url: str) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else None


def register_csrf_guard(app: Flask, cors_origins: Iterable[str]) -> None:
    """Refuse (403) cookie-authenticated shopper changes sent from another site."""
    trusted = {o.lower() for o in cors_origins}

    @app.before_request
    def _same_origin_only() -> Any:
        if request.blueprint != "shopper" or request.method not in CHANGES:
            return None
        if COOKIE not in request.cookies or "Authorization" in request.headers:
            return None  # a storefront with its token, or nobody's profile to change
        if request.mimetype == "application/json":
            return None  # cross-origin JSON must pass a CORS preflight first
        sent = request.headers.get("Origin") or request.headers.get("Referer")
        if not sent:
            return None
        origin = _origin(sent)
        if origin is not None and (origin == request.host_url.rstrip("/").lower() or origin in trusted):
            return None
        return error_response(
            403, "cross_site_request",
            "shopper changes from another site are refused: send them from this site or a "
            "configured CORS origin, or as JSON",
        )
