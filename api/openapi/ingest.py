"""The ingestion endpoints' part of the OpenAPI document (see api/ingest.py)."""

from __future__ import annotations

from typing import Any

from api.openapi.parts import COMMON, INT, STR, UNAVAILABLE, as_json, error, obj, product_param, ref

TOKEN: list[dict[str, list[str]]] = [{"bearerAuth": []}]
AUTH = {"401": error("No valid access token"), "403": error("The token lacks the needed scope")}


def _job_param() -> dict[str, Any]:
    return {"name": "job_id", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 200}}


def ingest_schemas() -> dict[str, Any]:
    text = {"type": "string", "minLength": 1}
    submission = obj(
        {
            "id": {"oneOf": [{"type": "string", "minLength": 1, "maxLength": 100}, INT]},
            "title": text,
            "image_url": {"type": "string", "maxLength": 2048, "description": "http(s) URL of the photo"},
            "image_base64": {"type": "string", "description": "The photo (JPEG, PNG or WEBP), base64"},
            **{
                f: STR
                for f in (
                    "gender",
                    "category",
                    "sub_category",
                    "article_type",
                    "colour",
                    "season",
                    "occasion",
                )
            },
            "year": INT,
            "price": {"type": "number", "minimum": 0},
        },
        required=("id", "title"),
        extra=False,
    ) | {"description": "A product with exactly one of image_url or image_base64 (or a multipart image)"}
    job = obj(
        {
            "id": STR,
            "status": {
                "type": "string",
                "enum": [
                    "queued",
                    "started",
                    "finished",
                    "failed",
                    "deferred",
                    "scheduled",
                    "stopped",
                    "canceled",
                    "unknown",
                ],
            },
            "product_ids": {"type": "array", "items": STR},
            "reason": STR,
            "retries_left": {"type": "integer", "nullable": True},
            "enqueued_at": {"type": "string", "nullable": True},
            "ended_at": {"type": "string", "nullable": True},
            "result": {"type": "object", "nullable": True},
        },
        required=("id", "status"),
    )
    batch = obj(
        {"products": {"type": "array", "items": ref("ProductSubmission"), "minItems": 1, "maxItems": 1000}},
        required=("products",),
        extra=False,
    ) | {"description": 'Up to 1000 products: {"products": [...]} (a single product object or a bare '
                        "list is also accepted, for clients of the first version)"}
    return {
        "ProductSubmission": submission,
        "ProductBatch": batch,
        "ProductUpload": obj(
            {
                "product": {"type": "string", "description": "ProductSubmission as JSON text"},
                "image": {"type": "string", "format": "binary"},
            },
            required=("product", "image"),
        ),
        "Accepted": obj(
            {
                "accepted": INT,
                "jobs": {
                    "type": "array",
                    "items": obj({"id": STR, "product_ids": {"type": "array", "items": STR}}),
                },
            },
            required=("accepted", "jobs"),
        ),
        "Job": job,
        "ProductPatch": obj(
            {
                "price": {"type": "number", "minimum": 0},
                "stock": {"type": "integer", "minimum": 0},
                "in_stock": {"type": "boolean"},
                "availability": {"type": "string",
                                 "enum": ["in stock", "out of stock", "preorder", "backorder"]},
                "occasion": {"type": "string", "minLength": 1, "maxLength": 100},
            },
            extra=False,
        )
        | {"minProperties": 1},
    }


def ingest_paths() -> dict[str, Any]:
    bad_upload = {
        "413": error("Image or body over the size cap"),
        "415": error("Not JSON or multipart, or the image is not JPEG/PNG/WEBP"),
        "503": UNAVAILABLE,
    }
    return {
        "/api/v1/products": {
            "post": {
                "summary": "Queue one product or a list (up to 1000) for ingestion (scope ingest)",
                "security": TOKEN,
                "requestBody": {
                    "required": True,
                    "content": {
                        # One shape for generated clients; a bare product or a bare list (the
                        # first versions of this API) is still accepted.
                        "application/json": {"schema": ref("ProductBatch")},
                    },
                },
                "responses": {"202": as_json(ref("Accepted"), "Queued"), **COMMON, **AUTH, **bad_upload},
            }
        },
        "/api/v1/products/upload": {
            "post": {
                "summary": "Queue one product with its photo as a multipart upload (scope ingest)",
                "security": TOKEN,
                "requestBody": {"required": True,
                                "content": {"multipart/form-data": {"schema": ref("ProductUpload")}}},
                "responses": {"202": as_json(ref("Accepted"), "Queued"), **COMMON, **AUTH, **bad_upload},
            }
        },
        "/api/v1/jobs": {
            "get": {
                "summary": "Queue counts and failed jobs with their reasons (scope admin)",
                "security": TOKEN,
                "parameters": [
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 1000},
                    }
                ],
                "responses": {
                    "200": as_json(
                        obj(
                            {
                                "counts": obj({"queued": INT, "started": INT, "failed": INT}),
                                "failed": {"type": "array", "items": ref("Job")},
                            }
                        )
                    ),
                    **COMMON,
                    **AUTH,
                },
            }
        },
        "/api/v1/jobs/{job_id}": {
            "get": {
                "summary": "What became of an ingestion job (scope ingest)",
                "security": TOKEN,
                "parameters": [_job_param()],
                "responses": {"200": as_json(ref("Job")), **COMMON, **AUTH, "404": error("No such job")},
            }
        },
        "/api/v1/jobs/{job_id}/retry": {
            "post": {
                "summary": "Re-queue a failed job (scope admin)",
                "security": TOKEN,
                "parameters": [_job_param()],
                "responses": {
                    "202": as_json(obj({"id": STR, "status": STR}), "Queued again"),
                    **COMMON,
                    **AUTH,
                    "404": error("Not in the failed registry"),
                },
            }
        },
    }


def product_write_operations() -> dict[str, Any]:
    """PATCH and DELETE on /api/v1/products/{product_id} (merged into the GET's path item)."""
    return {
        "patch": {
            "summary": "Change price, stock or occasion without re-embedding (scope ingest)",
            "security": TOKEN,
            "parameters": [product_param()],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ref("ProductPatch")}},
            },
            "responses": {
                "200": as_json(obj({"id": STR, "updated": {"type": "array", "items": STR}})),
                **COMMON,
                **AUTH,
                "404": error("No such product"),
                "415": error("Body is not JSON"),
            },
        },
        "delete": {
            "summary": "Remove a product, cancelling any queued ingestion of it (scope ingest)",
            "security": TOKEN,
            "parameters": [product_param()],
            "responses": {
                "204": {"description": "Removed"},
                **COMMON,
                **AUTH,
                "404": error("No such product"),
            },
        },
    }
