"""The OpenAPI 3 document of the API, served at /api/v1/openapi.json.

Written by hand beside the code it describes; tests check that the real responses
validate against the schemas here, so the two cannot drift apart silently.
"""

from __future__ import annotations

from typing import Any

from api.clients import SCOPES
from api.params import SEARCH_KEYS
from indexer.schema import FILTER_FIELDS, KEYWORD_FIELDS
from indexer.search import MAX_K, MAX_OFFSET, MAX_TEXT
from indexer.search.fusion import FUSIONS
from indexer.search.model import SORTS
from indexer.search.reading import KINDS, UNDERSTAND_MODES

VERSION = "1.0.0"
# Some non-space character and no NUL: blank text is no query.
TEXT_PATTERN = r"^[^\x00]*\S[^\x00]*$"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _header(description: str) -> dict[str, Any]:
    return {"description": description, "required": True, "schema": {"type": "integer"}}


RATE_HEADERS = {
    "X-RateLimit-Limit": _header("Requests allowed in the current window"),
    "X-RateLimit-Remaining": _header("Requests left in the current window"),
    "X-RateLimit-Reset": _header("When the window resets (Unix time, seconds)"),
}


def _limited(schema: dict[str, Any]) -> dict[str, Any]:
    """A 200 of a rate-limited endpoint: it carries the X-RateLimit headers."""
    return _json(schema) | {"headers": RATE_HEADERS}


def _obj(properties: dict[str, Any], required: tuple[str, ...] = (), extra: bool = True) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    if not extra:
        schema["additionalProperties"] = False
    return schema


NUM = {"type": "number"}
INT = {"type": "integer"}
STR = {"type": "string"}
NULLABLE_INT = {"type": "integer", "nullable": True}
RATE_LIMITED = _error("Rate limit exceeded") | {"headers": {
    "Retry-After": _header("Seconds to wait before retrying"), **RATE_HEADERS}}
COMMON = {"400": _error("Malformed request; the message says what is valid"), "429": RATE_LIMITED}
AUTH_ERRORS = {"401": _error("Missing (when anonymous search is off), invalid, expired or revoked token"),
               "403": _error("The token lacks the search scope")}
JSON_BODY_ERRORS = {"413": _error("JSON body over 64 KiB"), "415": _error("Body is not JSON")}
ANONYMOUS_OR_TOKEN: list[dict[str, list[str]]] = [{}, {"bearerAuth": []}]


UNDERSTAND_DOC = ("What understood attributes of the text do: boost (the server's default, "
                  "VITRINE_UNDERSTAND) ranks products that have them higher, filter returns only those "
                  "(relaxed, with a notice, when none has them all), off reads nothing")


def _filter_schema() -> dict[str, Any]:
    properties: dict[str, Any] = {}
    for name, kind in FILTER_FIELDS.items():
        rng = _obj({k: NUM for k in ("gte", "lte", "gt", "lt")}, extra=False) | {"minProperties": 1}
        if kind == "keyword":
            value = {"type": "string", "minLength": 1, "maxLength": 200}
            properties[name] = {"oneOf": [value, {"type": "array", "items": value, "minItems": 1,
                                                  "maxItems": 100}]}
        elif kind == "integer":
            properties[name] = {"oneOf": [INT, {"type": "array", "items": INT, "minItems": 1,
                                                "maxItems": 100}, rng]}
        else:
            properties[name] = rng
    return _obj(properties, extra=False) | {
        "description": "All fields must match (AND); a list matches any of its values. Keyword values "
                       "are matched case-insensitively to the catalog's spelling; an unknown value "
                       "is a 400 listing the valid ones."}


