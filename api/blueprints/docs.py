"""GET /openapi.json: the OpenAPI 3 document of this API."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from api.openapi import openapi_document

bp = Blueprint("docs", __name__)


@bp.get("/openapi.json")
def openapi() -> Any:
    """The machine-readable description of every endpoint, kept beside the code it describes."""
    return jsonify(openapi_document())
