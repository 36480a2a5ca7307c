"""A/B tests of ranking settings: variants, a stable split by shopper id, and per-variant
metrics with confidence intervals.

A shopper's variant is a pure function of the experiment id and the shopper id (SHA-256 of both,
read as a number in [0, 1), against the cumulative traffic shares), so every API process and
every day gives the same shopper the same variant, with nothing stored per shopper.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from indexer.errors import QueryError
from indexer.merch.analytics import outcomes
from indexer.merch.business import parse_weights
from indexer.merch.errors import MerchError
from indexer.merch.events import Event, SearchLog
from indexer.search.fusion import parse_override

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
SETTINGS = ("alpha", "business", "rules", "fusion")
Z95 = 1.959963984540054


@dataclass(frozen=True)
class Variant:
    """One arm: its share of traffic and the settings it changes (``alpha``, ``business``
    weights, ``rules`` on or off, ``fusion`` of text queries: method, weights, rrf_k); unset
    settings keep the collection's."""

    name: str
    share: float
    settings: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Experiment:
    id: str
    variants: tuple[Variant, ...]

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id,
                "variants": [{"name": v.name, "share": v.share, "settings": dict(v.settings)}
                             for v in self.variants]}


def _settings(where: str, raw: Any) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict) or set(raw) - set(SETTINGS):
        raise MerchError(f"{where}.settings may set {', '.join(SETTINGS)}")
    out: dict[str, Any] = {}
    if "alpha" in raw:
        a = raw["alpha"]
        if isinstance(a, bool) or not isinstance(a, int | float) or not 0 <= a <= 1:
            raise MerchError(f"{where}.settings.alpha must be between 0 and 1")
        out["alpha"] = float(a)
    if "business" in raw:
        out["business"] = parse_weights(raw["business"])
    if "rules" in raw:
        if not isinstance(raw["rules"], bool):
            raise MerchError(f"{where}.settings.rules must be true or false")
        out["rules"] = raw["rules"]
    if "fusion" in raw:
        try:
            out["fusion"] = parse_override(raw["fusion"])
        except QueryError as e:
            raise MerchError(f"{where}.settings.{e}") from e
    return out


def parse_experiment(raw: Any) -> Experiment:
    """An experiment from its JSON: ``{"id", "variants": [{"name", "share", "settings"}]}``.

    Raises:
        MerchError: a bad id, fewer than two variants, shares that do not add up to 1.
    """
    if not isinstance(raw, dict) or set(raw) - {"id", "variants"}:
        raise MerchError('an experiment is {"id": ..., "variants": [{"name", "share", "settings"}, ...]}')
    eid = raw.get("id")
    if not isinstance(eid, str) or not NAME.fullmatch(eid):
        raise MerchError("id must be 1-64 letters, digits, '.', '_' or '-'")
    items = raw.get("variants")
    if not isinstance(items, list) or not 2 <= len(items) <= 10:
        raise MerchError("an experiment needs 2 to 10 variants")
    variants = []
    for i, v in enumerate(items):
        where = f"variants[{i}]"
        if not isinstance(v, dict) or set(v) - {"name", "share", "settings"}:
            raise MerchError(f"{where} must be {{name, share, settings}}")
        name, share = v.get("name"), v.get("share")
        if not isinstance(name, str) or not NAME.fullmatch(name):
            raise MerchError(f"{where}.name must be 1-64 letters, digits, '.', '_' or '-'")
        if isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share <= 1:
            raise MerchError(f"{where}.share must be above 0 and at most 1")
        variants.append(Variant(name, float(share), _settings(where, v.get("settings"))))
    if len({v.name for v in variants}) != len(variants):
        raise MerchError("variant names must differ")
    if abs(sum(v.share for v in variants) - 1) > 1e-6:
        raise MerchError("variant shares must add up to 1")
    return Experiment(eid, tuple(variants))


