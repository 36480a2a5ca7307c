"""The per-app state the blueprints share, kept in ``app.extensions["vitrine"]``."""

from __future__ import annotations

from dataclasses import dataclass

import redis
from flask import current_app, has_request_context, request
from flask_limiter import Limiter

from api.analytics import Analytics
from api.body_guard import client_left
from api.metrics import Metrics
from api.redis_guard import RedisGuard
from api.tokens import TokenIssuer
from indexer import Settings
from indexer.image_dirs import ImageDirs
from indexer.live import IndexView, LiveIndex
from indexer.media import FetchPolicy, fetch_image_bytes
from indexer.search import SearchService
from indexer.search.facets import FacetCounter
from settings.api import ApiSettings

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
    image_dirs: ImageDirs
    """The folders whose photos the image endpoint may serve beside the media dir."""
    key_prefix: str = "vitrine:"
    """This instance's Redis key prefix (ApiSettings.redis_prefix, or the collection's)."""

    def view(self) -> IndexView:
        """The encoder, store and searcher for one request: taken once, so a re-index that
        switches the collection mid-request cannot mix two models in one answer."""
        return self.live.current()

    def search_service(self, view: IndexView | None = None) -> SearchService:
        """The search service over one view (taken now unless given): every search, similar-items
        and taste lookup of a request goes through it, so all of them see one store."""
        view = view or self.view()
        policy = self.fetch_policy
        # An image_url fetch stops as soon as the caller has gone: its slot is not held for nobody.
        cancelled = client_left(request) if has_request_context() else None
        return SearchService(view.searcher, facets=self.facets,
                             fetch=lambda url: fetch_image_bytes(url, policy, cancelled=cancelled),
                             max_image_bytes=self.api.max_upload_bytes)


def state() -> AppState:
    """The current app's state (inside a request or app context)."""
    return current_app.extensions[EXTENSION]
