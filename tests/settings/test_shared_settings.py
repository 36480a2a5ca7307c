"""Each environment variable has one home: a variable several sections use is read by the shared
section and copied into them, with the same value and the same error for a bad one."""

from __future__ import annotations

from collections import Counter

import pytest

from errors import SettingsError
from settings import VitrineSettings
from settings.api import ApiSettings
from settings.core import Settings
from settings.merch import MerchSettings
from settings.queue import QueueSettings
from settings.shared import SharedSettings

SECTIONS: list[type] = [Settings, ApiSettings, QueueSettings, MerchSettings, SharedSettings]


def test_no_variable_is_named_in_two_sections() -> None:
    counts = Counter(var for cls in SECTIONS for var in vars(cls)["ENV_NAMES"].values())
    assert "VITRINE_REDIS_URL" in counts and "VITRINE_FETCH_TIMEOUT" in counts
    assert [var for var, n in counts.items() if n > 1] == []


def test_shared_fields_exist_in_the_shared_section() -> None:
    shared = set(SharedSettings.ENV_NAMES)
    for cls in SECTIONS[:-1]:
        assert set(vars(cls).get("SHARED", {}).values()) <= shared, cls.__name__


def test_one_value_reaches_every_section_that_uses_it() -> None:
    env = {
        "VITRINE_REDIS_URL": "redis://r:6379/3", "VITRINE_FETCH_TIMEOUT": "2.5",
        "VITRINE_FETCH_MAX_BYTES": "4096", "VITRINE_COLLECTION": "shoes", "VITRINE_REDIS_PREFIX": "x:",
    }
    settings = VitrineSettings.from_env(env)
    assert settings.shared.redis_url == settings.api.redis_url == settings.queue.redis_url == "redis://r:6379/3"
    assert settings.api.fetch_timeout_s == settings.queue.fetch_timeout_s == 2.5
    assert settings.api.fetch_max_bytes == settings.queue.fetch_max_bytes == 4096
    assert settings.core.collection == settings.queue.collection == "shoes"
    assert settings.queue.queue == "vitrine-ingest-shoes"
    assert settings.api.redis_prefix == settings.queue.key_prefix == "x:"


def test_defaults_and_overrides_are_unchanged() -> None:
    queue = QueueSettings.from_env({}, redis_url="redis://o/1")
    api = ApiSettings.from_env({"VITRINE_REDIS_URL": "redis://e/2"}, redis_url="redis://o/1")
    assert queue.redis_url == api.redis_url == "redis://o/1"
    default = 8 * 1024 * 1024
    assert QueueSettings.from_env({}).fetch_max_bytes == ApiSettings.from_env({}).fetch_max_bytes == default
    assert QueueSettings.from_env({}).key_prefix == "vitrine:"


def test_a_bad_shared_value_names_its_variable() -> None:
    with pytest.raises(SettingsError, match="VITRINE_FETCH_TIMEOUT='soon'"):
        QueueSettings.from_env({"VITRINE_FETCH_TIMEOUT": "soon"})
    with pytest.raises(SettingsError, match="VITRINE_FETCH_MAX_BYTES"):
        ApiSettings.from_env({"VITRINE_FETCH_MAX_BYTES": "big"})