def _schemas() -> dict[str, Any]:
    product = _obj({
        "id": STR, "title": STR, "image": {"type": "string", "description": "URL of the photo"},
        **{name: (STR if kind == "keyword" else INT if kind == "integer" else NUM)
           for name, kind in FILTER_FIELDS.items()},
    }, required=("id", "title"))
    breakdown = _obj({
        "s_image": NUM, "s_text": NUM, "alpha": NUM,
        "s_keyword": {"type": "number", "description": "BM25 score on the keywords vector (text queries; "
                                                       "0: not found by keywords)"},
        "s_attributes": {"type": "number", "description": "Share of the understood attributes the product "
                                                          "has, 0..1 (a product type counts twice)"},
        "weights": _obj({"image": NUM, "text": NUM, "keyword": NUM, "attributes": NUM}),
        "formula": STR, "fusion": {"type": "string", "enum": list(FUSIONS)}, "candidate_rank": INT,
        "matched_filters": {"type": "object"},
        "understood": {"type": "array", "items": STR,
                       "description": "The understood attributes this product has: \"colour=White from "
                                      "'white'\" (\"(title)\" / \"(predicted)\": where its value came from)"},
    }, required=("s_image", "s_text", "alpha", "weights"))
    attribute = _obj({
        "kind": {"type": "string", "enum": [k for k in KINDS if k != "price"]},
        "field": {"type": "string", "description": "The payload field; title for a material"},
        "values": {"type": "array", "items": STR}, "words": {"type": "array", "items": STR},
        "products": {"type": "integer", "description": "Products that have it (0: none in this catalog)"},
        "broader": {"type": "object"}, "applied": {"type": "boolean"}, "ignored": {"type": "boolean"},
    }, required=("kind", "field", "values", "words", "applied"))
    understood = _obj({
        "attributes": {"type": "array", "items": attribute},
        "price": {"type": "object", "nullable": True,
                  "description": "min, max, currency, words, applied, ignored"},
        "corrections": {"type": "array", "items": _obj({"word": STR, "corrected": STR})},
        "corrected_text": {"type": "string", "nullable": True}, "free_words": {"type": "array", "items": STR},
        "mode": {"type": "string", "enum": list(UNDERSTAND_MODES)},
    }) | {"nullable": True, "description": "How the text was read (null: no text, an image too, or "
                                            "understand off)"}
    hit = _obj({"id": STR, "score": NUM, "breakdown": _ref("Breakdown"), "product": _ref("Product")},
               required=("id", "score", "breakdown", "product"))
    timings = {"type": "object", "additionalProperties": NUM,
               "description": "Milliseconds per stage: fetch (image_url), encode, candidates, rerank, "
                              "facets, total"}
    tokens = _obj({"access_token": STR, "refresh_token": STR, "token_type": {"type": "string",
                   "enum": ["Bearer"]}, "expires_in": INT, "scope": STR},
                  required=("access_token", "refresh_token", "expires_in"))
    return {
        "Error": _obj({"error": STR, "message": STR}, required=("error", "message")),
        "Product": product,
        "Breakdown": breakdown,
        "Understood": understood,
        "Hit": hit,
        "Filters": _filter_schema(),
        "SearchRequest": _obj({
            "text": {"type": "string", "maxLength": MAX_TEXT, "pattern": TEXT_PATTERN},
            "image_url": {"type": "string", "maxLength": 2048,
                          "description": "http(s) URL of a JPEG/PNG/WEBP on a public address"},
            "alpha": {"type": "number", "minimum": 0, "maximum": 1,
                      "description": "Image weight when both text and an image are given"},
            "filters": _ref("Filters"),
            "k": {"type": "integer", "minimum": 1, "maximum": MAX_K, "default": 10},
            "offset": {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0},
            "sort": {"type": "string", "enum": list(SORTS), "default": "relevance",
                     "description": "Other than relevance: reorders the 100 most relevant matches"},
            "facets": {"type": "boolean", "default": True},
            "exact": {"type": "boolean", "default": False,
                      "description": "Brute-force candidate search (needs the admin scope)"},
            "understand": {"type": "string", "enum": list(UNDERSTAND_MODES), "description": UNDERSTAND_DOC},
            "ignore": {"type": "array", "items": {"type": "string", "enum": list(KINDS)},
                       "maxItems": 2 * len(KINDS),
                       "description": "Understood kinds to leave out (and their words from the text); "
                                      "in a form, the kinds separated by commas"},
        }, extra=False) | {"description": "At least one of text, image_url (or an uploaded image).",
                           "anyOf": [{"required": ["text"]}, {"required": ["image_url"]}]},
        "SearchUpload": _obj({
            "image": {"type": "string", "format": "binary", "description": "JPEG, PNG or WEBP"},
            **{k: STR for k in SEARCH_KEYS if k != "image_url"},
        }, extra=False),
        "Page": _obj({"k": INT, "offset": INT, "returned": INT, "next_offset": NULLABLE_INT,
                      "total_matching": NULLABLE_INT}, required=("k", "offset", "returned")),
        "SearchResponse": _obj({
            "results": {"type": "array", "items": _ref("Hit")},
            "candidates": INT,
            "filters": {"type": "object", "description": "The filters as applied (canonical spelling)"},
            "facets": _obj({name: {"type": "object", "additionalProperties": INT}
                            for name in KEYWORD_FIELDS}),
            "page": _ref("Page"), "sort": STR, "model": STR, "timings": timings,
            "understood": _ref("Understood"),
            "notices": {"type": "array", "items": STR,
                        "description": "What to tell the shopper: \"showing results for 'sneakers'\", "
                                       "\"no earrings in this catalog, showing the closest items\", "
                                       "\"no prices in this catalog, the price condition was ignored\""},
            "did_you_mean": {"type": "string", "nullable": True,
                             "description": "The text with its typos corrected, when it had any"},
        }, required=("results", "candidates", "filters", "page", "timings", "notices")),
        "SimilarResponse": _obj({
            "results": {"type": "array", "items": _ref("Hit")}, "candidates": INT,
            "filters": {"type": "object"}, "timings": timings, "anchor": STR,
            "by": {"type": "string", "enum": ["image", "text", "both"]}, "page": _ref("Page"),
        }, required=("results", "anchor", "by")),
        "Suggestion": _obj({
            "slot": {"type": "string", "enum": ["top", "bottom", "footwear", "accessory"]},
            "product": _ref("Product"), "score": NUM, "similarity": NUM, "reason": STR,
            "rules": _obj({"gender": {"type": "boolean"}, "occasion": {"type": "boolean"},
                           "season": {"type": "boolean"}, "colour": {"type": "boolean"}}),
        }, required=("slot", "product", "reason")),
        "CompleteTheLook": _obj({
            "anchor": _ref("Product"), "suggestions": {"type": "array", "items": _ref("Suggestion")},
            "note": STR,
        }, required=("anchor", "suggestions")),
        "TokenRequest": _obj({"client_id": {"type": "string", "minLength": 1},
                              "client_secret": {"type": "string", "minLength": 1}},
                             required=("client_id", "client_secret"), extra=False),
        "RefreshRequest": _obj({"refresh_token": {"type": "string", "minLength": 1}},
                               required=("refresh_token",), extra=False),
        "RevokeRequest": _obj({"refresh_token": STR}, extra=False),
        "Tokens": tokens,
        "Ready": _obj({"status": {"type": "string", "enum": ["ready", "degraded", "unavailable"]},
                       "checks": {"type": "object"}, "degraded": {"type": "array", "items": STR}},
                      required=("status", "checks", "degraded")),
    }


