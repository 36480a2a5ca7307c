"""The OpenAPI description of the search, product, auth and ops endpoints.

Written by hand beside the code it describes; tests check that the real responses
validate against the schemas here, so the two cannot drift apart silently.
"""

from __future__ import annotations

from typing import Any

from api.openapi.parts import (
    ANONYMOUS_OR_TOKEN,
    AUTH_ERRORS,
    COMMON,
    INT,
    JSON_BODY_ERRORS,
    NULLABLE_INT,
    NUM,
    STR,
    TEXT_PATTERN,
    as_json,
    error,
    limited,
    obj,
    product_param,
    ref,
)
from api.params import SEARCH_KEYS
from indexer.schema import FILTER_FIELDS, KEYWORD_FIELDS
from indexer.search import MAX_K, MAX_OFFSET, MAX_TEXT
from indexer.search.fusion import FUSIONS
from indexer.search.model import SORTS
from indexer.search.reading import KINDS, UNDERSTAND_MODES

# Every stage a search or a similar-items request may time (indexer/search/service.py, hybrid.py).
TIMED_STAGES = ("fetch", "understand", "encode", "candidates", "keywords", "rerank", "taste", "facets",
                "total")
UNDERSTAND_DOC = ("What understood attributes of the text do: boost (the server's default, "
                  "VITRINE_UNDERSTAND) ranks products that have them higher, filter returns only those "
                  "(relaxed, with a notice, when none has them all), off reads nothing")


def _filter_schema() -> dict[str, Any]:
    properties: dict[str, Any] = {}
    for name, kind in FILTER_FIELDS.items():
        rng = obj({k: NUM for k in ("gte", "lte", "gt", "lt")}, extra=False) | {"minProperties": 1}
        if kind == "keyword":
            value = {"type": "string", "minLength": 1, "maxLength": 200}
            properties[name] = {"oneOf": [value, {"type": "array", "items": value, "minItems": 1,
                                                  "maxItems": 100}]}
        elif kind == "integer":
            properties[name] = {"oneOf": [INT, {"type": "array", "items": INT, "minItems": 1,
                                                "maxItems": 100}, rng]}
        elif kind == "bool":
            flag = {"type": "boolean"}
            properties[name] = {"oneOf": [flag, {"type": "array", "items": flag, "minItems": 1,
                                                 "maxItems": 2}]}
        else:
            properties[name] = rng
    return obj(properties, extra=False) | {
        "description": "All fields must match (AND); a list matches any of its values. Keyword values "
                       "are matched case-insensitively to the catalog's spelling; an unknown value "
                       "is a 400 listing the valid ones."}


