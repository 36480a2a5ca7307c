"""POST /api/v1/shopper/search in the OpenAPI document: the search body and answer of
POST /search (given here by the caller, so this part imports only ``parts``) plus the shopper's
taste switch and what the personalisation did."""

from __future__ import annotations

import copy
from typing import Any

from api.openapi.parts import ANONYMOUS_OR_TOKEN, AUTH_ERRORS, COMMON, INT, NUM, error, limited, obj, ref

TASTE = {"type": "boolean", "description": "Add the shopper's taste term (default: their own setting)"}


def shopper_schemas(search: dict[str, Any]) -> dict[str, Any]:
    """The shopper's request and answer schemas, from the search schemas ``search``."""
    request = copy.deepcopy(search["SearchRequest"])
    request["properties"]["taste"] = TASTE
    upload = copy.deepcopy(search["SearchUpload"])
    upload["properties"]["taste"] = {"type": "string", "enum": ["true", "false"]}
    answer = copy.deepcopy(search["SearchResponse"])
    answer["properties"]["personalization"] = obj({
        "taste": {"type": "boolean", "description": "Whether a taste term was applied"},
        "enabled": {"type": "boolean"}, "weight": NUM, "favorites": INT, "clicks": INT,
    }, required=("taste", "enabled", "weight", "favorites", "clicks"))
    return {"ShopperSearchRequest": request, "ShopperSearchUpload": upload, "ShopperSearchResponse": answer}


def shopper_paths() -> dict[str, Any]:
    shopper = {"name": "X-Vitrine-Shopper", "in": "header", "required": False,
               "description": "The storefront's id for its shopper (with a bearer token); without it "
                              "the vitrine_shopper cookie identifies an anonymous shopper",
               "schema": {"type": "string", "maxLength": 100}}
    responses = {"200": limited(ref("ShopperSearchResponse")), **COMMON, **AUTH_ERRORS,
                 "413": error("Upload or fetched image over the size cap"),
                 "415": error("Body is not JSON or multipart, or the image is not JPEG/PNG/WEBP"),
                 "422": error("image_url could not be fetched")}

    def operation(summary: str, media_type: str, schema: str) -> dict[str, Any]:
        return {"post": {"summary": summary, "security": ANONYMOUS_OR_TOKEN, "parameters": [shopper],
                         "requestBody": {"required": True, "content": {media_type: {"schema": ref(schema)}}},
                         "responses": responses}}

    return {
        "/api/v1/shopper/search": operation(
            "POST /search plus the shopper's taste term and a line in their history (also takes the "
            "multipart body of /api/v1/shopper/search/photo)", "application/json", "ShopperSearchRequest"),
        "/api/v1/shopper/search/photo": operation(
            "The shopper's search by an uploaded photo (and text)", "multipart/form-data",
            "ShopperSearchUpload"),
    }

