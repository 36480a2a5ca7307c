"""Rules the store controls: when a search matches a rule's conditions, its consequences change
the result page (pin, hide, boost, bury, add a filter, redirect, banner).

Rules apply in a defined order: ``priority`` ascending, then name. Within the page, the order of
consequences is fixed too: add_filter and hide remove hits, boost and bury move scores, pins
place products last (a later rule's pin at a taken position goes just after it). A hidden product
never appears, even when another rule pins it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from indexer.filters import FilterSpec, parse_filters
from indexer.merch.errors import MerchError

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
CONDITIONS = ("query_equals", "query_contains", "understood", "filters", "start", "end", "segments")
CONSEQUENCES = ("pin", "hide", "boost", "bury", "add_filter", "redirect", "banner")
MAX_LIST = 100
MAX_TEXT = 500


@dataclass(frozen=True)
class Shift:
    """Boost (positive) or bury (negative) products matching ``filters`` by ``weight`` times the
    pool's relevance spread."""

    filters: FilterSpec
    weight: float


@dataclass(frozen=True)
class Rule:
    """One merchandising rule, as checked from its JSON (``raw`` keeps that JSON)."""

    name: str
    priority: int
    enabled: bool
    query_equals: str | None = None
    query_contains: str | None = None
    understood: Mapping[str, str] = field(default_factory=dict)
    filters: Mapping[str, Any] = field(default_factory=dict)
    start: float | None = None
    end: float | None = None
    segments: tuple[str, ...] = ()
    pins: tuple[tuple[str, int], ...] = ()
    hide: frozenset[str] = frozenset()
    shifts: tuple[Shift, ...] = ()
    add_filter: FilterSpec | None = None
    redirect: str | None = None
    banner: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Context:
    """What a rule's conditions look at: the normalised query, the request's filters (JSON), the
    understood attributes (field -> lower-cased values), the time and the shopper's segment."""

    query: str
    filters: Mapping[str, Any]
    understood: Mapping[str, frozenset[str]]
    now: float
    segment: str | None = None


def normalise(text: str | None) -> str:
    return " ".join((text or "").casefold().split())


def understood_of(block: Mapping[str, Any] | None) -> dict[str, frozenset[str]]:
    """Field -> values (lower case) of a response's ``understood`` block."""
    out: dict[str, set[str]] = {}
    for attr in (block or {}).get("attributes", []):
        values = (str(v).casefold() for v in attr.get("values", []))
        out.setdefault(str(attr.get("field")), set()).update(values)
    return {k: frozenset(v) for k, v in out.items()}


def matches(rule: Rule, ctx: Context) -> bool:
    """Whether every condition the rule sets holds (a rule without conditions always applies)."""
    if not rule.enabled:
        return False
    if rule.query_equals is not None and ctx.query != rule.query_equals:
        return False
    if rule.query_contains is not None and rule.query_contains not in ctx.query:
        return False
    for name, value in rule.understood.items():
        if value.casefold() not in ctx.understood.get(name, frozenset()):
            return False
    for name, value in rule.filters.items():
        given = ctx.filters.get(name)
        given_values = given if isinstance(given, list) else [given]
        if str(value).casefold() not in {str(g).casefold() for g in given_values if g is not None}:
            return False
    if rule.start is not None and ctx.now < rule.start:
        return False
    if rule.end is not None and ctx.now >= rule.end:
        return False
    return not rule.segments or ctx.segment in rule.segments


def ordered(rules: Sequence[Rule]) -> list[Rule]:
    """The order rules apply in: priority ascending, then name."""
    return sorted(rules, key=lambda r: (r.priority, r.name))


def _time(name: str, raw: Any) -> float | None:
    if raw is None:
        return None
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return float(raw)
    if isinstance(raw, str):
        try:
            return datetime.fromisoformat(raw).timestamp()
        except ValueError:
            pass
    raise MerchError(f"{name} must be seconds since the epoch or an ISO 8601 time")


def _text(name: str, raw: Any) -> str:
    if not isinstance(raw, str) or not raw.strip() or len(raw) > MAX_TEXT:
        raise MerchError(f"{name} must be a non-empty string of at most {MAX_TEXT} characters")
    return raw


def _ids(name: str, raw: Any) -> list[str]:
    if not isinstance(raw, list) or len(raw) > MAX_LIST or not all(isinstance(x, str) and x for x in raw):
        raise MerchError(f"{name} must be a list of at most {MAX_LIST} product ids")
    return raw


