"""The API's settings, read from the environment once (``VITRINE_*``).

The search core has its own settings (``settings.core.Settings``); these are
only what the HTTP layer adds: Redis, tokens, limits, CORS, uploads, fetching.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from errors import SettingsError
from settings.env import environ, read_env
from settings.shared import shared_values

MIN_SECRET_BYTES = 32


@dataclass(frozen=True, kw_only=True)
class ApiSettings:
    """Every tunable of the HTTP layer. Environment variable in brackets."""

    environment: str = "development"
    """``production`` refuses to start without the secrets a public deployment needs [VITRINE_ENV]."""
    redis_url: str = "redis://127.0.0.1:6379/0"
    """Redis for rate limits, the embedding cache, clients and the token blocklist
    (VITRINE_REDIS_URL, read by settings.shared)."""
    jwt_secret: str | None = None
    """HMAC key signing access and refresh tokens, at least 32 bytes; unset: a random key per
    process, so tokens do not survive a restart [VITRINE_JWT_SECRET]."""
    access_token_ttl_s: int = 900
    """Lifetime of an access token in seconds [VITRINE_ACCESS_TOKEN_TTL]."""
    refresh_token_ttl_s: int = 30 * 24 * 3600
    """Lifetime of a refresh token in seconds [VITRINE_REFRESH_TOKEN_TTL]."""
    rate_limit: str = "100/minute"
    """Requests per client (token subject) per endpoint, flask-limiter syntax [VITRINE_RATE_LIMIT]."""
    anonymous_rate_limit: str = "30/minute"
    """Requests per IP per endpoint without a token [VITRINE_ANON_RATE_LIMIT]."""
    anonymous_search: bool = True
    """Whether search and product reads work without a token (the demo) [VITRINE_ANON_SEARCH]."""
    cors_origins: tuple[str, ...] = ()
    """Storefront origins allowed to call the API from a browser, comma-separated
    [VITRINE_CORS_ORIGINS]."""
    max_upload_bytes: int = 8 * 1024 * 1024
    """Largest accepted image upload (and request body, plus form overhead) [VITRINE_MAX_UPLOAD]."""
    fetch_timeout_s: float = 5.0
    """Connect and read timeout for ``image_url`` fetches (VITRINE_FETCH_TIMEOUT, read by settings.shared)."""
    fetch_max_bytes: int = 8 * 1024 * 1024
    """Largest image fetched from ``image_url`` (VITRINE_FETCH_MAX_BYTES, read by settings.shared)."""
    fetch_max_redirects: int = 3
    """Redirects followed for ``image_url``, each re-checked [VITRINE_FETCH_MAX_REDIRECTS]."""
    cache_ttl_s: int = 24 * 3600
    """How long a query embedding stays cached in Redis [VITRINE_CACHE_TTL]."""
    facet_cache_ttl_s: float = 10.0
    """How long facet counts for one filter combination are reused; 0 computes them on every
    search [VITRINE_FACET_CACHE_TTL]."""
    max_in_flight: int = 16
    """Searches (and other heavy requests) served at once per process (0: one per core); more
    wait up to VITRINE_ADMISSION_WAIT, then get 503 with Retry-After. One per core answered
    6-15% more searches per second on 2 cores (benchmarks/admission_ab.py) but shed requests
    near capacity; 16 with a 0.25 s wait shed none of a storefront's searches at half capacity
    beside 38 slow anonymous attackers, where 8 with 0.05 s shed a few (docs/reliability.md)
    [VITRINE_MAX_IN_FLIGHT]."""
    admission_wait_s: float = 0.25
    """How long a request waits for a free slot before it is shed, seconds [VITRINE_ADMISSION_WAIT]."""
    gil_switch_ms: float = 0.0
    """How long a busy thread may hold Python's lock while another waits, ms; 0 = 1 ms when one
    process serves, Python's 5 ms with several workers. In one process, request threads return
    from Redis, Qdrant and the model many times per search, each time waiting for the lock, and
    shorter turns cut that wait under load (benchmarks/api_load.py); with two workers each has
    fewer threads to share with, and 5 ms answered 16% more new searches per second than 1 ms
    (benchmarks/admission_ab.py --switch-ms 1,5) [VITRINE_GIL_SWITCH_MS]."""
    suggest_min_shoppers: int = 3
    """A past query is suggested only once this many distinct shoppers searched it, so that no
    shopper's own words reach anyone else's search box [VITRINE_SUGGEST_MIN_SHOPPERS]."""
    suggest_rate_limit: str = "600/minute"
    """Suggestion requests per client (token, or address when anonymous): one per keystroke fits
    easily, and a flood from one client stops there instead of taking CPU from searches
    [VITRINE_SUGGEST_RATE_LIMIT]."""
    suggest_refresh_s: float = 60.0
    """How often the suggestions are rebuilt with the latest past queries, seconds (a new
    catalog generation rebuilds them too) [VITRINE_SUGGEST_REFRESH]."""
    trusted_proxies: int = 0
    """Reverse proxies in front of the API whose X-Forwarded-For is believed [VITRINE_TRUSTED_PROXIES]."""

    # Slow clients and anonymous load: a body is received in full before any slot is taken,
    # and callers without a token are served from slots of their own.
    body_timeout_s: float = 30.0
    """Longest a request body may take to arrive, seconds; it must also come at
    VITRINE_BODY_MIN_RATE, or the request is answered 408 [VITRINE_BODY_TIMEOUT]."""
    body_min_rate: int = 32 * 1024
    """Slowest accepted request body, bytes per second, after a 2 s grace [VITRINE_BODY_MIN_RATE]."""
    anonymous_in_flight: int = 2
    """Heavy requests without a token served at once per process, from slots apart from
    VITRINE_MAX_IN_FLIGHT's, so anonymous callers never take a storefront's [VITRINE_ANON_IN_FLIGHT]."""

    # Bounded Redis growth from anonymous shoppers.
    profile_ttl_s: int = 90 * 24 * 3600
    """How long an anonymous shopper's profile (favourites, clicks, history) is kept after its
    last use, seconds; storefront shoppers' profiles are kept [VITRINE_PROFILE_TTL]."""
    redis_prefix: str = ""
    """Prefix of this instance's Redis keys: embedding cache, analytics, shopper profiles and
    rate limits, so two instances (collections) on one Redis never read each other's; empty:
    derived from VITRINE_COLLECTION like the queue's (``vitrine:`` for ``products``, else
    ``vitrine:{collection}:``). API clients and revoked tokens are shared by every instance on
    purpose: one client may search several collections (VITRINE_REDIS_PREFIX, read by settings.shared)."""
    cache_redis_url: str | None = None
    """A Redis of its own for the query-embedding cache, which may evict (maxmemory with
    allkeys-lru) without touching the queue, clients or profiles; unset: VITRINE_REDIS_URL
    [VITRINE_CACHE_REDIS_URL]."""
    fetch_allow_networks: tuple[str, ...] = ()
    """Private networks that image_url may reach all the same (an intranet image host, a
    benchmark's local one), comma-separated CIDRs; empty: public addresses only
    [VITRINE_FETCH_ALLOW_NETWORKS]."""

    ENV_NAMES: ClassVar[dict[str, str]] = {
        "environment": "VITRINE_ENV",
        "jwt_secret": "VITRINE_JWT_SECRET",
        "access_token_ttl_s": "VITRINE_ACCESS_TOKEN_TTL",
        "refresh_token_ttl_s": "VITRINE_REFRESH_TOKEN_TTL",
        "rate_limit": "VITRINE_RATE_LIMIT",
        "anonymous_rate_limit": "VITRINE_ANON_RATE_LIMIT",
        "anonymous_search": "VITRINE_ANON_SEARCH",
        "cors_origins": "VITRINE_CORS_ORIGINS",
        "max_upload_bytes": "VITRINE_MAX_UPLOAD",
        "fetch_max_redirects": "VITRINE_FETCH_MAX_REDIRECTS",
        "cache_ttl_s": "VITRINE_CACHE_TTL",
        "facet_cache_ttl_s": "VITRINE_FACET_CACHE_TTL",
        "trusted_proxies": "VITRINE_TRUSTED_PROXIES",
        "max_in_flight": "VITRINE_MAX_IN_FLIGHT",
        "admission_wait_s": "VITRINE_ADMISSION_WAIT",
        "gil_switch_ms": "VITRINE_GIL_SWITCH_MS",
        "body_timeout_s": "VITRINE_BODY_TIMEOUT",
        "body_min_rate": "VITRINE_BODY_MIN_RATE",
        "anonymous_in_flight": "VITRINE_ANON_IN_FLIGHT",
        "profile_ttl_s": "VITRINE_PROFILE_TTL",
        "cache_redis_url": "VITRINE_CACHE_REDIS_URL",
        "fetch_allow_networks": "VITRINE_FETCH_ALLOW_NETWORKS",
        "suggest_min_shoppers": "VITRINE_SUGGEST_MIN_SHOPPERS",
        "suggest_refresh_s": "VITRINE_SUGGEST_REFRESH",
        "suggest_rate_limit": "VITRINE_SUGGEST_RATE_LIMIT",
    }
    SHARED: ClassVar[dict[str, str]] = {
        "redis_url": "redis_url", "fetch_timeout_s": "fetch_timeout_s", "fetch_max_bytes": "fetch_max_bytes",
        "redis_prefix": "redis_prefix",
    }
    """Fields taken from the shared section (settings.shared), which reads their variables."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> ApiSettings:
        """Build settings from ``env`` (default ``os.environ``), then apply ``overrides``.

        Raises:
            ValueError: a variable that does not parse, or a JWT secret that is too short.
        """
        env = environ() if env is None else env
        values = {**shared_values(cls.SHARED, env), **read_env(cls, cls.ENV_NAMES, env)}
        settings = replace(cls(**values), **overrides)
        settings.validate()
        return settings

    def validate(self) -> None:
        """Raise ValueError for values that would make the API unsafe or unusable."""
        if self.environment not in ("development", "production"):
            raise SettingsError(f"VITRINE_ENV must be development or production, not {self.environment!r}")
        if self.environment == "production" and self.jwt_secret is None:
            raise SettingsError(
                "VITRINE_ENV=production needs VITRINE_JWT_SECRET: set it to 32 or more random bytes "
                "(e.g. `openssl rand -hex 32`), the same for every API process, so that tokens are "
                "signed with a key that is not a default and survives restarts"
            )
        if self.jwt_secret is not None and len(self.jwt_secret.encode()) < MIN_SECRET_BYTES:
            raise SettingsError(f"VITRINE_JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes")
        for name in ("access_token_ttl_s", "refresh_token_ttl_s", "max_upload_bytes", "fetch_max_bytes",
                     "body_timeout_s", "body_min_rate", "anonymous_in_flight", "profile_ttl_s"):
            if getattr(self, name) <= 0:
                raise SettingsError(f"{name} must be positive")
        if not 0 <= self.gil_switch_ms <= 1000:
            raise SettingsError("gil_switch_ms must be 0 (automatic) or a switch interval up to 1000 ms")
        if self.suggest_min_shoppers < 1 or self.suggest_refresh_s <= 0:
            raise SettingsError("suggest_min_shoppers must be 1 or more and suggest_refresh_s positive")
        if self.max_in_flight < 0:
            raise SettingsError("max_in_flight must be 0 (one per core) or more")
        for network in self.fetch_allow_networks:
            try:
                ipaddress.ip_network(network, strict=False)
            except ValueError:
                raise SettingsError(f"VITRINE_FETCH_ALLOW_NETWORKS: {network!r} is not a CIDR") from None
        for origin in self.cors_origins:
            if origin == "*" or not origin.startswith(("http://", "https://")):
                raise SettingsError(f"CORS origin {origin!r} must be a full origin such as https://shop.example")

