"""POST/GET /experiments (admin): A/B tests of ranking settings; POST /experiments/{id}/stop;
GET /experiments/{id}/results: per-variant CTR, conversion and revenue per search."""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, jsonify

from api.auth import principal, require_scope
from api.bodies import json_body
from api.errors import BadRequest
from api.merch import merch_state, on_redis_down
from api.search_io import only
from indexer import NotFoundError
from indexer.merch.experiments import parse_experiment, variant_metrics

bp = Blueprint("experiments", __name__)
on_redis_down(bp)


@bp.post("/experiments")
@require_scope("admin")
def create() -> Any:
    """Start an experiment (it runs until stopped)."""
    experiment = parse_experiment(json_body())
    store = merch_state().experiments
    if store.get(experiment.id) is not None:
        raise BadRequest(f"an experiment {experiment.id!r} exists; choose another id")
    record = {"experiment": experiment.to_json(), "status": "running", "started_at": time.time(),
              "stopped_at": None, "by": principal().subject}
    store.put(record)
    return jsonify(record), 201


@bp.get("/experiments")
@require_scope("admin")
def list_all() -> Any:
    only(())
    return jsonify({"experiments": list(merch_state().experiments.all().values())})


def _record(eid: str) -> dict[str, Any]:
    record = merch_state().experiments.get(eid)
    if record is None:
        raise NotFoundError(f"no experiment {eid!r}")
    return record


@bp.post("/experiments/<eid>/stop")
@require_scope("admin")
def stop(eid: str) -> Any:
    record = _record(eid)
    if record["status"] == "running":
        record.update(status="stopped", stopped_at=time.time())
        merch_state().experiments.put(record)
    return jsonify(record)


@bp.get("/experiments/<eid>/results")
@require_scope("admin")
def results(eid: str) -> Any:
    only(())
    record = _record(eid)
    experiment = parse_experiment(record["experiment"])
    ms = merch_state()
    since = record["started_at"] - 60
    variants = variant_metrics(experiment, ms.searches(since), ms.events.events(since))
    return jsonify({**record, "results": variants})
