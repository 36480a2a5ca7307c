"""Business terms in the re-rank: popularity from events, recency, stock, and any numeric
payload field a merchant names, each a value in [0, 1] per hit.

    final = relevance + cap * spread * sum(w_t * v_t)        with sum(w_t) <= 1

``spread`` is the relevance range of the pool being re-ranked, ``cap`` (0..0.5, per collection)
how much of it business may move. A hit whose relevance is more than ``cap * spread`` below the
most relevant one can never overtake it: business breaks near-ties, relevance decides the rest.
Every term's value, its weight and the bonus are written into the hit's breakdown.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache, partial
from typing import Any

from indexer.merch.errors import MerchError
from indexer.merch.events import Event
from indexer.search.model import Hit

BUILTIN = ("popularity", "recency", "stock")
FIELD_PREFIX = "field:"
MAX_CAP = 0.5
DAY_S = 86400.0


@dataclass(frozen=True)
class BusinessConfig:
    """Weights per term (``popularity``, ``recency``, ``stock``, ``field:<payload field>``) and
    the cap; half-lives in days; ``stock_full``: the stock level counted as fully stocked."""

    weights: Mapping[str, float]
    cap: float = 0.15
    popularity_half_life_d: float = 14.0
    recency_half_life_d: float = 365.0
    stock_full: float = 20.0

    def active(self) -> dict[str, float]:
        return {n: w for n, w in self.weights.items() if w > 0}


def parse_weights(raw: Any) -> dict[str, float]:
    """Per-request or per-collection weights: ``{"popularity": 0.5, "field:margin": 0.2}``.

    Raises:
        MerchError: an unknown term or a weight outside 0..1.
    """
    if not isinstance(raw, dict):
        raise MerchError("business must be an object of term -> weight")
    out: dict[str, float] = {}
    for name, w in raw.items():
        if not isinstance(name, str) or not (name in BUILTIN or (name.startswith(FIELD_PREFIX)
                                                                   and len(name) > len(FIELD_PREFIX))):
            raise MerchError(f"unknown business term {name!r}; use {', '.join(BUILTIN)} "
                             "or field:<payload field>")
        if isinstance(w, bool) or not isinstance(w, int | float) or not 0 <= w <= 1:
            raise MerchError(f"the weight of {name} must be a number from 0 to 1")
        out[name] = float(w)
    return out


@dataclass(frozen=True)
class Popularity:
    """Time-decayed clicks, purchases and views per product, and the Bayesian-smoothed CTR that
    makes one click worth little: (clicks + 2 * purchases + m * prior) / (impressions + m)."""

    clicks: Mapping[str, float]
    purchases: Mapping[str, float]
    views: Mapping[str, float]
    prior: float
    pseudo: float = 20.0

    def score(self, product_id: str) -> float:
        c, p = self.clicks.get(product_id, 0.0), self.purchases.get(product_id, 0.0)
        shown = max(self.views.get(product_id, 0.0), c)
        return (c + 2 * p + self.pseudo * self.prior) / (shown + self.pseudo)


def popularity(events: Iterable[Event], now: float, half_life_d: float = 14.0) -> Popularity:
    """Popularity as of ``now`` from events (each weighted 0.5 ** (age / half-life))."""
    tallies: dict[str, dict[str, float]] = {"click": {}, "purchase": {}, "view": {}}
    for e in events:
        bucket = tallies.get(e.type)
        if bucket is None:
            continue
        age_d = max(0.0, now - e.timestamp) / DAY_S
        bucket[e.product_id] = bucket.get(e.product_id, 0.0) + 0.5 ** (age_d / half_life_d)
    clicks, views = sum(tallies["click"].values()), sum(tallies["view"].values())
    prior = clicks / views if views > clicks > 0 else 0.05
    return Popularity(tallies["click"], tallies["purchase"], tallies["view"], min(prior, 1.0))


def _created(payload: Mapping[str, Any]) -> float | None:
    """When a product appeared: ``created_at`` (epoch seconds or ISO 8601), else 1 January of its year."""
    raw = payload.get("created_at")
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return float(raw)
    if isinstance(raw, str):
        try:
            return datetime.fromisoformat(raw).timestamp()
        except ValueError:
            return None
    year = payload.get("year")
    if isinstance(year, int) and 1900 <= year <= 2200:
        return _new_year(year)
    return None


@lru_cache(maxsize=512)
def _new_year(year: int) -> float:
    """1 January of ``year`` (cached: most of a pool shares a handful of years)."""
    return datetime(year, 1, 1, tzinfo=UTC).timestamp()


def _number(payload: Mapping[str, Any], name: str) -> float | None:
    v = payload.get(name)
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        return None
    return float(v)


def term_values(name: str, hits: list[Hit], payloads: Mapping[str, Mapping[str, Any]],
                config: BusinessConfig, pop: Popularity | None, now: float) -> list[float]:
    """One value in [0, 1] per hit for term ``name`` (0 where the product lacks the data)."""
    if name == "popularity":
        raw = [pop.score(h.id) if pop is not None else 0.0 for h in hits]
        top = max(raw, default=0.0)
        return [r / top if top > 0 else 0.0 for r in raw]
    if name == "recency":
        out = []
        for h in hits:
            at = _created(payloads.get(h.id, {}))
            age_d = max(0.0, now - at) / DAY_S if at is not None else 0.0
            out.append(0.0 if at is None else 0.5 ** (age_d / config.recency_half_life_d))
        return out
    if name == "stock":
        stock = [_number(payloads.get(h.id, {}), "stock") for h in hits]
        return [0.0 if s is None or s <= 0 else min(1.0, s / config.stock_full) for s in stock]
    field = name[len(FIELD_PREFIX):]
    nums = [_number(payloads.get(h.id, {}), field) for h in hits]
    top = max((n for n in nums if n is not None and n > 0), default=0.0)
    return [n / top if n is not None and n > 0 and top > 0 else 0.0 for n in nums]


def apply_business(hits: list[Hit], config: BusinessConfig, payloads: Mapping[str, Mapping[str, Any]],
                   pop: Popularity | None, now: float) -> list[Hit]:
    """The hits re-scored with the business terms and re-sorted; every term in the breakdown."""
    weights = config.active()
    if not hits or not weights:
        return hits
    total_w = sum(weights.values())
    scale = 1.0 / total_w if total_w > 1 else 1.0  # weights summing past 1 share the cap
    cap = min(max(config.cap, 0.0), MAX_CAP)
    scores = [h.score for h in hits]
    spread = max(scores) - min(scores)
    values = {n: term_values(n, hits, payloads, config, pop, now) for n in weights}
    scaled = {n: w * scale for n, w in weights.items()}
    out = []
    for i, h in enumerate(hits):
        bonus = cap * spread * sum(w * values[n][i] for n, w in scaled.items())
        # The explanation waits for the page (Hit.explained): most of the pool is never shown.
        explain = partial(_explain, h.deferred, h.score, bonus, cap, spread, scaled, values, i)
        out.append(Hit(h.id, h.score + bonus, h.breakdown, h.product, explain))
    return sorted(out, key=lambda x: -x.score)


def _explain(core: Callable[[], dict[str, Any]] | None, relevance: float, bonus: float, cap: float,
             spread: float, weights: Mapping[str, float], values: Mapping[str, list[float]], i: int
             ) -> dict[str, Any]:
    """A hit's breakdown: the core's, then its relevance and every business term."""
    return {**(core() if core is not None else {}), "relevance": round(relevance, 6),
            "business": {"bonus": round(bonus, 6), "cap": cap, "spread": round(spread, 6),
                         "terms": {n: {"weight": round(w, 6), "value": round(values[n][i], 6)}
                                   for n, w in weights.items()}}}
