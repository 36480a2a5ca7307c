"""Merchandising settings, read from the environment once (``VITRINE_*``): event retention,
the collection's business weights and their cap, and how long rules and popularity are reused."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from errors import SettingsError
from settings.env import environ, read_env


@dataclass(frozen=True, kw_only=True)
class MerchSettings:
    """Every tunable of merchandising. Environment variable in brackets."""

    events_retention_days: float = 90.0
    """How long shopper events and the search log are kept in Redis (older entries are trimmed
    from the streams; the idempotency marks expire with them) [VITRINE_EVENTS_RETENTION_DAYS]."""
    business_weights: str = ""
    """This collection's business terms, ``term=weight`` comma-separated, weights 0..1, e.g.
    ``popularity=0.5,recency=0.2,stock=0.1,field:margin=0.2``; empty: none. A request's
    ``business`` object overrides it [VITRINE_BUSINESS_WEIGHTS]."""
    business_cap: float = 0.15
    """The largest share (0..0.5) of the pool's relevance range business terms may add; a hit that
    much less relevant than the best can never overtake it [VITRINE_BUSINESS_CAP]."""
    popularity_half_life_days: float = 14.0
    """Half-life of a click or purchase in the popularity term [VITRINE_POPULARITY_HALF_LIFE]."""
    recency_half_life_days: float = 365.0
    """Half-life of a product's age in the recency term [VITRINE_RECENCY_HALF_LIFE]."""
    popularity_refresh_s: float = 60.0
    """How long the popularity computed from events is reused [VITRINE_POPULARITY_REFRESH]."""
    rules_refresh_s: float = 2.0
    """How long a process reuses the rules and experiments it read from Redis (its own changes
    apply at once) [VITRINE_RULES_REFRESH]."""

    ENV_NAMES: ClassVar[dict[str, str]] = {
        "events_retention_days": "VITRINE_EVENTS_RETENTION_DAYS",
        "business_weights": "VITRINE_BUSINESS_WEIGHTS",
        "business_cap": "VITRINE_BUSINESS_CAP",
        "popularity_half_life_days": "VITRINE_POPULARITY_HALF_LIFE",
        "recency_half_life_days": "VITRINE_RECENCY_HALF_LIFE",
        "popularity_refresh_s": "VITRINE_POPULARITY_REFRESH",
        "rules_refresh_s": "VITRINE_RULES_REFRESH",
    }

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> MerchSettings:
        """Build settings from ``env`` (default ``os.environ``), then apply ``overrides``.

        Raises:
            SettingsError: a variable that does not parse or is out of range.
        """
        env = environ() if env is None else env
        settings = replace(cls(**read_env(cls, cls.ENV_NAMES, env)), **overrides)
        settings.weights()  # parse now: a bad value stops the start, not the first search
        if not 0 <= settings.business_cap <= 0.5:
            raise SettingsError("VITRINE_BUSINESS_CAP must be between 0 and 0.5")
        if settings.events_retention_days <= 0:
            raise SettingsError("VITRINE_EVENTS_RETENTION_DAYS must be positive")
        return settings

    def weights(self) -> dict[str, float]:
        """The collection's business weights.

        Raises:
            SettingsError: an entry that is not ``term=weight`` with a weight from 0 to 1.
        """
        out: dict[str, float] = {}
        for item in filter(None, (x.strip() for x in self.business_weights.split(","))):
            name, _, raw = item.rpartition("=")
            try:
                weight = float(raw)
            except ValueError:
                weight = -1.0
            if not name or not 0 <= weight <= 1:
                raise SettingsError(f"VITRINE_BUSINESS_WEIGHTS entry {item!r} must be term=weight (0..1)")
            out[name.strip()] = weight
        return out
