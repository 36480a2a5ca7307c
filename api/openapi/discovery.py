"""OpenAPI: suggestions, recommend by example and shoppers-also-clicked (api/blueprints/discovery.py)."""

from __future__ import annotations

from typing import Any

from api.openapi.parts import (
    ANONYMOUS_OR_TOKEN,
    AUTH_ERRORS,
    COMMON,
    INT,
    NUM,
    STR,
    as_json,
    error,
    limited,
    obj,
    product_param,
    ref,
)
from indexer.search.model import MAX_K
from indexer.search.recommend import MAX_EXAMPLES
from indexer.search.suggest import KINDS, MAX_SUGGESTIONS

ID = {"type": "string", "minLength": 1, "maxLength": 100}
IDS = {"type": "array", "maxItems": MAX_EXAMPLES, "items": ID}


def discovery_schemas() -> dict[str, Any]:
    suggestion = obj({"text": STR, "kind": {"type": "string", "enum": list(KINDS)},
                      "count": {"type": "integer", "minimum": 1,
                                "description": "Products of the catalog that match it"}},
                     required=("text", "kind", "count"))
    explained = obj({"id": STR, "score": NUM, "product": ref("Product"), "breakdown": obj({
        "strategy": STR, "pulled_by": {"type": "string", "description": "The positive example (a product id, "
                                                                       "[photo] or [text]) closest to it"},
        "s_pulled": NUM, "pushed_by": STR, "s_pushed": NUM, "positives": {"type": "object"},
        "negatives": {"type": "object"}, "formula": STR}, required=("pulled_by", "s_pulled"))},
        required=("id", "score", "product", "breakdown"))
    also = obj({"id": STR, "source": {"type": "string", "enum": ["co_click", "similar"]},
                "shoppers": INT, "score": NUM, "product": ref("Product")},
               required=("id", "source", "product"))
    return {
        "Suggestions": obj({"q": STR, "collection": STR,
                            "suggestions": {"type": "array", "items": suggestion},
                            "timings": {"type": "object"}}, required=("q", "suggestions")),
        "RecommendRequest": obj({
            "positive": IDS, "negative": IDS, "text": {"type": "string", "maxLength": 500},
            "filters": ref("Filters"), "k": {"type": "integer", "minimum": 1, "maximum": MAX_K}},
            extra=False),
        "RecommendUpload": obj({"positive": STR, "negative": STR, "text": STR, "filters": STR, "k": STR,
                                "image": {"type": "string", "format": "binary"}}),
        "RecommendResponse": obj({"results": {"type": "array", "items": explained}, "positive": IDS,
                                  "negative": IDS, "strategy": STR, "timings": {"type": "object"}},
                                 required=("results",)),
        "AlsoClicked": obj({"anchor": STR, "results": {"type": "array", "items": also}},
                           required=("anchor", "results")),
    }


def discovery_paths() -> dict[str, Any]:
    errors = {**COMMON, **AUTH_ERRORS}
    return {
        "/api/v1/suggest": {"get": {
            "summary": "Search-as-you-type: past queries (from enough distinct shoppers), brands, types, "
                       "colour + type and understood phrases, each with its product count",
            "security": ANONYMOUS_OR_TOKEN,
            "parameters": [
                {"name": "q", "in": "query", "schema": {"type": "string", "maxLength": 100}},
                {"name": "k", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                        "maximum": MAX_SUGGESTIONS}},
            ],
            # not rate limited (a keystroke each): no X-RateLimit headers
            "responses": {"200": as_json(ref("Suggestions")), **errors},
        }},
        "/api/v1/suggest/preview": {"get": {
            "summary": "The top products a suggestion finds (thumbnails), not counted as a search",
            "security": ANONYMOUS_OR_TOKEN,
            "parameters": [
                {"name": "q", "in": "query", "required": True, "schema": {"type": "string", "minLength": 1,
                                                                          "maxLength": 100}},
                {"name": "k", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 6}},
            ],
            "responses": {"200": limited(obj({"q": STR, "results": {"type": "array", "items": obj(
                {"id": STR, "title": STR, "image": STR}, required=("id", "title", "image"))}},
                required=("q", "results"))), **errors},
        }},
        "/api/v1/recommend": {"post": {
            "summary": "More like the positive examples, less like the negative ones (Qdrant's "
                       "recommendation query, best-score strategy), honouring filters",
            "security": ANONYMOUS_OR_TOKEN,
            "requestBody": {"required": True, "content": {
                "application/json": {"schema": ref("RecommendRequest")},
                "multipart/form-data": {"schema": ref("RecommendUpload")},
            }},
            "responses": {"200": limited(ref("RecommendResponse")), **errors,
                          "404": error("An example product does not exist"),
                          "413": error("Upload over the size cap"),
                          "415": error("Body is not JSON or multipart, or the image is not JPEG/PNG/WEBP")},
        }},
        "/api/v1/products/{product_id}/also-clicked": {"get": {
            "summary": "Shoppers also clicked (co-click counts), topped up with similar items",
            "security": ANONYMOUS_OR_TOKEN,
            "parameters": [product_param(),
                           {"name": "k", "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 50}}],
            "responses": {"200": limited(ref("AlsoClicked")), **errors, "404": error("No such product")},
        }},
    }
