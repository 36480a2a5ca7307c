"""The numbers a merchandiser reads, computed from the search log and the events.

Definitions (docs/merchandising.md):
    CTR          searches with at least one click / searches
    conversion   searches with at least one purchase / searches
    avg click position   mean ``position`` of click events that carry one
    no-click queries     queries whose searches had results and not one click
    zero-result queries  queries whose searches had no result
    top products         by clicks, then purchases
An event counts on the day of its search when it names one, else on its own day.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from indexer.merch.events import Event, SearchLog

DAY_S = 86400


def day_of(ts: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(ts))


@dataclass
class Tally:
    """Counts over a set of searches."""

    searches: int = 0
    clicked: int = 0
    converted: int = 0
    clicks: int = 0
    purchases: int = 0
    revenue: float = 0.0
    positions: list[int] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        n = self.searches
        return {
            "searches": n, "clicks": self.clicks, "purchases": self.purchases,
            "ctr": round(self.clicked / n, 6) if n else None,
            "conversion": round(self.converted / n, 6) if n else None,
            "revenue": round(self.revenue, 2),
            "avg_click_position": (round(sum(self.positions) / len(self.positions), 4)
                                   if self.positions else None),
        }


@dataclass
class _Outcome:
    """What happened after one search."""

    clicks: int = 0
    purchases: int = 0
    revenue: float = 0.0
    positions: list[int] = field(default_factory=list)


def outcomes(events: Iterable[Event]) -> dict[str, _Outcome]:
    """Per query id: its clicks, purchases, revenue and click positions."""
    out: dict[str, _Outcome] = defaultdict(_Outcome)
    for e in events:
        if e.query_id is None:
            continue
        o = out[e.query_id]
        if e.type == "click":
            o.clicks += 1
            if e.position is not None:
                o.positions.append(e.position)
        elif e.type == "purchase":
            o.purchases += 1
            o.revenue += e.value or 0.0
    return out


def add(tally: Tally, outcome: _Outcome | None) -> None:
    tally.searches += 1
    if outcome is None:
        return
    tally.clicked += outcome.clicks > 0
    tally.converted += outcome.purchases > 0
    tally.clicks += outcome.clicks
    tally.purchases += outcome.purchases
    tally.revenue += outcome.revenue
    tally.positions.extend(outcome.positions)


def in_range(ts: float, start: str | None, end: str | None) -> bool:
    day = day_of(ts)
    return (start is None or day >= start) and (end is None or day <= end)


def report(searches: Iterable[SearchLog], events: Iterable[Event], start: str | None = None,
           end: str | None = None, limit: int = 20) -> dict[str, Any]:
    """Every number of the dashboard over the days ``start``..``end`` (YYYY-MM-DD, inclusive)."""
    logs = [s for s in searches if in_range(s.timestamp, start, end)]
    evs = list(events)
    after = outcomes(evs)
    overall = Tally()
    per_query: defaultdict[str, Tally] = defaultdict(Tally)
    per_day: defaultdict[str, Tally] = defaultdict(Tally)
    zero: Counter[str] = Counter()
    answered: Counter[str] = Counter()
    for s in logs:
        o = after.get(s.query_id)
        add(overall, o)
        add(per_query[s.query], o)
        add(per_day[day_of(s.timestamp)], o)
        if s.results == 0:
            zero[s.query] += 1
        else:
            answered[s.query] += 1
    known = {s.query_id for s in logs}
    products = _products(e for e in evs if (e.query_id in known) or
                         (e.query_id is None and in_range(e.timestamp, start, end)))
    ranked = sorted(per_query.items(), key=lambda kv: (-kv[1].searches, kv[0]))
    no_click = [{"query": q, "searches": answered[q]} for q, t in ranked if answered[q] and t.clicks == 0]
    return {
        "range": {"start": start, "end": end},
        "overall": overall.to_json(),
        "queries": [{"query": q, **t.to_json()} for q, t in ranked[:limit]],
        "no_click_queries": no_click[:limit],
        "zero_result_queries": [{"query": q, "searches": n}
                                for q, n in sorted(zero.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]],
        "top_products": products[:limit],
        "days": [{"day": d, **per_day[d].to_json()} for d in sorted(per_day)],
    }


def _products(events: Iterable[Event]) -> list[dict[str, Any]]:
    clicks: Counter[str] = Counter()
    buys: Counter[str] = Counter()
    views: Counter[str] = Counter()
    for e in events:
        {"click": clicks, "purchase": buys, "view": views}.get(e.type, Counter())[e.product_id] += 1
    ids = set(clicks) | set(buys)
    rows = [{"product_id": p, "clicks": clicks[p], "purchases": buys[p], "views": views[p]} for p in ids]
    return sorted(rows, key=lambda r: (-r["clicks"], -r["purchases"], r["product_id"]))
