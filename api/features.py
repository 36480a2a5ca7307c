"""Wires the shopper features, analytics, admin endpoints and web UI into an app.

Kept apart from the app factory so that it needs one line there:
``register_features(app, PREFIX)``.
"""

from __future__ import annotations

import io
import json
import time
from typing import Any

from flask import Flask, Response, g, request

from api import admin, shopper_routes, ui
from api.analytics import Analytics, SearchEvent, normalise_query
from api.bodies import MAX_JSON_BYTES
from api.context import EXTENSION, state

SEARCH_ENDPOINTS = frozenset({"search.search", "shopper.search"})


def _keep_json_body() -> None:
    """before_request: let analytics see a JSON search body after the view has read it.

    The search view reads ``request.stream`` itself (with a small cap), which consumes it;
    the capped bytes are read here once and handed back as the stream, unchanged.
    """
    if request.endpoint not in SEARCH_ENDPOINTS or request.mimetype != "application/json":
        return
    if request.content_length is not None and request.content_length > MAX_JSON_BYTES:
        return  # the view refuses it; nothing to record
    data = request.stream.read(MAX_JSON_BYTES + 1)
    request.__dict__["stream"] = io.BytesIO(data)  # Request.stream is a cached property
    g.vitrine_search_body = data


def _search_fields() -> tuple[str | None, bool, int]:
    """(text, has image, offset) of a search request, JSON or multipart."""
    if request.mimetype == "application/json":
        try:
            body = json.loads(g.get("vitrine_search_body") or b"{}")
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {}
        text = body.get("text") if isinstance(body.get("text"), str) else None
        offset = body.get("offset", 0)
        return text, bool(body.get("image_url")), offset if isinstance(offset, int) else 0
    form = request.form
    offset_text = form.get("offset", "0").strip()
    return (form.get("text"), "image" in request.files or bool(form.get("image_url")),
            int(offset_text) if offset_text.isdigit() else 0)


def _record_search(response: Response) -> Response:
    """after_request: count successful first-page searches (later pages are the same search)."""
    if request.endpoint not in SEARCH_ENDPOINTS or response.status_code != 200:
        return response
    text, has_image, offset = _search_fields()
    if offset:
        return response
    body: Any = response.get_json(silent=True) or {}
    page = body.get("page") or {}
    total = page.get("total_matching")
    results = total if isinstance(total, int) else len(body.get("results") or [])
    Analytics(state().guard).record(SearchEvent(
        query=normalise_query(text, has_image), results=results,
        timings=body.get("timings") or {}, at=time.time()))
    return response


def register_features(app: Flask, prefix: str) -> None:
    """Blueprints under ``prefix`` (shopper, admin), the UI at the root, and the hooks."""
    app.register_blueprint(shopper_routes.bp, url_prefix=prefix)
    app.register_blueprint(admin.bp, url_prefix=prefix)
    app.register_blueprint(ui.bp)
    # Pages and their assets are static files: a shopper browsing must never hit a rate limit.
    limiter = app.extensions[EXTENSION].limiter
    limiter.exempt(ui.bp)
    # Product photos too: one results page shows dozens (30/minute would blank the grid), and
    # they are static files that browsers keep for a day. Exempted by name, in this app's limiter only.
    image_view = app.view_functions.get("products.image")
    if image_view is not None:
        limiter.exempt(image_view)
    app.before_request(_keep_json_body)
    app.after_request(_record_search)
    app.after_request(shopper_routes.set_shopper_cookie)
