"""Filters: strict parsing, and (property-based) every hit honours every condition."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from encoder import Encoder
from indexer import (
    EdgeStore,
    FilterError,
    FilterSpec,
    Query,
    Searcher,
    index_entries,
    parse_cli_filters,
    parse_filters,
)
from indexer.catalog import CatalogEntry
from indexer.filters import AnyOf, Range
from indexer.schema import KEYWORD_FIELDS


def test_json_filters_parse() -> None:
    spec = parse_filters(
        {
            "occasion": "Casual",
            "colour": ["Black", "Navy Blue"],
            "price": {"gte": 10, "lte": 50},
            "year": [2011, 2012],
        }
    )
    assert dict(spec.conditions) == {
        "occasion": AnyOf(("Casual",)),
        "colour": AnyOf(("Black", "Navy Blue")),
        "price": Range(gte=10.0, lte=50.0),
        "year": AnyOf((2011, 2012)),
    }


def test_cli_filters_parse() -> None:
    spec = parse_cli_filters(["occasion=Casual", "colour=Black,Navy Blue", "price=10..50", "year=2011.."])
    assert dict(spec.conditions) == {
        "occasion": AnyOf(("Casual",)),
        "colour": AnyOf(("Black", "Navy Blue")),
        "price": Range(gte=10.0, lte=50.0),
        "year": Range(gte=2011.0),
    }


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"material": "Leather"}, "unknown filter field 'material'; filterable fields are: gender, category"),
        ({"occasion": []}, "empty list"),
        ({"occasion": 3}, "non-empty text"),
        ({"occasion": {"gte": 1}}, "text field"),
        ({"year": "2012"}, "whole numbers"),
        ({"year": True}, "whole numbers"),
        ({"price": 10}, "takes a range"),
        ({"price": {"gte": 50, "lte": 10}}, "is empty"),
        ({"price": {"from": 1}}, "takes the keys"),
        ({"price": {"gte": float("nan")}}, "finite number"),
        ({"colour": ["x"] * 101}, "more than 100"),
        (["occasion"], "must be an object"),
    ],
)
def test_bad_filters_name_what_is_valid(raw: object, message: str) -> None:
    with pytest.raises(FilterError, match=message):
        parse_filters(raw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("items", "message"),
    [
        (["material=x"], "unknown filter field"),
        (["occasion"], "field=value"),
        (["price=a..b"], "not a number"),
        (["year=abc"], "whole numbers"),
        (["occasion=a", "occasion=b"], "given twice"),
    ],
)
def test_bad_cli_filters(items: list[str], message: str) -> None:
    with pytest.raises(FilterError, match=message):
        parse_cli_filters(items)


# -- property-based: filtered search against the real Edge store --------------------------------


def _priced(entry: CatalogEntry) -> CatalogEntry:
    # The sample catalog has no prices; give each product a stable one so price ranges are exercised.
    price = float(int(entry.product.id) % 97) + 0.5
    return CatalogEntry(entry.line, dataclasses.replace(entry.product, price=price))


@pytest.fixture(scope="module")
def priced(
    tmp_path_factory: pytest.TempPathFactory, encoder: Encoder, catalog_entries: list[CatalogEntry]
) -> Iterator[tuple[Searcher, list[dict]]]:
    store = EdgeStore(tmp_path_factory.mktemp("priced"))
    entries = [_priced(e) for e in catalog_entries]
    index_entries(encoder, store, entries)
    payloads = [e.product.to_payload() for e in entries]
    yield Searcher(encoder, store), payloads
    store.close()


def _values(payloads: list[dict], name: str) -> list:
    return sorted({p[name] for p in payloads if name in p})


@st.composite
def filter_specs(draw: st.DrawFn, payloads: list[dict]) -> dict:
    raw: dict = {}
    # fields the sample catalog has values for (it has no currency, for one)
    names = [n for n in KEYWORD_FIELDS if _values(payloads, n)]
    for name in draw(st.lists(st.sampled_from([*names, "year", "price"]), max_size=3, unique=True)):
        if name == "price":
            low = draw(st.floats(0, 100, allow_nan=False))
            raw[name] = {"gte": low, "lte": draw(st.floats(low, 120, allow_nan=False))}
        elif name == "year" and draw(st.booleans()):
            raw[name] = {"gte": draw(st.integers(2008, 2013))}
        else:
            values = _values(payloads, name)
            raw[name] = draw(st.lists(st.sampled_from(values), min_size=1, max_size=3, unique=True))
    return raw


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_hit_satisfies_every_condition(
    priced: tuple[Searcher, list[dict]], data: st.DataObject
) -> None:
    searcher, payloads = priced
    raw = data.draw(filter_specs(payloads))
    spec = parse_filters(raw)
    text = data.draw(st.sampled_from(["black watch", "casual shirt", "red", "sports shoes for men"]))
    matching = {p["id"] for p in payloads if spec.matches(p)}
    k = data.draw(st.sampled_from([5, 10, 100]))
    result = searcher.search(Query(text=text, filters=spec, k=k, exact=data.draw(st.booleans())))
    ids = [h.id for h in result.hits]
    assert len(ids) == len(set(ids))
    for hit in result.hits:
        assert spec.matches(hit.product.to_payload()), (raw, hit.product)
        assert hit.breakdown["matched_filters"] == spec.matched(hit.product.to_payload())
    if k >= len(matching):
        assert set(ids) == matching  # nothing that matches is missed
    else:
        assert len(ids) == k
    assert searcher.store.count(spec) == len(matching)


def test_values_are_matched_case_insensitively(priced: tuple[Searcher, list[dict]]) -> None:
    searcher, _ = priced
    result = searcher.search(Query(text="shirt", filters=parse_filters({"occasion": "casual"}), k=20))
    assert result.hits and all(h.product.occasion == "Casual" for h in result.hits)
    assert result.filters.to_json() == {"occasion": ["Casual"]}


def test_unknown_value_names_the_valid_ones(priced: tuple[Searcher, list[dict]]) -> None:
    searcher, _ = priced
    with pytest.raises(FilterError, match="no product has occasion 'Party'; valid values: Casual"):
        searcher.search(Query(text="dress", filters=parse_filters({"occasion": "Party"})))


def test_empty_spec_matches_everything() -> None:
    assert FilterSpec().matches({"occasion": "x"}) and not FilterSpec()
