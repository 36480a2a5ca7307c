"""ApiSettings from the environment, and the facet-count cache."""

from __future__ import annotations

from typing import Any

import pytest

from indexer import EdgeStore, parse_filters
from indexer.search.facets import FacetCounter
from settings.api import ApiSettings


def test_from_env_parses_every_kind() -> None:
    settings = ApiSettings.from_env({
        "VITRINE_REDIS_URL": "redis://r:6379/2", "VITRINE_ANON_SEARCH": "off",
        "VITRINE_CORS_ORIGINS": "https://a.example, https://b.example/", "VITRINE_MAX_UPLOAD": "1024",
        "VITRINE_FETCH_TIMEOUT": "2.5", "VITRINE_JWT_SECRET": "s" * 32,
    })
    assert settings.redis_url == "redis://r:6379/2"
    assert settings.anonymous_search is False
    assert settings.cors_origins == ("https://a.example", "https://b.example")
    assert settings.max_upload_bytes == 1024
    assert settings.fetch_timeout_s == 2.5


@pytest.mark.parametrize(("env", "needle"), [
    ({"VITRINE_MAX_UPLOAD": "lots"}, "VITRINE_MAX_UPLOAD"),
    ({"VITRINE_ANON_SEARCH": "maybe"}, "VITRINE_ANON_SEARCH"),
    ({"VITRINE_JWT_SECRET": "short"}, "at least 32 bytes"),
    ({"VITRINE_CORS_ORIGINS": "*"}, "full origin"),
    ({"VITRINE_MAX_UPLOAD": "0"}, "positive"),
])
def test_bad_values_are_refused_with_the_variable_named(env: dict[str, str], needle: str) -> None:
    with pytest.raises(ValueError, match=needle):
        ApiSettings.from_env(env)


class CountingStore:
    def __init__(self, store: EdgeStore) -> None:
        self.store = store
        self.calls = 0

    def facets(self, *args: Any, **kwargs: Any) -> dict[Any, int]:
        self.calls += 1
        return self.store.facets(*args, **kwargs)

    def count(self, *args: Any) -> int:
        return self.store.count(*args)


def test_facet_counts_are_reused_per_filter_combination(indexed_store: EdgeStore) -> None:
    store = CountingStore(indexed_store)
    counter = FacetCounter(ttl_s=60)
    men = parse_filters({"gender": "Men"})
    facets, total = counter.counts(store, men)  # type: ignore[arg-type]
    calls = store.calls
    assert counter.counts(store, men) == (facets, total)  # type: ignore[arg-type]
    assert store.calls == calls  # served from the cache
    assert total == indexed_store.count(men)
    counter.counts(store, parse_filters({"gender": "Women"}))  # type: ignore[arg-type]
    assert store.calls == 2 * calls
    uncached = FacetCounter(ttl_s=0)
    uncached.counts(store, men)  # type: ignore[arg-type]
    uncached.counts(store, men)  # type: ignore[arg-type]
    assert store.calls == 4 * calls


def test_the_switch_interval_follows_the_number_of_workers_unless_set() -> None:
    import sys

    from api.app import tune_server_process

    before = sys.getswitchinterval()
    try:
        tune_server_process(ApiSettings(), workers=1)
        assert sys.getswitchinterval() == pytest.approx(0.001)
        tune_server_process(ApiSettings(), workers=2)
        assert sys.getswitchinterval() == pytest.approx(0.005)
        tune_server_process(ApiSettings(gil_switch_ms=3), workers=2)
        assert sys.getswitchinterval() == pytest.approx(0.003)
    finally:
        sys.setswitchinterval(before)
    with pytest.raises(ValueError, match="gil_switch_ms"):
        ApiSettings.from_env({"VITRINE_GIL_SWITCH_MS": "-1"})
