"""Merchandising in the API: the per-app state (event store, rules, experiments, popularity),
the blueprints' registration, and the two hooks around a search: ``prepare`` (experiment
variant, business weights, rules -> the request's merchandising stage) and ``finish`` (the
``query_id``, ``applied_rules``, ``experiment`` and ``variant`` of the answer, and its log entry).
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, replace
from typing import Any

import redis
from flask import Blueprint, Response, current_app, g

from api.analytics import normalise_query
from api.context import state
from api.deferred import DeferredWrites
from api.errors import BadRequest, error_response
from api.events_store import EventStore
from api.merch_store import ExperimentStore, RuleStore, _Cached
from api.redis_guard import RedisGuard
from indexer.merch.business import BusinessConfig, Popularity, parse_weights, popularity
from indexer.merch.events import MAX_ID, SearchLog
from indexer.merch.experiments import assign
from indexer.merch.stage import Merchandiser, PayloadCache
from indexer.search import SearchPage, SearchRequest
from settings.merch import MerchSettings

log = logging.getLogger(__name__)
MERCH = "vitrine_merch"
FIELDS = ("shopper_id", "segment", "business", "rules")
"""Fields a search body may add for merchandising (read beside the search's own)."""


@dataclass
class MerchState:
    settings: MerchSettings
    events: EventStore
    rules: RuleStore
    experiments: ExperimentStore
    popularity_cache: _Cached
    payloads: PayloadCache
    # Every search's log entry, written after the response in batches: a search does not wait
    # for it, and events that refer to a search arrive seconds later (readers flush first).
    search_log: DeferredWrites[SearchLog]

    def searches(self, since: float | None = None) -> list[SearchLog]:
        """The search log since ``since``, with this process's waiting entries written first."""
        self.search_log.flush()
        return self.events.searches(since)

    def popularity(self) -> Popularity:
        """Popularity from the events of the last eight half-lives (reused for a while)."""
        half = self.settings.popularity_half_life_days

        def read() -> Popularity:
            now = time.time()
            return popularity(self.events.events(since=now - 8 * half * 86400), now, half)
        return self.popularity_cache.get(read)


def build_state(guard: RedisGuard, collection: str, settings: MerchSettings) -> MerchState:
    client = guard.client
    events = EventStore(client, collection, settings.events_retention_days * 86400)
    return MerchState(settings, events, RuleStore(client, collection, settings.rules_refresh_s),
                      ExperimentStore(client, collection, settings.rules_refresh_s),
                      _Cached(settings.popularity_refresh_s), PayloadCache(settings.popularity_refresh_s),
                      DeferredWrites(guard, "merch-log", events.log_searches))


def on_redis_down(bp: Blueprint) -> None:
    """A Redis failure in these endpoints is a 503 the caller can retry, not a 500."""

    @bp.errorhandler(redis.RedisError)
    def _down(e: redis.RedisError) -> Response:
        log.warning("merchandising: Redis failed: %s", e)
        return error_response(503, "unavailable", "merchandising data cannot be read or written right now; "
                              "retry shortly")


def merch_state() -> MerchState:
    found: MerchState = current_app.extensions[MERCH]
    return found


def _text(name: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value or len(value) > MAX_ID or not value.isprintable():
        raise BadRequest(f"{name} must be a non-empty string of at most {MAX_ID} printable characters")
    return value


def prepare(request_: SearchRequest, extras: dict[str, Any], now: float | None = None) -> SearchRequest:
    """The search request with its merchandising stage: the running experiment's variant for this
    shopper, the business weights (request over variant over collection) and the rules."""
    ms = merch_state()
    shopper, segment = _text("shopper_id", extras.get("shopper_id")), _text("segment", extras.get("segment"))
    use_rules = extras.get("rules")
    if use_rules is not None and not isinstance(use_rules, bool):
        raise BadRequest("rules must be true or false")
    weights = ms.settings.weights()
    # With Redis down a search still answers, without rules, experiment or popularity.
    guard = state().guard
    experiment = None
    if shopper is not None:
        experiment = guard.call("merch", lambda _r: ms.experiments.running(), None)
    if experiment is not None and shopper is not None:
        variant = assign(experiment, shopper)
        g.vitrine_experiment = (experiment.id, variant.name)
        weights = variant.settings.get("business", weights)
        if "alpha" in variant.settings and request_.alpha is None:
            request_ = replace(request_, alpha=variant.settings["alpha"])
        if use_rules is None:
            use_rules = variant.settings.get("rules")
        if "fusion" in variant.settings:
            request_ = replace(request_, fusion=variant.settings["fusion"])
    if extras.get("business") is not None:
        weights = parse_weights(extras["business"])
    g.vitrine_shopper = shopper
    stage = Merchandiser(
        rules=guard.call("merch", lambda _r: ms.rules.active(), []) if use_rules is not False else (),
        business=BusinessConfig(weights, ms.settings.business_cap, ms.settings.popularity_half_life_days,
                                ms.settings.recency_half_life_days) if weights else None,
        popularity=(guard.call("merch", lambda _r: ms.popularity(), None)
                    if weights.get("popularity") else None),
        segment=segment, now=now, payloads=ms.payloads)
    if not stage.rules and stage.business is None:
        return request_
    return replace(request_, merch=replace(stage, pool=stage.needs_pool(request_)))


def finish(st: Any, body: dict[str, Any], found: SearchPage, request_: SearchRequest) -> None:
    """Every search answer's ``query_id`` (and its log entry, for the events that follow), and the
    merchandising fields of the answer."""
    qid = uuid.uuid4().hex
    body["query_id"] = qid
    body["applied_rules"] = []
    body.update(found.merch or {})
    experiment = g.pop("vitrine_experiment", None)
    if experiment is not None:
        body["experiment"], body["variant"] = experiment
    if MERCH not in current_app.extensions:
        return
    ms = merch_state()
    total = found.page.total_matching
    entry = SearchLog(qid, normalise_query(request_.text, found.had_image),
                      total if total is not None else found.page.returned, time.time(),
                      g.pop("vitrine_shopper", None), *(experiment or (None, None)))
    ms.search_log.add(entry)
