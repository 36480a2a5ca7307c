"""Filters: parsed once from CLI or JSON into a backend-neutral spec, validated strictly.

JSON form (the API)::

    {"occasion": "Casual", "colour": ["Black", "Navy Blue"],
     "price": {"gte": 10, "lte": 50}, "year": [2011, 2012]}

CLI form (``--filter``, repeatable)::

    occasion=Casual   colour=Black,Navy Blue   price=10..50   year=2011..   price=..99.5
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from indexer.errors import FilterError
from indexer.schema import BOOL_TWINS, FILTER_FIELDS, PREDICTED_SUFFIX, TAGGED_FIELDS, TWIN_VALUES

MAX_VALUES = 100
RANGE_KEYS = ("gte", "lte", "gt", "lt")


@dataclass(frozen=True)
class AnyOf:
    """The field equals one of ``values``."""

    values: tuple[str | int | bool, ...]

    def matches(self, value: Any) -> bool:
        return value in self.values


@dataclass(frozen=True)
class Range:
    """The field lies within the bounds that are set."""

    gte: float | None = None
    lte: float | None = None
    gt: float | None = None
    lt: float | None = None

    def matches(self, value: Any) -> bool:
        if not isinstance(value, int | float) or isinstance(value, bool):
            return False
        return not (
            (self.gte is not None and value < self.gte)
            or (self.lte is not None and value > self.lte)
            or (self.gt is not None and value <= self.gt)
            or (self.lt is not None and value >= self.lt)
        )


@dataclass(frozen=True)
class NoneOf:
    """The field equals none of ``values`` (a missing field matches): how search hides
    out-of-stock products while products without stock data stay visible."""

    values: tuple[str | int | bool, ...]

    def matches(self, value: Any) -> bool:
        return value not in self.values


Condition = AnyOf | Range | NoneOf


@dataclass(frozen=True)
class FilterSpec:
    """All conditions must hold (AND across fields; OR within an any-of list).

    With ``include_predicted``, a product whose catalog lacks a tagged attribute
    (occasion, colour, sub_category) matches on the value the ingestion pipeline
    predicted for it instead.
    """

    conditions: tuple[tuple[str, Condition], ...] = ()
    include_predicted: bool = False

    def __bool__(self) -> bool:
        return bool(self.conditions)

    def uses_predicted(self, name: str, cond: Condition) -> bool:
        """Whether this condition also accepts the predicted twin of its field."""
        return self.include_predicted and name in TAGGED_FIELDS and isinstance(cond, AnyOf)

    def _value(self, name: str, cond: Condition, payload: Mapping[str, Any]) -> Any:
        value = payload.get(name)
        if value is None and self.uses_predicted(name, cond):
            return payload.get(f"{name}{PREDICTED_SUFFIX}")
        return value

    def matches(self, payload: Mapping[str, Any]) -> bool:
        """Whether a stored payload satisfies every condition (used to explain and to test)."""
        return all(cond.matches(self._value(name, cond, payload)) for name, cond in self.conditions)

    def matched(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """The filtered fields and the values this payload has for them (predicted ones marked)."""
        out: dict[str, Any] = {}
        for name, cond in self.conditions:
            value = self._value(name, cond, payload)
            predicted = payload.get(name) is None and value is not None
            out[name] = f"{value} (predicted)" if predicted else value
        return out

    def fields(self) -> list[str]:
        return [name for name, _ in self.conditions]

    def with_condition(self, name: str, cond: Condition) -> FilterSpec:
        """This spec with ``name``'s condition replaced in place (or appended)."""
        if name not in self.fields():
            return FilterSpec((*self.conditions, (name, cond)), self.include_predicted)
        replaced = tuple((n, cond if n == name else c) for n, c in self.conditions)
        return FilterSpec(replaced, self.include_predicted)

    def to_json(self, *, implied: bool = True) -> dict[str, Any]:
        """The conditions as JSON; without ``implied``, only those a caller asked for (the
        default hiding of out-of-stock products is left out)."""
        out: dict[str, Any] = {}
        for name, cond in self.conditions:
            if isinstance(cond, NoneOf) and not implied:
                continue
            if isinstance(cond, AnyOf):
                out[name] = list(cond.values)
            elif isinstance(cond, NoneOf):
                out[name] = {"not": list(cond.values)}
            else:
                out[name] = {k: getattr(cond, k) for k in RANGE_KEYS if getattr(cond, k) is not None}
        return out


def _unknown_field(name: Any) -> FilterError:
    return FilterError(
        f"unknown filter field {name!r}; filterable fields are: {', '.join(FILTER_FIELDS)}"
    )


# The store keeps whole numbers as 64-bit integers; a larger one can match nothing and would
# overflow on its way there (JSON allows integers of any size).
INT_LIMIT = 2**63 - 1


def _too_big(value: int) -> bool:
    return abs(value) > INT_LIMIT