def _product_param() -> dict[str, Any]:
    return {"name": "product_id", "in": "path", "required": True,
            "schema": {"type": "string", "minLength": 1, "maxLength": 100}}


def _paths() -> dict[str, Any]:
    search_errors = {**COMMON, **AUTH_ERRORS,
                     "413": _error("Upload or fetched image over the size cap"),
                     "415": _error("Body is not JSON or multipart, or the image is not JPEG/PNG/WEBP"),
                     "422": _error("image_url could not be fetched")}
    product_errors = {**COMMON, **AUTH_ERRORS, "404": _error("No such product")}
    return {
        "/api/v1/search": {"post": {
            "summary": "Search by text, image or both, with filters, facets and pages",
            "security": ANONYMOUS_OR_TOKEN,
            "requestBody": {"required": True, "content": {
                "application/json": {"schema": _ref("SearchRequest")},
                "multipart/form-data": {"schema": _ref("SearchUpload")},
            }},
            "responses": {"200": _limited(_ref("SearchResponse")), **search_errors},
        }},
        "/api/v1/products/{product_id}": {"get": {
            "summary": "One product", "security": ANONYMOUS_OR_TOKEN, "parameters": [_product_param()],
            "responses": {"200": _limited(_obj({"product": _ref("Product")}, required=("product",))),
                          **product_errors},
        }},
        "/api/v1/products/{product_id}/image": {"get": {
            "summary": "The product photo", "security": ANONYMOUS_OR_TOKEN,
            "parameters": [_product_param()],
            "responses": {"200": {"description": "The image", "content": {
                "image/jpeg": {}, "image/png": {}, "image/webp": {}}}, **product_errors},
        }},
        "/api/v1/products/{product_id}/similar": {"get": {
            "summary": "Products like this one by image, text or both, honouring filters",
            "security": ANONYMOUS_OR_TOKEN,
            "parameters": [
                _product_param(),
                {"name": "by", "in": "query", "schema": {"type": "string", "enum": ["image", "text", "both"],
                                                         "default": "image"}},
                {"name": "k", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_K}},
                {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0,
                                                             "maximum": MAX_OFFSET}},
                {"name": "filters", "in": "query", "description": "The Filters object as JSON text",
                 "schema": {"type": "string"}},
            ],
            "responses": {"200": _limited(_ref("SimilarResponse")), **product_errors},
        }},
        "/api/v1/products/{product_id}/complete-the-look": {"get": {
            "summary": "One suggestion per complementary slot, each with the reason it was chosen",
            "security": ANONYMOUS_OR_TOKEN, "parameters": [_product_param()],
            "responses": {"200": _limited(_ref("CompleteTheLook")), **product_errors},
        }},
        "/api/v1/auth/token": {"post": {
            "summary": "Exchange client credentials for an access and a refresh token", "security": [],
            "requestBody": {"required": True,
                            "content": {"application/json": {"schema": _ref("TokenRequest")}}},
            "responses": {"200": _limited(_ref("Tokens")), **COMMON,
                          "401": _error("Unknown client or wrong secret"),
                          **JSON_BODY_ERRORS, "503": _error("Redis unavailable")},
        }},
        "/api/v1/auth/refresh": {"post": {
            "summary": "Trade a refresh token (single use) for a new pair", "security": [],
            "requestBody": {"required": True,
                            "content": {"application/json": {"schema": _ref("RefreshRequest")}}},
            "responses": {"200": _limited(_ref("Tokens")), **COMMON,
                          "401": _error("Invalid, expired, used or revoked refresh token"),
                          **JSON_BODY_ERRORS, "503": _error("Redis unavailable")},
        }},
        "/api/v1/auth/revoke": {"post": {
            "summary": "Revoke the calling access token and optionally a refresh token",
            "security": [{"bearerAuth": []}],
            "requestBody": {"required": False,
                            "content": {"application/json": {"schema": _ref("RevokeRequest")}}},
            "responses": {"200": _limited(_obj({"revoked": INT}, required=("revoked",))), **COMMON,
                          "401": _error("No valid access token"), **JSON_BODY_ERRORS,
                          "503": _error("Redis unavailable")},
        }},
        "/api/v1/health": {"get": {"summary": "Alive", "security": [],
                                   "responses": {"200": _json(_obj({"status": STR}))}}},
        "/api/v1/ready": {"get": {"summary": "Ready to serve (lists degraded modes)", "security": [],
                                  "responses": {"200": _json(_ref("Ready")),
                                                "503": _json(_ref("Ready"), "Not ready")}}},
        "/api/v1/metrics": {"get": {"summary": "Prometheus metrics", "security": [], "responses": {
            "200": {"description": "Prometheus text format", "content": {"text/plain": {"schema": STR}}}}}},
        "/api/v1/openapi.json": {"get": {"summary": "This document", "security": [],
                                         "responses": {"200": _json({"type": "object"})}}},
    }


def openapi_document() -> dict[str, Any]:
    """The whole document (rebuilt per call; it is small)."""
    from api.openapi_ingest import ingest_paths, ingest_schemas, product_write_operations

    paths = _paths() | ingest_paths()
    paths["/api/v1/products/{product_id}"] |= product_write_operations()
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Vitrine search API",
            "version": VERSION,
            "description": "Cross-modal fashion search: text, a photo, or both. Every error is "
                           '{"error": code, "message": ...}. Rate limits are reported in X-RateLimit-* '
                           "headers; a 429 carries Retry-After.",
        },
        "servers": [{"url": "/"}],
        "components": {
            "securitySchemes": {"bearerAuth": {
                "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                "description": f"Access token from /api/v1/auth/token; scopes: {', '.join(SCOPES)}",
            }},
            "schemas": _schemas() | ingest_schemas(),
        },
        "paths": paths,
    }
