"""The merchandising stage of a search: business terms, then rules, over the pool of most
relevant hits (the service cuts the page from the result, so a pin or a hide holds on every
page). Built per request by the caller (the API) from the stored rules, the collection's and the
request's business weights, popularity and the experiment variant."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from indexer.merch.business import BusinessConfig, Popularity, apply_business
from indexer.merch.rules import Context, Rule, matches, normalise, ordered, understood_of
from indexer.schema import Product
from indexer.search.model import Hit, SearchRequest
from indexer.store.protocol import VectorStore

PAYLOAD_TERMS = ("stock",)


@dataclass(frozen=True)
class Merchandiser:
    """Business terms and rules for one search (either may be empty)."""

    rules: Sequence[Rule] = ()
    business: BusinessConfig | None = None
    popularity: Popularity | None = None
    segment: str | None = None
    now: float | None = None
    payloads: PayloadCache | None = None
    pool: bool = True

    def needs_pool(self, request: SearchRequest) -> bool:
        """Whether this search must re-order the pool: business terms, or a rule that re-orders
        and may fire (one that reads the understood attributes may, until the text is read).
        A search no such rule matches then costs what it did without merchandising."""
        if self.business is not None and self.business.active():
            return True
        ctx = Context(query=normalise(request.text), filters=request.filters.to_json(), understood={},
                      now=self.now if self.now is not None else time.time(), segment=self.segment)
        for rule in self.rules:
            if not (rule.pins or rule.hide or rule.shifts or rule.add_filter):
                continue
            if matches(replace(rule, understood={}), ctx):
                return True
        return False

    def apply(self, store: VectorStore, hits: list[Hit], request: SearchRequest,
              understood: Mapping[str, Any] | None, pooled: bool = True) -> tuple[list[Hit], dict[str, Any]]:
        """The re-ordered pool and the response fields it adds (``applied_rules``, ``redirect``,
        ``banners``). A page beyond the pool (``pooled`` False) keeps the core's order and only
        loses what the rules hide or filter out."""
        now = self.now if self.now is not None else time.time()
        payloads: Mapping[str, Mapping[str, Any]] | None = None
        if pooled and self.business is not None and self.business.active():
            payloads = self._payloads(store, hits, now)
            hits = apply_business(hits, self.business, payloads, self.popularity, now)
        ctx = Context(query=normalise(request.text), filters=request.filters.to_json(),
                      understood=understood_of(understood), now=now, segment=self.segment)
        fired = [r for r in ordered(self.rules) if matches(r, ctx)]
        extra: dict[str, Any] = {"applied_rules": [_applied(r) for r in fired]}
        if fired:
            hits = apply_rules(store, hits, fired, payloads) if pooled else _remove(hits, fired)
            redirect = next((r.redirect for r in fired if r.redirect), None)
            if redirect:
                extra["redirect"] = redirect
            banners = [r.banner for r in fired if r.banner]
            if banners:
                extra["banners"] = banners
        return hits, extra

    def _payloads(self, store: VectorStore, hits: list[Hit], now: float) -> Mapping[str, Mapping[str, Any]]:
        """The pool's payloads: the products' own fields, or the stored payload when a term reads
        a field the product model does not carry (stock, created_at, a merchant's field)."""
        assert self.business is not None
        names = self.business.active()
        if any(n in PAYLOAD_TERMS or n.startswith("field:") for n in names) or "recency" in names:
            if self.payloads is not None:
                return self.payloads.get(store, [h.id for h in hits], now)
            return {p.product_id: p.payload for p in store.get([h.id for h in hits])}
        return {h.id: h.product.to_payload() for h in hits}


class PayloadCache:
    """Stored payloads by product id, reused for ``ttl_s`` seconds: business terms read stock and
    merchants' fields for the whole pool on every search, and a minute-old stock level ranks as
    well as a fresh one. One per process, thread-safe."""

    def __init__(self, ttl_s: float = 60.0, max_items: int = 50_000) -> None:
        self.ttl_s, self.max_items = ttl_s, max_items
        self._items: dict[str, tuple[float, Mapping[str, Any]]] = {}
        self._lock = threading.Lock()

    def get(self, store: VectorStore, ids: Sequence[str], now: float) -> dict[str, Mapping[str, Any]]:
        out: dict[str, Mapping[str, Any]] = {}
        with self._lock:
            for pid in ids:
                got = self._items.get(pid)
                if got is not None and now - got[0] < self.ttl_s:
                    out[pid] = got[1]
        missing = [pid for pid in ids if pid not in out]
        if missing:
            found = {p.product_id: p.payload for p in store.get(missing)}
            with self._lock:
                if len(self._items) + len(found) > self.max_items:
                    self._items.clear()
                for pid, payload in found.items():
                    self._items[pid] = (now, payload)
            out.update(found)
        return out


def _remove(hits: list[Hit], fired: Sequence[Rule]) -> list[Hit]:
    """What the rules hide or filter out, from a page beyond the pool."""
    hidden = frozenset().union(*(r.hide for r in fired))
    filters = [r.add_filter for r in fired if r.add_filter is not None]
    return [h for h in hits if h.id not in hidden
            and all(f.matches(h.product.to_payload()) for f in filters)]


def _applied(rule: Rule) -> dict[str, Any]:
    return {"name": rule.name, "priority": rule.priority,
            "consequences": sorted(rule.raw.get("consequences", {}))}


def _note(hit: Hit, text: str, score: float | None = None) -> Hit:
    bd = dict(hit.breakdown)
    bd["rules"] = [*bd.get("rules", []), text]
    # Hit(...) rather than dataclasses.replace: this runs for many hits per search.
    return Hit(hit.id, hit.score if score is None else score, bd, hit.product, hit.deferred)


def apply_rules(store: VectorStore, hits: list[Hit], fired: Sequence[Rule],
                payloads: Mapping[str, Mapping[str, Any]] | None = None) -> list[Hit]:
    """Filters and hides, then boosts and buries, then pins, in rule order. ``payloads``: the
    pool's payloads when the business terms already read them (else each product's own)."""
    hidden = frozenset().union(*(r.hide for r in fired))
    filters = [r.add_filter for r in fired if r.add_filter is not None]
    shifts = [(r.name, shift) for r in fired for shift in r.shifts]
    hits = [h for h in hits if h.id not in hidden]
    if not filters and not shifts:
        return _pin(store, hits, fired, hidden)
    # One payload per hit, read once for every filter and shift (this runs over the whole pool).
    known = payloads or {}
    pairs = [(h, known.get(h.id) or h.product.to_payload()) for h in hits]
    pairs = [(h, p) for h, p in pairs if all(f.matches(p) for f in filters)]
    scores = [h.score for h, _ in pairs]
    spread = (max(scores) - min(scores)) if scores else 0.0
    # Each distinct filter is tested once per hit, however many rules share it.
    distinct = dict.fromkeys(shift.filters for _, shift in shifts)
    masks = {f: [f.matches(p) for _, p in pairs] for f in distinct}
    shifted = []
    for i, (h, _) in enumerate(pairs):
        notes, score = [], h.score
        for name, shift in shifts:
            if masks[shift.filters][i]:
                delta = shift.weight * spread
                notes.append(f"{'boosted' if delta >= 0 else 'buried'} by rule '{name}' ({delta:+.4f})")
                score += delta
        if notes:
            h = Hit(h.id, score, {**h.breakdown, "rules": [*h.breakdown.get("rules", []), *notes]},
                    h.product, h.deferred)
        shifted.append(h)
    shifted.sort(key=lambda x: -x.score)
    return _pin(store, shifted, fired, hidden)


def _pin(store: VectorStore, hits: list[Hit], fired: Sequence[Rule], hidden: frozenset[str]) -> list[Hit]:
    slots: dict[int, Hit] = {}
    by_id = {h.id: h for h in hits}
    wanted = [(pid, pos, r.name) for r in fired for pid, pos in r.pins if pid not in hidden]
    missing = [pid for pid, _, _ in wanted if pid not in by_id]
    if missing:
        for found in store.get(list(dict.fromkeys(missing))):
            by_id[found.product_id] = Hit(found.product_id, 0.0, {"not_retrieved": True},
                                          Product.from_payload(found.payload))
    taken: set[str] = set()
    for pid, pos, name in wanted:
        if pid not in by_id or pid in taken:
            continue  # a product that no longer exists, or one an earlier rule pinned
        while pos in slots:
            pos += 1  # a later rule's pin at a taken position goes just after it
        slots[pos] = _note(by_id[pid], f"pinned at {pos} by rule '{name}'")
        taken.add(pid)
    rest = iter([h for h in hits if h.id not in taken])
    out: list[Hit] = []
    pos = 1
    while True:
        if pos in slots:
            out.append(slots.pop(pos))
        else:
            nxt = next(rest, None)
            if nxt is None:
                break
            out.append(nxt)
        pos += 1
    # Pins beyond the end of a short pool close the list, in position order.
    return out + [slots[p] for p in sorted(slots)]
