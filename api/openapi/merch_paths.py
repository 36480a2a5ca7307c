"""The OpenAPI description of merchandising's endpoints: events, the analytics report, rules and
experiments (their schemas are in merch.py)."""

from __future__ import annotations

from typing import Any

from api.openapi.merch import ADMIN, ADMIN_ERRORS, ANY_OBJ
from api.openapi.parts import AUTH_ERRORS, COMMON, STR, as_json, error, obj, ref


def _json_body(name: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": ref(name)}}}


def merch_paths() -> dict[str, Any]:
    name = {"name": "name", "in": "path", "required": True, "schema": STR}
    eid = {"name": "eid", "in": "path", "required": True, "schema": STR}
    missing = {"404": error("No such rule or experiment")}
    day = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
    return {
        "/api/v1/events": {
            "post": {
                "summary": "Report shopper events (view, click, add_to_cart, purchase), up to 1,000 a call",
                "security": [{}, {"bearerAuth": []}],
                "requestBody": _json_body("EventBatch"),
                "responses": {
                    "202": as_json(ref("EventsStored"), "Stored (ids seen before are listed)"),
                    **COMMON,
                    **AUTH_ERRORS,
                    "413": error("Body over 512 KiB"),
                    "415": error("Body is not JSON"),
                    "503": error("Events cannot be stored now"),
                },
            }
        },
        "/api/v1/analytics/report": {
            "get": {
                "summary": "CTR, conversion, click positions, no-click and zero-result queries, top products",
                "security": ADMIN,
                "parameters": [
                    {"name": "start", "in": "query", "schema": day},
                    {"name": "end", "in": "query", "schema": day},
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 100},
                    },
                ],
                "responses": {"200": as_json(ref("AnalyticsReport")), **ADMIN_ERRORS},
            }
        },
        "/api/v1/rules": {
            "get": {
                "summary": "Every rule",
                "security": ADMIN,
                "responses": {
                    "200": as_json(obj({"rules": {"type": "array", "items": ref("RuleRecord")}})),
                    **ADMIN_ERRORS,
                },
            },
            "post": {
                "summary": "Create a rule",
                "security": ADMIN,
                "requestBody": _json_body("Rule"),
                "responses": {"201": as_json(ref("RuleRecord")), **ADMIN_ERRORS},
            },
        },
        "/api/v1/rules/{name}": {
            "parameters": [name],
            "get": {
                "summary": "A rule and its history",
                "security": ADMIN,
                "responses": {"200": as_json(ref("RuleRecord")), **ADMIN_ERRORS, **missing},
            },
            "patch": {
                "summary": "Change a rule (a new version)",
                "security": ADMIN,
                "requestBody": {"required": True, "content": {"application/json": {"schema": ANY_OBJ}}},
                "responses": {"200": as_json(ref("RuleRecord")), **ADMIN_ERRORS, **missing},
            },
            "delete": {
                "summary": "Delete a rule",
                "security": ADMIN,
                "responses": {"204": {"description": "Deleted"}, **ADMIN_ERRORS, **missing},
            },
        },
        "/api/v1/rules/preview": {
            "post": {
                "summary": "A search's first page before and after a draft rule",
                "security": ADMIN,
                "requestBody": _json_body("RulePreview"),
                "responses": {"200": as_json(obj({"before": ANY_OBJ, "after": ANY_OBJ})), **ADMIN_ERRORS},
            }
        },
        "/api/v1/experiments": {
            "get": {
                "summary": "Every experiment",
                "security": ADMIN,
                "responses": {
                    "200": as_json(obj({"experiments": {"type": "array", "items": ref("ExperimentRecord")}})),
                    **ADMIN_ERRORS,
                },
            },
            "post": {
                "summary": "Start an A/B test of ranking settings",
                "security": ADMIN,
                "requestBody": _json_body("Experiment"),
                "responses": {"201": as_json(ref("ExperimentRecord")), **ADMIN_ERRORS},
            },
        },
        "/api/v1/experiments/{eid}/stop": {
            "post": {
                "summary": "Stop an experiment",
                "security": ADMIN,
                "parameters": [eid],
                "responses": {"200": as_json(ref("ExperimentRecord")), **ADMIN_ERRORS, **missing},
            }
        },
        "/api/v1/experiments/{eid}/results": {
            "get": {
                "summary": "Per-variant CTR, conversion, revenue per search, with 95% intervals",
                "security": ADMIN,
                "parameters": [eid],
                "responses": {"200": as_json(ref("ExperimentRecord")), **ADMIN_ERRORS, **missing},
            }
        },
    }
