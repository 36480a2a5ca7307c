"""Variables more than one section uses, each read here once (``VITRINE_*``).

The store's collection names the queue and the Redis keys too; the API and the workers share one
Redis and fetch product images under the same limits. Each such variable has one home, this
section; a section that uses one names it in its ``SHARED`` map (its own field -> the shared
field) and takes the value from here, so no variable sits in two sections' ``ENV_NAMES``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from settings.env import environ, read_env


@dataclass(frozen=True, kw_only=True)
class SharedSettings:
    """Settings read by several sections. Environment variable in brackets."""

    collection: str = "products"
    """Collection (server) or shard folder (embedded) name [VITRINE_COLLECTION]."""
    redis_url: str = "redis://127.0.0.1:6379/0"
    """Redis for rate limits, the embedding cache, clients and the token blocklist [VITRINE_REDIS_URL]."""
    redis_prefix: str = ""
    """Prefix of this instance's Redis keys: embedding cache, analytics, shopper profiles and
    rate limits, so two instances (collections) on one Redis never read each other's; empty:
    derived from VITRINE_COLLECTION like the queue's (``vitrine:`` for ``products``, else
    ``vitrine:{collection}:``). API clients and revoked tokens are shared by every instance on
    purpose: one client may search several collections [VITRINE_REDIS_PREFIX]."""
    fetch_timeout_s: float = 5.0
    """Connect and read timeout for ``image_url`` fetches [VITRINE_FETCH_TIMEOUT]."""
    fetch_max_bytes: int = 8 * 1024 * 1024
    """Largest image fetched from ``image_url`` [VITRINE_FETCH_MAX_BYTES]."""

    ENV_NAMES: ClassVar[dict[str, str]] = {
        "collection": "VITRINE_COLLECTION",
        "redis_url": "VITRINE_REDIS_URL",
        "redis_prefix": "VITRINE_REDIS_PREFIX",
        "fetch_timeout_s": "VITRINE_FETCH_TIMEOUT",
        "fetch_max_bytes": "VITRINE_FETCH_MAX_BYTES",
    }

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SharedSettings:
        """Build the shared section from ``env`` (default: the process environment).

        Raises:
            SettingsError: a variable that does not parse.
        """
        env = environ() if env is None else env
        return cls(**read_env(cls, cls.ENV_NAMES, env))


def shared_values(shared: Mapping[str, str], env: Mapping[str, str]) -> dict[str, Any]:
    """The values ``env`` sets for a section's ``shared`` map (its field -> the shared field),
    keyed by the section's own field names; unset variables are left out, so the section's
    defaults (the same as the shared ones) apply.

    Raises:
        SettingsError: a variable that does not parse.
    """
    wanted = {theirs: SharedSettings.ENV_NAMES[theirs] for theirs in shared.values()}
    values = read_env(SharedSettings, wanted, env)
    return {own: values[theirs] for own, theirs in shared.items() if theirs in values}
