"""The OpenAPI 3 document of the API, served at /api/v1/openapi.json.

Written by hand beside the code it describes; tests check that the real responses
validate against the schemas here, so the two cannot drift apart silently. ``parts`` holds
the building blocks; ``search`` and ``ingest`` describe their endpoints and import only
``parts``; this module puts the document together.
"""

from __future__ import annotations

from typing import Any

from api.clients import SCOPES
from api.openapi.discovery import discovery_paths, discovery_schemas
from api.openapi.ingest import ingest_paths, ingest_schemas, product_write_operations
from api.openapi.merch import extend_search, merch_schemas
from api.openapi.merch_paths import merch_paths
from api.openapi.parts import VERSION
from api.openapi.search import search_paths, search_schemas
from api.openapi.shopper import shopper_paths, shopper_schemas


def openapi_document() -> dict[str, Any]:
    """The whole document (rebuilt per call; it is small)."""
    paths = search_paths() | ingest_paths() | shopper_paths() | discovery_paths() | merch_paths()
    search = search_schemas()
    schemas = search | shopper_schemas(search) | ingest_schemas() | discovery_schemas() | merch_schemas()
    extend_search(schemas)
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
            "schemas": schemas,
        },
        "paths": paths,
    }
