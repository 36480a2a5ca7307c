"""POST /events (shopper events, batched) and GET /analytics/report (the numbers read from them)."""

from __future__ import annotations

import calendar
import re
import time
from typing import Any

from flask import Blueprint, jsonify, request

from api.auth import require_scope
from api.bodies import json_body
from api.errors import BadRequest
from api.merch import merch_state, on_redis_down
from api.search_io import only
from indexer.merch.analytics import DAY_S, report
from indexer.merch.events import parse_batch

bp = Blueprint("events", __name__)
on_redis_down(bp)
EVENTS_BODY = 512 * 1024  # 1,000 events of ~300 bytes each, with room
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
MAX_DAYS = 366


@bp.post("/events")
@require_scope("search", anonymous_ok=True)
def post_events() -> Any:
    """Store a batch of events; ids seen before are skipped (idempotent) and listed."""
    events = parse_batch(json_body(EVENTS_BODY))
    stored = merch_state().events.add(events)  # Redis down: 503, and the storefront retries
    return jsonify({"accepted": stored.accepted, "duplicates": stored.duplicates}), 202


def _day(name: str, default: str) -> str:
    value = request.args.get(name, default)
    if not DAY.fullmatch(value):
        raise BadRequest(f"{name} must be a day as YYYY-MM-DD")
    return value


@bp.get("/analytics/report")
@require_scope("admin")
def analytics_report() -> Any:
    """CTR, conversion, click positions, no-click and zero-result queries, top products, per day,
    over ``start``..``end`` (default: the last 7 days)."""
    only(("start", "end", "limit"))
    now = time.time()
    end = _day("end", time.strftime("%Y-%m-%d", time.gmtime(now)))
    start = _day("start", time.strftime("%Y-%m-%d", time.gmtime(now - 6 * DAY_S)))
    if start > end:
        raise BadRequest("start must not be after end")
    t0 = calendar.timegm(time.strptime(start, "%Y-%m-%d"))
    if (calendar.timegm(time.strptime(end, "%Y-%m-%d")) - t0) / DAY_S >= MAX_DAYS:
        raise BadRequest(f"a report covers at most {MAX_DAYS} days")
    limit = request.args.get("limit", "20")
    if not limit.isdigit() or not 1 <= int(limit) <= 100:
        raise BadRequest("limit must be a whole number from 1 to 100")
    ms = merch_state()
    # Stream ids are the time of ingest; a day's slack takes events reported late.
    since = t0 - DAY_S
    return jsonify(report(ms.searches(since), ms.events.events(since), start, end, int(limit)))