def search_schemas() -> dict[str, Any]:
    product = obj({
        "id": STR, "title": STR, "image": {"type": "string", "description": "URL of the photo"},
        **{name: (STR if kind == "keyword" else INT if kind == "integer" else NUM)
           for name, kind in FILTER_FIELDS.items() if kind != "bool"},
        "colour": {"oneOf": [STR, {"type": "array", "items": STR}],
                   "description": "A list when the product's variants come in several colours"},
        "in_stock": {"type": "boolean"}, "stock": INT, "list_price": NUM, "sale_price": NUM,
        "product_type": STR,
        "variants": {"type": "array", "items": ref("Variant")},
        "size": {"type": "string", "description": "Ungrouped results: the variant's size"},
        "variant": {"type": "string", "nullable": True,
                    "description": "Under a colour filter: the variant whose photo is shown; ungrouped "
                                   "(\"group\": false): the variant this hit is, its colour, size, "
                                   "price, stock and photo shown over the product's"},
    }, required=("id", "title"))
    breakdown = obj({
        "s_image": NUM, "s_text": NUM, "alpha": NUM,
        "s_keyword": {"type": "number", "description": "BM25 score on the keywords vector (text queries; "
                                                       "0: not found by keywords)"},
        "s_attributes": {"type": "number", "description": "Share of the understood attributes the product "
                                                          "has, 0..1 (a product type counts twice)"},
        "weights": obj({"image": NUM, "text": NUM, "keyword": NUM, "attributes": NUM}),
        "formula": STR, "fusion": {"type": "string", "enum": list(FUSIONS)}, "candidate_rank": INT,
        "matched_filters": {"type": "object"},
        "variant": obj({"id": STR, "of": STR, "position": INT, "matching": INT, "variants": INT,
                        "matched_filters": {"type": "object"}}) | {
            "description": 'Ungrouped results: which variant of product "of" this is, of how many '
                           "matching and in all, and the variant-level filters it met"},
        "understood": {"type": "array", "items": STR,
                       "description": "The understood attributes this product has: \"colour=White from "
                                      "'white'\" (\"(title)\" / \"(predicted)\": where its value came from)"},
    }, required=("s_image", "s_text", "alpha", "weights"))
    attribute = obj({
        "kind": {"type": "string", "enum": [k for k in KINDS if k != "price"]},
        "field": {"type": "string", "description": "The payload field; title for a material"},
        "values": {"type": "array", "items": STR}, "words": {"type": "array", "items": STR},
        "products": {"type": "integer", "description": "Products that have it (0: none in this catalog)"},
        "broader": {"type": "object", "additionalProperties": True,
                    "description": "The wider values this attribute also matched"},
        "applied": {"type": "boolean"}, "ignored": {"type": "boolean"},
    }, required=("kind", "field", "values", "words", "applied"))
    understood = obj({
        "attributes": {"type": "array", "items": ref("UnderstoodAttribute")},
        "price": ref("UnderstoodPrice"),
        "corrections": {"type": "array", "items": ref("Correction")},
        "corrected_text": {"type": "string", "nullable": True}, "free_words": {"type": "array", "items": STR},
        "mode": {"type": "string", "enum": list(UNDERSTAND_MODES)},
    }) | {"nullable": True, "description": "How the text was read (null: no text, an image too, or "
                                            "understand off)"}
    hit = obj({"id": STR, "score": NUM, "breakdown": ref("Breakdown"), "product": ref("Product"),
               "variant": ref("Variant") | {"description": 'Ungrouped results ("group": false): the '
                                                          "variant this hit stands for"}},
               required=("id", "score", "breakdown", "product"))
    timings = ref("Timings")
    tokens = obj({"access_token": STR, "refresh_token": STR, "token_type": {"type": "string",
                   "enum": ["Bearer"]}, "expires_in": INT, "scope": STR},
                  required=("access_token", "refresh_token", "expires_in"))
    return {
        "Error": obj({"error": STR, "message": STR}, required=("error", "message")),
        "Product": product,
        "Breakdown": breakdown,
        "Understood": understood,
        "UnderstoodAttribute": attribute,
        "Correction": obj({"word": STR, "corrected": STR}),
        "UnderstoodPrice": obj({
            "min": {"type": "number", "nullable": True}, "max": {"type": "number", "nullable": True},
            "currency": {"type": "string", "nullable": True}, "words": {"type": "array", "items": STR},
            "applied": {"type": "boolean"}, "ignored": {"type": "boolean"},
        }) | {"nullable": True, "description": "A price condition read from the text (null: none)"},
        "Timings": obj({f"{stage}_ms": NUM for stage in TIMED_STAGES}) | {
            "additionalProperties": NUM,
            "description": "Milliseconds per stage; a stage the search did not run is absent"},
        "Facets": obj({name: ref("FacetCounts") for name in KEYWORD_FIELDS}) | {
            "description": "Per keyword field, the products matching the query and filters per value"},
        "FacetCounts": {"type": "object", "additionalProperties": INT,
                        "description": "Value -> number of matching products"},
        "Hit": hit,
        "Variant": obj({"id": STR, "size": STR, "colour": STR, "price": NUM, "sale_price": NUM,
                        "in_stock": {"type": "boolean"}, "image": STR}),
        "Filters": _filter_schema(),
        "SearchRequest": obj({
            "text": {"type": "string", "maxLength": MAX_TEXT, "pattern": TEXT_PATTERN},
            "image_url": {"type": "string", "maxLength": 2048,
                          "description": "http(s) URL of a JPEG/PNG/WEBP on a public address"},
            "alpha": {"type": "number", "minimum": 0, "maximum": 1,
                      "description": "Image weight when both text and an image are given"},
            "filters": ref("Filters"),
            "k": {"type": "integer", "minimum": 1, "maximum": MAX_K, "default": 10},
            "offset": {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0},
            "sort": {"type": "string", "enum": list(SORTS), "default": "relevance",
                     "description": "Other than relevance: reorders the 100 most relevant matches"},
            "facets": {"type": "boolean", "default": True},
            "include_out_of_stock": {"type": "boolean", "default": False,
                                     "description": "Also show products whose in_stock is false"},
            "group": {"type": "boolean", "default": True,
                      "description": "false: a product with variants is one hit per variant that "
                                     "matches the filters (offset still counts products)"},
            "exact": {"type": "boolean", "default": False,
                      "description": "Brute-force candidate search (needs the admin scope)"},
            "understand": {"type": "string", "enum": list(UNDERSTAND_MODES), "description": UNDERSTAND_DOC},
            "diversity": {"type": "number", "minimum": 0, "maximum": 1,
                          "description": "MMR re-rank of the 100 most relevant "
                                                        "(0: off; default: the server's)"},
            "ignore": {"type": "array", "items": {"type": "string", "enum": list(KINDS)},
                       "maxItems": 2 * len(KINDS),
                       "description": "Understood kinds to leave out (and their words from the text); "
                                      "in a form, the kinds separated by commas"},
        }, extra=False) | {"description": "Give text, image_url or both (or, in a multipart body, an "
                                          "uploaded image); a request with none of them is a 400. The "
                                          "server checks this, so the schema does not repeat it."},
        "SearchUpload": obj({
            "image": {"type": "string", "format": "binary", "description": "JPEG, PNG or WEBP"},
            **{k: STR for k in SEARCH_KEYS if k != "image_url"},
        }, extra=False),
        "Page": obj({"k": INT, "offset": INT, "returned": INT, "next_offset": NULLABLE_INT,
                      "total_matching": NULLABLE_INT}, required=("k", "offset", "returned")),
        "SearchResponse": obj({
            "results": {"type": "array", "items": ref("Hit")},
            "candidates": INT,
            "filters": {"type": "object", "description": "The filters as applied (canonical spelling)"},
            "facets": ref("Facets"),
            "page": ref("Page"), "sort": STR, "model": STR, "timings": timings,
            "understood": ref("Understood"),
            "notices": {"type": "array", "items": STR,
                        "description": "What to tell the shopper: \"showing results for 'sneakers'\", "
                                       "\"no earrings in this catalog, showing the closest items\", "
                                       "\"no prices in this catalog, the price condition was ignored\""},
            "did_you_mean": {"type": "string", "nullable": True,
                             "description": "The text with its typos corrected, when it had any"},
        }, required=("results", "candidates", "filters", "page", "timings", "notices")),
        "SimilarResponse": obj({
            "results": {"type": "array", "items": ref("Hit")}, "candidates": INT,
            "filters": {"type": "object"}, "timings": timings, "anchor": STR,
            "by": {"type": "string", "enum": ["image", "text", "both"]}, "page": ref("Page"),
        }, required=("results", "anchor", "by")),
        "Suggestion": obj({
            "slot": {"type": "string", "enum": ["top", "bottom", "footwear", "accessory"]},
            "product": ref("Product"), "score": NUM, "similarity": NUM, "reason": STR,
            "rules": obj({"gender": {"type": "boolean"}, "occasion": {"type": "boolean"},
                           "season": {"type": "boolean"}, "colour": {"type": "boolean"}}),
        }, required=("slot", "product", "reason")),
        "CompleteTheLook": obj({
            "anchor": ref("Product"), "suggestions": {"type": "array", "items": ref("Suggestion")},
            "note": STR,
        }, required=("anchor", "suggestions")),
        "TokenRequest": obj({"client_id": {"type": "string", "minLength": 1},
                              "client_secret": {"type": "string", "minLength": 1}},
                             required=("client_id", "client_secret"), extra=False),
        "RefreshRequest": obj({"refresh_token": {"type": "string", "minLength": 1}},
                               required=("refresh_token",), extra=False),
        "RevokeRequest": obj({"refresh_token": STR}, extra=False),
        "Tokens": tokens,
        "Ready": obj({"status": {"type": "string", "enum": ["ready", "degraded", "unavailable"]},
                       "checks": {"type": "object"}, "degraded": {"type": "array", "items": STR}},
                      required=("status", "checks", "degraded")),
    }


