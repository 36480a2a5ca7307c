"""Shopper events: what a storefront reports after a search (``view``, ``click``,
``add_to_cart``, ``purchase``), checked once into ``Event``s.

Each event names the search it follows by ``query_id`` (every search response carries one), so
analytics and experiments can join clicks and purchases to the search and its variant.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from indexer.merch.errors import MerchError

TYPES = ("view", "click", "add_to_cart", "purchase")
MAX_BATCH = 1000
MAX_ID = 100
FIELDS = ("id", "type", "product_id", "query_id", "position", "shopper_id", "timestamp", "value")
REQUIRED = ("id", "type", "product_id", "shopper_id", "timestamp")
MAX_POSITION = 10_000
MAX_VALUE = 1e9
# Timestamps are seconds since the epoch; milliseconds by mistake would land in the year 50000+.
MIN_TS, MAX_TS = 946_684_800.0, 4_102_444_800.0  # 2000-01-01 .. 2100-01-01


@dataclass(frozen=True)
class Event:
    """One shopper action on one product, after the search ``query_id`` (None: not from search)."""

    id: str
    type: str
    product_id: str
    shopper_id: str
    timestamp: float
    query_id: str | None = None
    position: int | None = None
    value: float | None = None

    def to_fields(self) -> dict[str, str]:
        """The event as flat string fields (a Redis stream entry); absent values left out."""
        out = {"id": self.id, "type": self.type, "product_id": self.product_id,
               "shopper_id": self.shopper_id, "timestamp": repr(self.timestamp)}
        if self.query_id is not None:
            out["query_id"] = self.query_id
        if self.position is not None:
            out["position"] = str(self.position)
        if self.value is not None:
            out["value"] = repr(self.value)
        return out

    @classmethod
    def from_fields(cls, raw: Mapping[str, str]) -> Event:
        """The event ``to_fields`` wrote."""
        return cls(id=raw["id"], type=raw["type"], product_id=raw["product_id"],
                   shopper_id=raw["shopper_id"], timestamp=float(raw["timestamp"]),
                   query_id=raw.get("query_id"),
                   position=int(raw["position"]) if "position" in raw else None,
                   value=float(raw["value"]) if "value" in raw else None)


def _text(where: str, name: str, value: Any) -> str:
    if not isinstance(value, str) or not value or len(value) > MAX_ID or not value.isprintable():
        raise MerchError(f"{where}: {name} must be a non-empty string of at most {MAX_ID} "
                         "printable characters")
    return value


def _number(where: str, name: str, value: Any, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise MerchError(f"{where}: {name} must be a number")
    if not low <= value <= high:
        raise MerchError(f"{where}: {name} must be between {low:g} and {high:g}, got {value:g}")
    return float(value)


def parse_event(raw: Any, index: int = 0) -> Event:
    """One event from its JSON form.

    Raises:
        MerchError: naming the event's index and what is wrong.
    """
    where = f"events[{index}]"
    if not isinstance(raw, dict):
        raise MerchError(f"{where} must be an object")
    unknown = sorted(set(raw) - set(FIELDS))
    if unknown:
        raise MerchError(f"{where}: unknown field(s) {', '.join(unknown)}; an event has {', '.join(FIELDS)}")
    missing = [f for f in REQUIRED if raw.get(f) is None]
    if missing:
        raise MerchError(f"{where}: missing {', '.join(missing)}")
    if raw["type"] not in TYPES:
        raise MerchError(f"{where}: type must be one of {', '.join(TYPES)}, got {raw['type']!r}")
    position = raw.get("position")
    if position is not None and (isinstance(position, bool) or not isinstance(position, int)
                                 or not 1 <= position <= MAX_POSITION):
        raise MerchError(f"{where}: position must be a whole number from 1 (the first result) "
                         f"to {MAX_POSITION}")
    value = raw.get("value")
    return Event(
        id=_text(where, "id", raw["id"]), type=raw["type"],
        product_id=_text(where, "product_id", raw["product_id"]),
        shopper_id=_text(where, "shopper_id", raw["shopper_id"]),
        timestamp=_number(where, "timestamp", raw["timestamp"], MIN_TS, MAX_TS),
        query_id=_text(where, "query_id", raw["query_id"]) if raw.get("query_id") is not None else None,
        position=position,
        value=_number(where, "value", value, 0.0, MAX_VALUE) if value is not None else None,
    )


def parse_batch(body: Any) -> list[Event]:
    """The events of a POST /events body: ``{"events": [...]}`` with 1 to MAX_BATCH events.

    Raises:
        MerchError: the body's shape, its size, or the first bad event.
    """
    if not isinstance(body, dict) or not isinstance(body.get("events"), list):
        raise MerchError('the body must be {"events": [...]}')
    raw = body["events"]
    if not 1 <= len(raw) <= MAX_BATCH:
        raise MerchError(f"send 1 to {MAX_BATCH} events per call, got {len(raw)}")
    return [parse_event(e, i) for i, e in enumerate(raw)]


@dataclass(frozen=True)
class SearchLog:
    """What the events need to know of one search: its text, how many results it had, when,
    who asked, and the experiment variant it was served (if any)."""

    query_id: str
    query: str
    results: int
    timestamp: float
    shopper_id: str | None = None
    experiment: str | None = None
    variant: str | None = None

    def to_fields(self) -> dict[str, str]:
        out = {"query_id": self.query_id, "query": self.query, "results": str(self.results),
               "timestamp": repr(self.timestamp)}
        for name in ("shopper_id", "experiment", "variant"):
            if (v := getattr(self, name)) is not None:
                out[name] = v
        return out

    @classmethod
    def from_fields(cls, raw: Mapping[str, str]) -> SearchLog:
        return cls(query_id=raw["query_id"], query=raw["query"], results=int(raw["results"]),
                   timestamp=float(raw["timestamp"]), shopper_id=raw.get("shopper_id"),
                   experiment=raw.get("experiment"), variant=raw.get("variant"))
