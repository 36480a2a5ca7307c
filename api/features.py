"""Wires the shopper features, analytics, admin endpoints and web UI into an app.

Kept apart from the app factory so that it needs one line there:
``register_features(app, PREFIX)``.
"""

from __future__ import annotations

from flask import Flask, Response, g

from api import admin, shopper_routes, ui
from api.blueprints.discovery import register_discovery
from api.context import EXTENSION, state
from api.merch_setup import register_merch


def _record_search(response: Response) -> Response:
    """after_request: count a successful search noted by its view (``note_search``)."""
    event = g.pop("vitrine_search_event", None)
    if event is not None and response.status_code == 200:
        state().analytics.record(event)
    return response


def register_features(app: Flask, prefix: str) -> None:
    """Blueprints under ``prefix`` (shopper, admin), the UI at the root, and the hooks."""
    app.register_blueprint(shopper_routes.bp, url_prefix=prefix)
    app.register_blueprint(admin.bp, url_prefix=prefix)
    app.register_blueprint(ui.bp)
    register_merch(app, prefix)  # events, analytics, rules, experiments (api/merch.py)
    # Pages and their assets are static files: a shopper browsing must never hit a rate limit.
    limiter = app.extensions[EXTENSION].limiter
    limiter.exempt(ui.bp)
    # Product photos too: one results page shows dozens (30/minute would blank the grid), and
    # they are static files that browsers keep for a day. Exempted by name, in this app's limiter only.
    image_view = app.view_functions.get("products.image")
    if image_view is not None:
        limiter.exempt(image_view)
    app.after_request(_record_search)
    app.after_request(shopper_routes.set_shopper_cookie)
    register_discovery(app, prefix)  # after the hooks above, so its own hook runs first