def body(media_type: str, schema: str) -> dict[str, Any]:
    """A required body of one media type: generated clients handle one per operation."""
    return {"required": True, "content": {media_type: {"schema": ref(schema)}}}


def search_paths() -> dict[str, Any]:
    search_errors = {**COMMON, **AUTH_ERRORS,
                     "413": error("Upload or fetched image over the size cap"),
                     "415": error("Body is not JSON or multipart, or the image is not JPEG/PNG/WEBP"),
                     "422": error("image_url could not be fetched")}
    product_errors = {**COMMON, **AUTH_ERRORS, "404": error("No such product")}
    return {
        "/api/v1/search": {"post": {
            "summary": "Search by text, an image URL or both, with filters, facets and pages",
            "description": "The JSON body; the same path also takes the multipart body of "
                           "/api/v1/search/photo (what a browser form sends).",
            "security": ANONYMOUS_OR_TOKEN,
            "requestBody": body("application/json", "SearchRequest"),
            "responses": {"200": limited(ref("SearchResponse")), **search_errors},
        }},
        "/api/v1/search/photo": {"post": {
            "summary": "Search by an uploaded photo (and text), with filters, facets and pages",
            "security": ANONYMOUS_OR_TOKEN,
            "requestBody": body("multipart/form-data", "SearchUpload"),
            "responses": {"200": limited(ref("SearchResponse")), **search_errors},
        }},
        "/api/v1/products/{product_id}": {"get": {
            "summary": "One product", "security": ANONYMOUS_OR_TOKEN, "parameters": [product_param()],
            "responses": {"200": limited(obj({"product": ref("Product")}, required=("product",))),
                          **product_errors},
        }},
        "/api/v1/products/{product_id}/image": {"get": {
            "summary": "The product photo", "security": ANONYMOUS_OR_TOKEN,
            "parameters": [product_param()],
            "responses": {"200": {"description": "The image", "content": {
                kind: {"schema": {"type": "string", "format": "binary"}}
                for kind in ("image/jpeg", "image/png", "image/webp")}}, **product_errors},
        }},
        "/api/v1/products/{product_id}/similar": {"get": {
            "summary": "Products like this one by image, text or both, honouring filters",
            "security": ANONYMOUS_OR_TOKEN,
            "parameters": [
                product_param(),
                {"name": "by", "in": "query", "schema": {"type": "string", "enum": ["image", "text", "both"],
                                                         "default": "image"}},
                {"name": "k", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_K}},
                {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0,
                                                             "maximum": MAX_OFFSET}},
                {"name": "filters", "in": "query", "description": "The Filters object as JSON text",
                 "schema": {"type": "string"}},
            ],
            "responses": {"200": limited(ref("SimilarResponse")), **product_errors},
        }},
        "/api/v1/products/{product_id}/complete-the-look": {"get": {
            "summary": "One suggestion per complementary slot, each with the reason it was chosen",
            "security": ANONYMOUS_OR_TOKEN, "parameters": [product_param()],
            "responses": {"200": limited(ref("CompleteTheLook")), **product_errors},
        }},
        "/api/v1/auth/token": {"post": {
            "summary": "Exchange client credentials for an access and a refresh token", "security": [],
            "requestBody": {"required": True,
                            "content": {"application/json": {"schema": ref("TokenRequest")}}},
            "responses": {"200": limited(ref("Tokens")), **COMMON,
                          "401": error("Unknown client or wrong secret"),
                          **JSON_BODY_ERRORS, "503": error("Redis unavailable")},
        }},
        "/api/v1/auth/refresh": {"post": {
            "summary": "Trade a refresh token (single use) for a new pair", "security": [],
            "requestBody": {"required": True,
                            "content": {"application/json": {"schema": ref("RefreshRequest")}}},
            "responses": {"200": limited(ref("Tokens")), **COMMON,
                          "401": error("Invalid, expired, used or revoked refresh token"),
                          **JSON_BODY_ERRORS, "503": error("Redis unavailable")},
        }},
        "/api/v1/auth/revoke": {"post": {
            "summary": "Revoke the calling access token and optionally a refresh token",
            "security": [{"bearerAuth": []}],
            "requestBody": {"required": False,
                            "content": {"application/json": {"schema": ref("RevokeRequest")}}},
            "responses": {"200": limited(obj({"revoked": INT}, required=("revoked",))), **COMMON,
                          "401": error("No valid access token"), **JSON_BODY_ERRORS,
                          "503": error("Redis unavailable")},
        }},
        "/api/v1/health": {"get": {"summary": "Alive", "security": [],
                                   "responses": {"200": as_json(obj({"status": STR}))}}},
        "/api/v1/ready": {"get": {"summary": "Ready to serve (lists degraded modes)", "security": [],
                                  "responses": {"200": as_json(ref("Ready")),
                                                "503": as_json(ref("Ready"), "Not ready")}}},
        "/api/v1/metrics": {"get": {"summary": "Prometheus metrics", "security": [], "responses": {
            "200": {"description": "Prometheus text format", "content": {"text/plain": {"schema": STR}}}}}},
        "/api/v1/openapi.json": {"get": {"summary": "This document", "security": [],
                                         "responses": {"200": as_json({"type": "object"})}}},
    }
