"""POST /search: text, an image (upload or URL) or both, with filters, facets, sort and pages."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from flask import Blueprint, jsonify, request

from api.analytics import note_search
from api.auth import principal, require_scope
from api.bodies import json_body
from api.context import AppState, state
from api.errors import BadRequest, Forbidden, UnsupportedMediaType
from api.params import parse_search
from api.products_json import publish_results
from indexer.search import Page, SearchPage, SearchRequest

bp = Blueprint("search", __name__)


def read_search_body(max_upload: int) -> tuple[dict[str, Any], bytes | None]:
    """The search fields and the uploaded image bytes (if any), from JSON or multipart."""
    if request.mimetype == "application/json":
        body = json_body()
        if not isinstance(body, dict):
            raise BadRequest("the body must be a JSON object")
        return body, None
    if request.mimetype == "multipart/form-data":
        fields: dict[str, Any] = {}
        for key in request.form:
            values = request.form.getlist(key)
            if len(values) > 1:
                raise BadRequest(f"field {key} is given more than once")
            fields[key] = values[0]
        extra = sorted(set(request.files) - {"image"})
        if extra:
            raise BadRequest(f"unexpected file field(s) {', '.join(extra)}; send the photo as 'image'")
        upload = request.files.get("image")
        data = upload.stream.read(max_upload + 1) if upload is not None else None
        if upload is not None and not upload.filename and not data:
            data = None  # a browser form whose file input was left empty: no image, not a bad one
        return fields, data
    raise UnsupportedMediaType("send application/json, or multipart/form-data with an 'image' file")


def page_json(page: Page) -> dict[str, Any]:
    return {"k": page.k, "offset": page.offset, "returned": page.returned,
            "next_offset": page.next_offset, "total_matching": page.total_matching}


def answer(
    st: AppState, found: SearchPage, request_: SearchRequest, model_id: str, started: float
) -> dict[str, Any]:
    """The JSON body of a search answer (both search endpoints), with its timings observed and
    the search noted for analytics."""
    body = publish_results(found.result.to_json())
    if found.facets is not None:
        body["facets"] = found.facets
    body["page"] = page_json(found.page)
    body["sort"] = request_.sort
    body["model"] = model_id
    timings = {**found.timings, "total_ms": (time.perf_counter() - started) * 1000}
    body["timings"] = {k: round(v, 3) for k, v in timings.items()}
    st.metrics.observe_timings(timings)
    total = found.page.total_matching
    note_search(request_.text, found.had_image, request_.offset,
                total if total is not None else found.page.returned, timings)
    return body


def read_search(st: AppState, extra: tuple[str, ...] = ()) -> tuple[dict[str, Any], SearchRequest]:
    """The search request a body makes (with its uploaded image), and the ``extra`` fields an
    endpoint takes beside the search's own, as sent (absent ones as None)."""
    raw, upload = read_search_body(st.api.max_upload_bytes)
    extras = {name: raw.pop(name, None) for name in extra}
    query = parse_search(raw, form=request.mimetype != "application/json")
    return extras, replace(query, upload=upload)


@bp.post("/search")
@require_scope("search", anonymous_ok=True)
def search() -> Any:
    """Search the catalog; see the OpenAPI document for the request and response."""
    st = state()
    started = time.perf_counter()
    _, query = read_search(st)
    if query.exact and "admin" not in principal().scopes:
        # Brute force over the whole collection is a diagnostic, and a cheap way to load the server.
        raise Forbidden("exact search needs a token with the 'admin' scope")
    service = st.search_service()
    found = service.search(query)
    return jsonify(answer(st, found, query, service.model_id, started))
