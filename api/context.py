"""The per-app state the blueprints share, kept in ``app.extensions["vitrine"]``."""

from __future__ import annotations

from dataclasses import dataclass

import redis
from flask import current_app
from flask_limiter import Limiter

from api.analytics import Analytics
from api.facets import FacetCounter
from api.metrics import Metrics
from api.redis_guard import RedisGuard
from api.settings import ApiSettings
from api.tokens import TokenIssuer
from indexer import Settings
from indexer.live import IndexView, LiveIndex
from indexer.media import FetchPolicy

EXTENSION = "vitrine"


@dataclass
class AppState:
    """Everything a request handler needs, built once by the app factory."""

    settings: Settings
    api: ApiSettings
    live: LiveIndex
    redis: redis.Redis
    guard: RedisGuard
    metrics: Metrics
    tokens: TokenIssuer
    fetch_policy: FetchPolicy
    limiter: Limiter
    facets: FacetCounter
    analytics: Analytics

    def view(self) -> IndexView:
        """The encoder, store and searcher for one request: taken once, so a re-index that
        switches the collection mid-request cannot mix two models in one answer."""
        return self.live.current()


def state() -> AppState:
    """The current app's state (inside a request or app context)."""
    return current_app.extensions[EXTENSION]  # type: ignore[no-any-return]
