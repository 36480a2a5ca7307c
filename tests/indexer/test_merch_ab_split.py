"""A/B assignment (stable, split as configured) and per-variant metrics against a hand count."""

from __future__ import annotations

import pytest

from indexer.merch.errors import MerchError
from indexer.merch.events import Event, SearchLog
from indexer.merch.experiments import assign, parse_experiment, searches_needed, variant_metrics

HALVES = {"id": "e", "variants": [{"name": "a", "share": 0.5}, {"name": "b", "share": 0.5}]}
EXP = {"id": "fusion-1", "variants": [
    {"name": "control", "share": 0.5},
    {"name": "pop", "share": 0.3, "settings": {"business": {"popularity": 0.5}}},
    {"name": "norules", "share": 0.2, "settings": {"rules": False, "alpha": 0.4}}]}


def test_assignment_is_stable_and_split_as_configured() -> None:
    exp = parse_experiment(EXP)
    names = [assign(exp, f"shopper-{i}").name for i in range(10_000)]
    assert names == [assign(exp, f"shopper-{i}").name for i in range(10_000)]
    observed = [names.count(v.name) for v in exp.variants]
    expected = [v.share * 10_000 for v in exp.variants]
    chi2 = sum((o - e) ** 2 / e for o, e in zip(observed, expected, strict=True))
    # Two degrees of freedom: P(chi2 > x) = exp(-x / 2); 13.82 is the 0.1% critical value.
    assert chi2 < 13.82, (observed, chi2)
    other = parse_experiment({**EXP, "id": "fusion-2"})
    moved = sum(assign(other, f"shopper-{i}").name != n for i, n in enumerate(names))
    assert moved > 2000  # another experiment splits the same shoppers independently


def test_metrics_per_variant_equal_a_hand_computation() -> None:
    exp = parse_experiment(HALVES)
    searches = [SearchLog(f"q{i}", "dress", 10, 1.0, "s", "e", "a" if i < 4 else "b") for i in range(10)]
    searches.append(SearchLog("other", "dress", 10, 1.0, "s", "another", "a"))
    events = [Event("1", "click", "p", "s", 2.0, "q0", 1), Event("2", "click", "p", "s", 2.0, "q0", 2),
              Event("3", "purchase", "p", "s", 3.0, "q0", value=30.0),
              Event("4", "click", "p", "s", 2.0, "q5", 1), Event("5", "click", "p", "s", 2.0, "q6", 1),
              Event("6", "purchase", "p", "s", 3.0, "q6", value=12.0),
              Event("7", "click", "p", "s", 2.0, "other", 1)]
    a, b = variant_metrics(exp, searches, events)
    assert (a["searches"], a["ctr"], a["conversion"], a["revenue_per_search"]) == (4, 0.25, 0.25, 7.5)
    assert (b["searches"], b["ctr"], b["conversion"], b["revenue_per_search"]) == (6, round(2 / 6, 6),
                                                                                   round(1 / 6, 6), 2.0)
    assert a["ctr_ci"][0] < 0.25 < a["ctr_ci"][1]
    assert b["verdict"] == "not yet significant"


def test_a_large_clear_difference_is_called() -> None:
    exp = parse_experiment(HALVES)
    searches = [SearchLog(f"q{i}", "x", 1, 1.0, "s", "e", "a" if i % 2 else "b") for i in range(4000)]
    events = [Event(f"c{i}", "click", "p", "s", 2.0, f"q{i}", 1) for i in range(4000)
              if (i % 2 and i % 10 == 1) or (not i % 2 and i % 4 == 0)]
    _, b = variant_metrics(exp, searches, events)
    assert b["verdict"] == "better"


@pytest.mark.parametrize("bad", [
    {"id": "x", "variants": [{"name": "a", "share": 1.0}]},
    {"id": "x", "variants": [{"name": "a", "share": 0.5}, {"name": "b", "share": 0.6}]},
    {"id": "x", "variants": [{"name": "a", "share": 0.5}, {"name": "a", "share": 0.5}]},
    {"id": "x y", "variants": [{"name": "a", "share": 0.5}, {"name": "b", "share": 0.5}]},
    {"id": "x", "variants": [{"name": "a", "share": 0.5, "settings": {"model": "x"}},
                             {"name": "b", "share": 0.5}]},
])
def test_bad_experiments_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(MerchError):
        parse_experiment(bad)


def test_searches_needed_grows_as_the_lift_shrinks() -> None:
    assert searches_needed(0.1, 0.05) > searches_needed(0.1, 0.10) * 3.5
