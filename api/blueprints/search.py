"""POST /search: text, an image (upload or URL) or both, with filters, facets, sort and pages."""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, jsonify

from api.auth import principal, require_scope
from api.context import state
from api.errors import Forbidden
from api.merch import FIELDS as MERCH_FIELDS
from api.merch import prepare
from api.search_io import answer, read_search

bp = Blueprint("search", __name__)


@bp.post("/search")
# The same search for a photo upload, as its own operation in the OpenAPI document: client
# generators handle one body type per operation (/search takes both, as browsers send forms).
@bp.post("/search/photo")
@require_scope("search", anonymous_ok=True)
def search() -> Any:
    """Search the catalog; see the OpenAPI document for the request and response."""
    st = state()
    started = time.perf_counter()
    extras, query = read_search(st, extra=MERCH_FIELDS)
    query = prepare(query, extras)  # experiment variant, business terms, rules (api/merch.py)
    if query.exact and "admin" not in principal().scopes:
        # Brute force over the whole collection is a diagnostic, and a cheap way to load the server.
        raise Forbidden("exact search needs a token with the 'admin' scope")
    service = st.search_service()
    found = service.search(query)
    return jsonify(answer(st, found, query, service.model_id, started))
