"""The OpenAPI 3 document (placeholder; filled in below)."""

from __future__ import annotations

from typing import Any


def openapi_document() -> dict[str, Any]:
    return {"openapi": "3.0.3", "info": {"title": "Vitrine", "version": "1"}, "paths": {}}
