"""The building blocks of the OpenAPI document: references, responses, common errors and
headers, shared by the parts that describe each group of endpoints."""

from __future__ import annotations

from typing import Any

VERSION = "1.0.0"
# Some non-space character and no NUL: blank text is no query.
TEXT_PATTERN = r"^[^\x00]*\S[^\x00]*$"


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ref("Error")}}}


def as_json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def header(description: str) -> dict[str, Any]:
    return {"description": description, "required": True, "schema": {"type": "integer"}}


RATE_HEADERS = {
    "X-RateLimit-Limit": header("Requests allowed in the current window"),
    "X-RateLimit-Remaining": header("Requests left in the current window"),
    "X-RateLimit-Reset": header("When the window resets (Unix time, seconds)"),
}


def limited(schema: dict[str, Any]) -> dict[str, Any]:
    """A 200 of a rate-limited endpoint: it carries the X-RateLimit headers."""
    return as_json(schema) | {"headers": RATE_HEADERS}


def obj(properties: dict[str, Any], required: tuple[str, ...] = (), extra: bool = True) -> dict[str, Any]:
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
RATE_LIMITED = error("Rate limit exceeded") | {"headers": {
    "Retry-After": header("Seconds to wait before retrying"), **RATE_HEADERS}}
# Admission control (api/admission.py) and an unavailable dependency both answer 503 with a hint.
UNAVAILABLE = error("Overloaded (every slot busy) or a dependency is unavailable; retry after the "
                    "given seconds") | {"headers": {"Retry-After": header("Seconds to wait before retrying")}}
COMMON = {"400": error("Malformed request; the message says what is valid"), "429": RATE_LIMITED,
          "503": UNAVAILABLE}
AUTH_ERRORS = {"401": error("Missing (when anonymous search is off), invalid, expired or revoked token"),
               "403": error("The token lacks the search scope")}
JSON_BODY_ERRORS = {"413": error("JSON body over 64 KiB"), "415": error("Body is not JSON")}
ANONYMOUS_OR_TOKEN: list[dict[str, list[str]]] = [{}, {"bearerAuth": []}]


def product_param() -> dict[str, Any]:
    return {"name": "product_id", "in": "path", "required": True,
            "schema": {"type": "string", "minLength": 1, "maxLength": 100}}