def _number(name: str, key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FilterError(f"filter {name}.{key} must be a finite number, got {value!r}")
    if (isinstance(value, int) and _too_big(value)) or not math.isfinite(value):
        raise FilterError(f"filter {name}.{key} must be a finite number between -2^63 and 2^63")
    return float(value)


def _range(name: str, bounds: Mapping[str, Any]) -> Range:
    if FILTER_FIELDS[name] == "bool":
        raise FilterError(f"filter {name} takes true or false, not a range")
    if FILTER_FIELDS[name] == "keyword":
        raise FilterError(f"filter {name} is a text field and takes values, not a range")
    extra = sorted(set(bounds) - set(RANGE_KEYS))
    if extra or not bounds:
        raise FilterError(
            f"range filter {name} takes the keys {', '.join(RANGE_KEYS)}; got {sorted(bounds)}"
        )
    rng = Range(**{k: _number(name, k, v) for k, v in bounds.items()})
    low = rng.gte if rng.gte is not None else rng.gt
    high = rng.lte if rng.lte is not None else rng.lt
    if low is not None and high is not None and low > high:
        raise FilterError(f"range filter {name} is empty: lower bound {low} > upper bound {high}")
    return rng


def _value(name: str, value: Any) -> str | int | bool:
    kind = FILTER_FIELDS[name]
    if kind == "bool":
        if not isinstance(value, bool):
            raise FilterError(f"filter {name} takes true or false, got {value!r}")
        return value
    if kind == "keyword":
        if not isinstance(value, str) or not value.strip():
            raise FilterError(f"filter {name} takes non-empty text values, got {value!r}")
        if len(value) > 200:
            raise FilterError(f"filter {name} value is longer than 200 characters")
        return value.strip()
    if kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise FilterError(f"filter {name} takes whole numbers, got {value!r}")
        if _too_big(value):
            raise FilterError(f"filter {name} takes whole numbers between -2^63 and 2^63")
        return value
    raise FilterError(f"filter {name} takes a range such as {{\"gte\": 10, \"lte\": 50}}")


def parse_filters(raw: Mapping[str, Any] | None, *, include_predicted: bool = False) -> FilterSpec:
    """Validate a JSON filter object into a FilterSpec.

    Raises:
        FilterError: unknown field, wrong type, empty list or empty range; the message
            names the valid fields or the expected form.
    """
    if raw is None:
        return FilterSpec(include_predicted=include_predicted)
    if not isinstance(raw, Mapping):
        raise FilterError("filters must be an object mapping field names to values")
    conditions: list[tuple[str, Condition]] = []
    for name, value in raw.items():
        if name not in FILTER_FIELDS:
            raise _unknown_field(name)
        if isinstance(value, Mapping):
            conditions.append((name, _range(name, value)))
            continue
        values = value if isinstance(value, list) else [value]
        if not values:
            raise FilterError(f"filter {name} has an empty list of values")
        if len(values) > MAX_VALUES:
            raise FilterError(f"filter {name} has more than {MAX_VALUES} values")
        parsed = tuple(dict.fromkeys(_value(name, v) for v in values))
        if FILTER_FIELDS[name] == "bool" and len(parsed) > 1:
            continue  # true or false: no condition at all
        conditions.append((name, AnyOf(parsed)))
    return FilterSpec(tuple(conditions), include_predicted)


def _cli_scalar(name: str, text: str) -> str | int | bool:
    if FILTER_FIELDS[name] == "bool":
        if text.lower() not in ("true", "false", "yes", "no", "1", "0"):
            raise FilterError(f"filter {name} takes true or false, got {text!r}")
        return text.lower() in ("true", "yes", "1")
    if FILTER_FIELDS[name] == "integer":
        try:
            return int(text)
        except ValueError:
            raise FilterError(f"filter {name} takes whole numbers, got {text!r}") from None
    return text


def _cli_number(name: str, text: str) -> float | None:
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise FilterError(f"filter {name} range bound {text!r} is not a number") from None


def parse_cli_filters(items: Iterable[str], *, include_predicted: bool = False) -> FilterSpec:
    """Parse ``field=value`` strings (``a,b`` any-of; ``lo..hi`` ranges) into a FilterSpec."""
    raw: dict[str, Any] = {}
    for item in items:
        name, sep, text = item.partition("=")
        name, text = name.strip(), text.strip()
        if not sep or not name:
            raise FilterError(f"filter {item!r} is not of the form field=value")
        if name not in FILTER_FIELDS:
            raise _unknown_field(name)
        if name in raw:
            raise FilterError(f"filter {name} is given twice; use {name}=a,b for any of a or b")
        if ".." in text and FILTER_FIELDS[name] != "keyword":
            low, _, high = text.partition("..")
            bounds = {"gte": _cli_number(name, low.strip()), "lte": _cli_number(name, high.strip())}
            raw[name] = {k: v for k, v in bounds.items() if v is not None}
        elif FILTER_FIELDS[name] == "float":
            number = _cli_number(name, text)
            raw[name] = {"gte": number, "lte": number}
        else:
            raw[name] = [_cli_scalar(name, v.strip()) for v in text.split(",") if v.strip()]
    return parse_filters(raw, include_predicted=include_predicted)


def hide_out_of_stock(spec: FilterSpec) -> FilterSpec:
    """``spec`` with out-of-stock products left out, unless it already says what it wants of
    ``in_stock`` (a shopper's search hides them unless ``include_out_of_stock``)."""
    if "in_stock" in spec.fields():
        return spec
    return spec.with_condition("in_stock", NoneOf((False,)))


def stored_condition(name: str, cond: Condition) -> tuple[str, Condition]:
    """The payload key and condition a backend matches: a true/false field's keyword twin."""
    twin = BOOL_TWINS.get(name)
    if twin is None or isinstance(cond, Range):
        return name, cond
    values = tuple(TWIN_VALUES[bool(v)] for v in cond.values)
    return twin, (AnyOf(values) if isinstance(cond, AnyOf) else NoneOf(values))