def bucket(experiment_id: str, shopper_id: str) -> float:
    """A number in [0, 1), the same for this shopper in this experiment everywhere."""
    digest = hashlib.sha256(f"{experiment_id}\x00{shopper_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def assign(experiment: Experiment, shopper_id: str) -> Variant:
    """The shopper's variant."""
    x, edge = bucket(experiment.id, shopper_id), 0.0
    for v in experiment.variants:
        edge += v.share
        if x < edge:
            return v
    return experiment.variants[-1]


def proportion_ci(k: int, n: int) -> tuple[float, float] | None:
    """95% Wilson interval of k successes in n (None for no data)."""
    if n == 0:
        return None
    p, z2 = k / n, Z95 * Z95
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def diff_ci(k1: int, n1: int, k0: int, n0: int) -> tuple[float, float] | None:
    """95% Wald interval of p1 - p0 (None unless both arms have data)."""
    if n1 == 0 or n0 == 0:
        return None
    p1, p0 = k1 / n1, k0 / n0
    half = Z95 * math.sqrt(p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0)
    return p1 - p0 - half, p1 - p0 + half


def _mean_ci(values: list[float]) -> tuple[float, float] | None:
    n = len(values)
    if n < 2:
        return None
    mean = sum(values) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    return mean - Z95 * sd / math.sqrt(n), mean + Z95 * sd / math.sqrt(n)


def _r(ci: tuple[float, float] | None) -> list[float] | None:
    return [round(ci[0], 6), round(ci[1], 6)] if ci is not None else None


def variant_metrics(experiment: Experiment, searches: Iterable[SearchLog],
                    events: Iterable[Event]) -> list[dict[str, Any]]:
    """Per variant: searches, CTR, conversion, revenue per search, each with its 95% interval;
    against the first variant (the control), the CTR difference and whether it is significant
    (its interval excludes 0) or ``not yet significant``."""
    after = outcomes(events)
    arms: dict[str, dict[str, Any]] = {v.name: {"n": 0, "clicked": 0, "converted": 0, "revenue": []}
                                       for v in experiment.variants}
    for s in searches:
        if s.experiment != experiment.id or s.variant not in arms:
            continue
        arm, o = arms[s.variant], after.get(s.query_id)
        arm["n"] += 1
        arm["clicked"] += bool(o and o.clicks)
        arm["converted"] += bool(o and o.purchases)
        arm["revenue"].append(o.revenue if o else 0.0)
    control = arms[experiment.variants[0].name]
    out = []
    for v in experiment.variants:
        a = arms[v.name]
        n = a["n"]
        row: dict[str, Any] = {
            "variant": v.name, "searches": n,
            "ctr": round(a["clicked"] / n, 6) if n else None, "ctr_ci": _r(proportion_ci(a["clicked"], n)),
            "conversion": round(a["converted"] / n, 6) if n else None,
            "conversion_ci": _r(proportion_ci(a["converted"], n)),
            "revenue_per_search": round(sum(a["revenue"]) / n, 6) if n else None,
            "revenue_per_search_ci": _r(_mean_ci(a["revenue"])),
        }
        if v is not experiment.variants[0]:
            d = diff_ci(a["clicked"], n, control["clicked"], control["n"])
            row["ctr_diff_ci"] = _r(d)
            row["verdict"] = ("not yet significant" if d is None or d[0] <= 0 <= d[1]
                              else "better" if d[0] > 0 else "worse")
        out.append(row)
    return out


def searches_needed(p0: float, lift: float, power_z: float = 0.8416212335729143) -> int:
    """Searches per arm to detect a relative CTR ``lift`` over ``p0`` at 95% confidence
    (two-sided) with 80% power (normal approximation)."""
    p1 = p0 * (1 + lift)
    var = p0 * (1 - p0) + p1 * (1 - p1)
    return math.ceil((Z95 + power_z) ** 2 * var / (p1 - p0) ** 2)