def _shifts(name: str, raw: Any, sign: float) -> tuple[Shift, ...]:
    if not isinstance(raw, list) or len(raw) > MAX_LIST:
        raise MerchError(f"{name} must be a list of {{\"filters\": {{...}}, \"weight\": 0..1}}")
    out = []
    for item in raw:
        w = item.get("weight") if isinstance(item, dict) else None
        if isinstance(w, bool) or not isinstance(w, int | float) or not 0 < w <= 1:
            raise MerchError(f"each {name} needs filters and a weight above 0 and at most 1")
        out.append(Shift(parse_filters(item.get("filters")), sign * float(w)))
    return tuple(out)


def _pins(raw: Any) -> tuple[tuple[str, int], ...]:
    if not isinstance(raw, list) or len(raw) > MAX_LIST:
        raise MerchError('pin must be a list of {"product_id": ..., "position": 1..100}')
    out = []
    for item in raw:
        pid = item.get("product_id") if isinstance(item, dict) else None
        pos = item.get("position") if isinstance(item, dict) else None
        if not isinstance(pid, str) or not pid or isinstance(pos, bool) or not isinstance(pos, int) \
                or not 1 <= pos <= 100:
            raise MerchError("each pin needs a product_id and a position from 1 to 100")
        out.append((pid, pos))
    return tuple(out)


def _check_keys(where: str, raw: Any, allowed: tuple[str, ...]) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise MerchError(f"{where} must be an object")
    unknown = sorted(set(raw) - set(allowed))
    if unknown:
        raise MerchError(f"unknown {where} {', '.join(unknown)}; use {', '.join(allowed)}")
    return raw


def _query(cond: Mapping[str, Any], name: str) -> str | None:
    return normalise(_text(name, cond[name])) if name in cond else None


def parse_rule(raw: Any) -> Rule:
    """A rule from its JSON.

    Raises:
        MerchError, FilterError: what is wrong, naming the field.
    """
    body = _check_keys("rule field(s)", raw, ("name", "priority", "enabled", "conditions", "consequences"))
    name = body.get("name")
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise MerchError("name must be 1-64 letters, digits, '.', '_' or '-', "
                         "starting with a letter or digit")
    priority = body.get("priority", 100)
    if isinstance(priority, bool) or not isinstance(priority, int) or not 0 <= priority <= 1_000_000:
        raise MerchError("priority must be a whole number from 0 to 1000000 (lower applies first)")
    enabled = body.get("enabled", True)
    if not isinstance(enabled, bool):
        raise MerchError("enabled must be true or false")
    cond = _check_keys("condition(s)", body.get("conditions"), CONDITIONS)
    cons = _check_keys("consequence(s)", body.get("consequences"), CONSEQUENCES)
    if not cons:
        raise MerchError(f"a rule needs at least one consequence: {', '.join(CONSEQUENCES)}")
    understood = _check_keys("understood attribute(s)", cond.get("understood"),
                             ("colour", "article_type", "gender", "category", "sub_category", "season",
                              "occasion", "brand"))
    filters = cond.get("filters") or {}
    parse_filters(filters)  # the same fields and values a search's filters take
    segments = cond.get("segments") or []
    if not isinstance(segments, list) or not all(isinstance(s, str) and s for s in segments):
        raise MerchError("segments must be a list of segment names")
    redirect = cons.get("redirect")
    if redirect is not None and not (isinstance(redirect, str)
                                     and redirect.startswith(("https://", "http://", "/"))):
        raise MerchError("redirect must be an http(s) URL or a path starting with /")
    return Rule(
        name=name, priority=priority, enabled=enabled,
        query_equals=_query(cond, "query_equals"), query_contains=_query(cond, "query_contains"),
        understood={k: _text(f"understood.{k}", v) for k, v in understood.items()},
        filters=filters, start=_time("start", cond.get("start")), end=_time("end", cond.get("end")),
        segments=tuple(segments), pins=_pins(cons.get("pin", [])),
        hide=frozenset(_ids("hide", cons.get("hide", []))),
        shifts=_shifts("boost", cons.get("boost", []), 1.0) + _shifts("bury", cons.get("bury", []), -1.0),
        add_filter=parse_filters(cons["add_filter"]) if cons.get("add_filter") else None,
        redirect=redirect, banner=_text("banner", cons["banner"]) if "banner" in cons else None,
        raw={"name": name, "priority": priority, "enabled": enabled, "conditions": cond,
             "consequences": cons},
    )
