"""Merchandising: shopper events, the numbers read from them, business terms in the ranking,
rules the store controls, and A/B tests of ranking settings (docs/merchandising.md).

Flask-free: the API stores and serves these (api/events_store.py, api/blueprints/events.py,
rules.py, experiments.py); everything that decides is here and tested without HTTP.
"""

from __future__ import annotations

from indexer.merch.errors import MerchError

__all__ = ["MerchError"]
