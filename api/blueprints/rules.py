"""POST/GET/PATCH/DELETE /rules (admin): merchandising rules, versioned; POST /rules/preview: a
search before and after a draft rule."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import Blueprint, jsonify

from api.auth import principal, require_scope
from api.bodies import json_body
from api.context import state
from api.errors import BadRequest
from api.merch import merch_state, on_redis_down
from api.params import parse_search
from api.search_io import only
from indexer import NotFoundError
from indexer.merch.rules import parse_rule
from indexer.merch.stage import Merchandiser

bp = Blueprint("rules", __name__)
on_redis_down(bp)


def _who() -> str:
    return principal().subject or "anonymous"


def _body() -> dict[str, Any]:
    body = json_body()
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    return body


@bp.get("/rules")
@require_scope("admin")
def list_rules() -> Any:
    only(())
    return jsonify({"rules": list(merch_state().rules.all().values())})


@bp.post("/rules")
@require_scope("admin")
def create_rule() -> Any:
    rule = parse_rule(_body())
    store = merch_state().rules
    if store.get(rule.name) is not None:
        raise BadRequest(f"a rule named {rule.name!r} exists; PATCH /rules/{rule.name} changes it")
    return jsonify(store.put(rule, _who(), "create")), 201


@bp.get("/rules/<name>")
@require_scope("admin")
def get_rule(name: str) -> Any:
    only(())
    store = merch_state().rules
    record = store.get(name)
    if record is None:
        raise NotFoundError(f"no rule named {name!r}")
    return jsonify({**record, "history": store.history(name)})


@bp.patch("/rules/<name>")
@require_scope("admin")
def patch_rule(name: str) -> Any:
    """Change some of a rule's top-level fields (name, priority, enabled, conditions, consequences)."""
    store = merch_state().rules
    record = store.get(name)
    if record is None:
        raise NotFoundError(f"no rule named {name!r}")
    changes = _body()
    if changes.get("name", name) != name:
        raise BadRequest("a rule's name cannot change; create a new rule and delete this one")
    rule = parse_rule({**record["rule"], **changes})
    return jsonify(store.put(rule, _who(), "update"))


@bp.delete("/rules/<name>")
@require_scope("admin")
def delete_rule(name: str) -> Any:
    if not merch_state().rules.delete(name, _who()):
        raise NotFoundError(f"no rule named {name!r}")
    return "", 204


@bp.post("/rules/preview")
@require_scope("admin")
def preview() -> Any:
    """``{"search": {...a search body...}, "rule": {...draft...}}``: the first page with the
    stored rules (before) and with the draft added or replacing its namesake (after)."""
    body = _body()
    if not isinstance(body.get("search"), dict):
        raise BadRequest('preview needs {"search": {...}, "rule": {...}}')
    draft = parse_rule(body.get("rule"))
    query = parse_search(dict(body["search"]), form=False)
    stored = [r for r in merch_state().rules.active() if r.name != draft.name]
    service = state().search_service()
    out = {}
    for label, rules in (("before", stored), ("after", [*stored, draft])):
        found = service.search(replace(query, merch=Merchandiser(rules=rules), facets=False))
        out[label] = {"results": [{"id": h.id, "title": h.product.title, "score": round(h.score, 6),
                                   "rules": h.breakdown.get("rules", [])} for h in found.result.hits],
                      **(found.merch or {})}
    return jsonify(out)
