"""The shopper simulation of ``python -m benchmarks.merchandising``: real catalog products, a
query per (colour, article type) pair, and shoppers who click and buy with probabilities that
depend on a hidden appeal of each product and on the position they see it at.

Model (per search, top 10 shown):
    examined at position i        1 / log2(i + 1)
    click | examined              0.35 * match * appeal        (match: 1 both attributes, 0.5 type only)
    purchase | click              0.4 * appeal
Appeal is Beta(2, 5) per product, drawn once and never seen by the ranking. The engine's
relevance is the match plus Gaussian noise (sd 0.15) per (query, product), fixed for the run:
a relevance ranking that is right about attributes and blind to appeal.

Two rankings serve the same shoppers day by day: pure relevance, and relevance plus the
popularity term (``indexer.merch.business``, weight 1, the default cap) fed by every event so
far. The A/B part: the searches per arm a two-proportion test needs to call a 5% relative CTR
lift at 95% confidence with 80% power, checked by simulating that many searches.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from indexer.merch.business import BusinessConfig, apply_business, popularity
from indexer.merch.events import Event
from indexer.merch.experiments import searches_needed
from indexer.schema import Product
from indexer.search.model import Hit

SHOWN = 10
POOL = 50


@dataclass(frozen=True)
class World:
    queries: list[tuple[str, str]]
    pools: dict[tuple[str, str], list[tuple[str, float, float]]]  # (product id, relevance, match)
    appeal: dict[str, float]
    weights: list[float]  # how often each query is searched (Zipf-like)


def build_world(products: Sequence[Product], seed: int, max_queries: int = 150) -> World:
    rng = random.Random(seed)
    pairs = Counter((p.colour, p.article_type) for p in products if p.colour and p.article_type)
    queries = [q for q, n in pairs.most_common() if n >= 5][:max_queries]
    appeal = {p.id: rng.betavariate(2, 5) for p in products}
    by_type: dict[str, list[Product]] = {}
    for p in products:
        by_type.setdefault(p.article_type or "", []).append(p)
    pools = {}
    for colour, kind in queries:
        scored = []
        for p in by_type[kind]:
            match = 1.0 if p.colour == colour else 0.5
            scored.append((p.id, match + rng.gauss(0, 0.15), match))
        scored.sort(key=lambda x: -x[1])
        pools[(colour, kind)] = scored[:POOL]
    weights = [1 / (i + 1) ** 0.8 for i in range(len(queries))]
    return World(queries, pools, appeal, weights)


def _hits(pool: list[tuple[str, float, float]]) -> list[Hit]:
    return [Hit(pid, rel, {}, Product(id=pid, title=pid, image="")) for pid, rel, _ in pool]


def simulate(world: World, days: int, per_day: int, boost: bool, seed: int) -> list[dict[str, Any]]:
    """Day-by-day CTR and conversion of one ranking over the same shoppers' randomness."""
    rng = random.Random(seed)
    events: list[Event] = []
    match_of = {q: {pid: m for pid, _, m in pool} for q, pool in world.pools.items()}
    config = BusinessConfig({"popularity": 1.0})
    out = []
    for day in range(days):
        now = (day + 1) * 86400.0
        pop = popularity(events, now - 1, half_life_d=14) if boost and events else None
        ranked: dict[tuple[str, str], list[str]] = {}
        for q, pool in world.pools.items():
            hits = _hits(pool)
            if pop is not None:
                hits = apply_business(hits, config, {}, pop, now)
            ranked[q] = [h.id for h in hits[:SHOWN]]
        clicked = bought = 0
        for s in range(per_day):
            q = rng.choices(world.queries, world.weights)[0]
            ts, any_click, any_buy = now - 86400 + s, False, False
            for pos, pid in enumerate(ranked[q], 1):
                events.append(Event(f"v{day}.{s}.{pos}", "view", pid, "s", ts))
                if rng.random() > 1 / math.log2(pos + 1):
                    continue
                a = world.appeal[pid]
                if rng.random() < 0.35 * match_of[q][pid] * a:
                    any_click = True
                    events.append(Event(f"c{day}.{s}.{pos}", "click", pid, "s", ts))
                    if rng.random() < 0.4 * a:
                        any_buy = True
                        events.append(Event(f"b{day}.{s}.{pos}", "purchase", pid, "s", ts, value=50.0))
            clicked += any_click
            bought += any_buy
        out.append({"day": day + 1, "ctr": clicked / per_day, "conversion": bought / per_day})
    return out


def ab_duration(p0: float, lift: float, per_day: int, trials: int, seed: int) -> dict[str, Any]:
    """Searches per arm and days for a 50/50 test to call ``lift`` over ``p0``; and the share of
    simulated tests of that length that do call it (the power, about 80% by design)."""
    n = searches_needed(p0, lift)
    rng = np.random.default_rng(seed)
    p1 = p0 * (1 + lift)
    a = rng.binomial(n, p0, trials) / n
    b = rng.binomial(n, p1, trials) / n
    se = np.sqrt(a * (1 - a) / n + b * (1 - b) / n)
    called = float(np.mean((b - a) / se > 1.959963984540054))
    return {
        "baseline_ctr": round(p0, 4),
        "lift": lift,
        "searches_per_arm": n,
        "days_at_per_day": math.ceil(2 * n / per_day),
        "searches_per_day": per_day,
        "simulated_power": round(called, 3),
        "trials": trials,
    }
