"""Settings: every tunable of Vitrine, read from the environment in one place.

``VitrineSettings`` holds one frozen section per part of the system, each a frozen dataclass
whose fields document their variable (the README's table is generated from them by
``python -m cli.config_reference``):

    core    settings.core.Settings       store, model, candidates, re-rank (CLI, API, workers)
    api     settings.api.ApiSettings     Redis, tokens, limits, CORS, uploads, fetching (API)
    queue   settings.queue.QueueSettings the ingestion queue and its workers
    merch   settings.merch.MerchSettings events retention, business terms (merchandising)
    shared  settings.shared.SharedSettings the variables several sections use (collection, Redis,
            image fetch limits): read there once, copied into the sections that use them

Only ``settings.env.environ`` reads the process environment; every section's ``from_env``
takes a mapping (default: that environment), so tests pass their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from settings.api import ApiSettings
from settings.core import Settings
from settings.env import environ
from settings.merch import MerchSettings
from settings.queue import QueueSettings
from settings.shared import SharedSettings

__all__ = [
    "ApiSettings", "MerchSettings", "QueueSettings", "Settings", "SharedSettings", "VitrineSettings",
    "environ",
]


@dataclass(frozen=True)
class VitrineSettings:
    """Every section, read from one environment."""

    core: Settings
    api: ApiSettings
    queue: QueueSettings
    merch: MerchSettings = field(default_factory=MerchSettings)
    shared: SharedSettings = field(default_factory=SharedSettings)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> VitrineSettings:
        """All sections from ``env`` (default: the process environment).

        Raises:
            ValueError: a variable that does not parse, or an unsafe API setting.
        """
        env = environ() if env is None else env
        return cls(Settings.from_env(env), ApiSettings.from_env(env), QueueSettings.from_env(env),
                   MerchSettings.from_env(env), SharedSettings.from_env(env))
