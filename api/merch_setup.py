"""Registers merchandising in an app: its state and the events, analytics, rules and experiments
endpoints (kept apart from api/merch.py, which the blueprints import)."""

from __future__ import annotations

from flask import Flask

from api.blueprints import events, experiments, rules
from api.context import EXTENSION
from api.merch import MERCH, build_state
from settings.merch import MerchSettings


def register_merch(app: Flask, prefix: str, settings: MerchSettings | None = None) -> None:
    """The events, analytics, rules and experiments endpoints, and the state they share."""
    st = app.extensions[EXTENSION]
    chosen = settings or MerchSettings.from_env()
    app.extensions[MERCH] = build_state(st.guard, st.settings.collection, chosen)
    for bp in (events.bp, rules.bp, experiments.bp):
        app.register_blueprint(bp, url_prefix=prefix)
