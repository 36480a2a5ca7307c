"""The OpenAPI schemas of merchandising: events, the analytics report, rules, experiments,
and what they add to a search's request, answer and breakdown (the paths: merch_paths.py)."""

from __future__ import annotations

from typing import Any

from api.openapi.parts import COMMON, INT, NUM, STR, error, obj, ref
from indexer.merch.events import MAX_BATCH, MAX_ID, MAX_TS, MIN_TS, TYPES

ADMIN: list[dict[str, list[str]]] = [{"bearerAuth": []}]
ANY_OBJ: dict[str, Any] = {"type": "object"}
ADMIN_ERRORS = {
    **COMMON,
    "401": error("No, invalid, expired or revoked token"),
    "403": error("The token lacks the admin scope"),
    "503": error("Redis cannot be reached; retry shortly"),
}
ID = {"type": "string", "minLength": 1, "maxLength": MAX_ID}


def merch_schemas() -> dict[str, Any]:
    event = obj(
        {
            "id": ID | {"description": "Unique per event: a retried batch stores each event once"},
            "type": {"type": "string", "enum": list(TYPES)},
            "product_id": ID,
            "shopper_id": ID,
            "query_id": ID | {"description": "The query_id of the search answer the event follows"},
            "position": {"type": "integer", "minimum": 1, "maximum": 10000, "description": "1: first result"},
            "timestamp": {
                "type": "number",
                "minimum": MIN_TS,
                "maximum": MAX_TS,
                "description": "Unix seconds",
            },
            "value": {"type": "number", "minimum": 0, "maximum": 1e9, "description": "Revenue of a purchase"},
        },
        required=("id", "type", "product_id", "shopper_id", "timestamp"),
        extra=False,
    )
    tally = obj(
        {
            "searches": INT,
            "clicks": INT,
            "purchases": INT,
            "ctr": NUM | {"nullable": True},
            "conversion": NUM | {"nullable": True},
            "revenue": NUM,
            "avg_click_position": NUM | {"nullable": True},
        }
    )
    return {
        "Event": event,
        "EventBatch": obj(
            {"events": {"type": "array", "items": ref("Event"), "minItems": 1, "maxItems": MAX_BATCH}},
            required=("events",),
            extra=False,
        ),
        "EventsStored": obj(
            {"accepted": INT, "duplicates": {"type": "array", "items": STR}},
            required=("accepted", "duplicates"),
        ),
        "AnalyticsReport": obj(
            {
                "range": ANY_OBJ,
                "overall": tally,
                "queries": {"type": "array", "items": tally},
                "no_click_queries": {"type": "array", "items": ANY_OBJ},
                "zero_result_queries": {"type": "array", "items": ANY_OBJ},
                "top_products": {"type": "array", "items": ANY_OBJ},
                "days": {"type": "array", "items": tally},
            },
            required=(
                "overall",
                "queries",
                "no_click_queries",
                "zero_result_queries",
                "top_products",
                "days",
            ),
        ),
        "Rule": obj(
            {
                "name": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"},
                "priority": {
                    "type": "integer",
                    "minimum": 0,
                    "maximum": 1000000,
                    "default": 100,
                    "description": "Lower applies first; ties by name",
                },
                "enabled": {"type": "boolean", "default": True},
                "conditions": obj(
                    {
                        "query_equals": STR,
                        "query_contains": STR,
                        "understood": {"type": "object", "additionalProperties": STR},
                        "filters": ref("Filters"),
                        "start": NUM,
                        "end": NUM,
                        "segments": {"type": "array", "items": STR},
                    },
                    extra=False,
                ),
                "consequences": obj(
                    {
                        "pin": {"type": "array", "items": obj({"product_id": STR, "position": INT})},
                        "hide": {"type": "array", "items": STR},
                        "boost": {"type": "array", "items": obj({"filters": ref("Filters"), "weight": NUM})},
                        "bury": {"type": "array", "items": obj({"filters": ref("Filters"), "weight": NUM})},
                        "add_filter": ref("Filters"),
                        "redirect": STR,
                        "banner": STR,
                    },
                    extra=False,
                ),
            },
            required=("name", "consequences"),
            extra=False,
        ),
        "RuleRecord": obj(
            {
                "rule": ref("Rule"),
                "version": INT,
                "updated_by": STR,
                "updated_at": NUM,
                "history": {"type": "array", "items": ANY_OBJ},
            },
            required=("rule", "version"),
        ),
        "Experiment": obj(
            {
                "id": STR,
                "variants": {
                    "type": "array",
                    "minItems": 2,
                    "maxItems": 10,
                    "items": obj(
                        {
                            "name": STR,
                            "share": NUM,
                            "settings": obj(
                                {
                                    "alpha": NUM,
                                    "business": ref("BusinessWeights"),
                                    "rules": {"type": "boolean"},
                                    "fusion": obj(
                                        {
                                            "method": {"type": "string", "enum": ["weighted", "rrf"]},
                                            "weights": obj(
                                                {t: NUM for t in ("image", "text", "keyword", "attributes")},
                                                extra=False,
                                            ),
                                            "rrf_k": {"type": "integer", "minimum": 1, "maximum": 10000},
                                        },
                                        extra=False,
                                    ),
                                },
                                extra=False,
                            ),
                        },
                        required=("name", "share"),
                        extra=False,
                    ),
                },
            },
            required=("id", "variants"),
            extra=False,
        ),
        "ExperimentRecord": obj(
            {
                "experiment": ref("Experiment"),
                "status": {"type": "string", "enum": ["running", "stopped"]},
                "started_at": NUM,
                "stopped_at": NUM | {"nullable": True},
                "results": {"type": "array", "items": ANY_OBJ},
            },
            required=("experiment", "status"),
        ),
        "RulePreview": obj(
            {"search": ref("SearchRequest"), "rule": ref("Rule")}, required=("search", "rule"), extra=False
        ),
        "BusinessWeights": {
            "type": "object",
            "additionalProperties": {"type": "number", "minimum": 0, "maximum": 1},
            "description": "popularity, recency, stock or field:<payload field> -> weight 0..1",
        },
    }


def extend_search(schemas: dict[str, Any]) -> None:
    """What merchandising adds to the search request, its answer and each hit's breakdown."""
    schemas["SearchRequest"]["properties"] |= {
        "shopper_id": ID | {"description": "Who searches: assigns the A/B test variant"},
        "segment": ID | {"description": "The shopper's segment, for rules that target one"},
        "business": ref("BusinessWeights"),
        "rules": {"type": "boolean", "description": "false: leave the merchandising rules out"},
    }
    schemas["SearchResponse"]["properties"] |= {
        "query_id": {"type": "string", "description": "Name it in the events that follow this answer"},
        "applied_rules": {"type": "array", "items": ANY_OBJ},
        "redirect": STR,
        "banners": {"type": "array", "items": STR},
        "experiment": STR,
        "variant": STR,
    }
    schemas["Breakdown"]["properties"] |= {
        "relevance": NUM,
        "business": ANY_OBJ,
        "rules": {"type": "array", "items": STR, "description": "\"pinned at 3 by rule 'summer-sale'\""},
        "not_retrieved": {"type": "boolean", "description": "Pinned from outside the results"},
    }
