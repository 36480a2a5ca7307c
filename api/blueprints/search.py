"""POST /search: text, an image (upload or URL) or both, with filters, facets, sort and pages."""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, jsonify, request

from api.analytics import note_search
from api.auth import principal, require_scope
from api.bodies import json_body
from api.body_guard import client_left
from api.context import state
from api.errors import BadRequest, Forbidden, UnsupportedMediaType
from api.params import SearchParams, parse_search
from api.products_json import publish_results
from indexer import Query, SearchResult
from indexer.live import IndexView
from indexer.media import QueryImage, accept_image, fetch_image_bytes
from indexer.search import MAX_K, MAX_OFFSET, MAX_TEXT

bp = Blueprint("search", __name__)

# Sorting by price or year reorders the most relevant matches, not the whole catalog:
# a price sort over everything would rank socks above the dress that was asked for.
SORT_POOL = MAX_K


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


def sort_key(sort: str):  # type: ignore[no-untyped-def]
    # Missing prices or years sort last whatever the direction.
    if sort == "price_asc":
        return lambda h: (h.product.price is None, h.product.price or 0.0)
    if sort == "price_desc":
        return lambda h: (h.product.price is None, -(h.product.price or 0.0))
    return lambda h: (h.product.year is None, -(h.product.year or 0))


def _run(view: IndexView, params: SearchParams, image: QueryImage | None) -> SearchResult:
    sorted_pool = params.sort != "relevance"
    if sorted_pool and params.offset + params.k > SORT_POOL:
        raise BadRequest(f"sorted results are the {SORT_POOL} most relevant; offset + k must be "
                         f"at most {SORT_POOL}")
    query = Query(
        text=params.text, image=image, alpha=params.alpha,  # type: ignore[arg-type]
        filters=params.filters, exact=params.exact,
        k=SORT_POOL if sorted_pool else params.k, offset=0 if sorted_pool else params.offset,
    )
    result = view.searcher.search(query)
    if not sorted_pool:
        return result
    hits = sorted(result.hits, key=sort_key(params.sort))[params.offset : params.offset + params.k]
    return SearchResult(hits, result.candidates, result.timings, result.filters)


@bp.post("/search")
@require_scope("search", anonymous_ok=True)
def search() -> Any:
    """Search the catalog; see the OpenAPI document for the request and response."""
    st = state()
    started = time.perf_counter()
    raw, upload = read_search_body(st.api.max_upload_bytes)
    params = parse_search(raw, MAX_K, MAX_OFFSET, MAX_TEXT, form=request.mimetype != "application/json")
    if params.exact and "admin" not in principal().scopes:
        # Brute force over the whole collection is a diagnostic, and a cheap way to load the server.
        raise Forbidden("exact search needs a token with the 'admin' scope")
    if upload is not None and params.image_url:
        raise BadRequest("send an image file or an image_url, not both")
    if not params.text and upload is None and not params.image_url:
        raise BadRequest("a search needs text, an image, or both")
    timings: dict[str, float] = {}
    image = None
    if params.image_url:
        t = time.perf_counter()
        upload = fetch_image_bytes(params.image_url, st.fetch_policy, cancelled=client_left(request))
        timings["fetch_ms"] = (time.perf_counter() - t) * 1000
    if upload is not None:
        image = accept_image(upload, st.api.max_upload_bytes)
    view = st.view()
    result = _run(view, params, image)
    timings.update(result.timings)
    body = publish_results(result.to_json())
    total = None
    if params.facets:
        t = time.perf_counter()
        body["facets"], total = st.facets.counts(view.store, result.filters)
        timings["facets_ms"] = (time.perf_counter() - t) * 1000
    returned = len(result.hits)
    next_offset = params.offset + params.k
    last = MAX_OFFSET if params.sort == "relevance" else SORT_POOL - 1
    more = returned == params.k and next_offset <= last and (total is None or next_offset < total)
    body["page"] = {"k": params.k, "offset": params.offset, "returned": returned,
                    "next_offset": next_offset if more else None, "total_matching": total}
    body["sort"] = params.sort
    body["model"] = view.encoder.model_id
    timings["total_ms"] = (time.perf_counter() - started) * 1000
    body["timings"] = {k: round(v, 3) for k, v in timings.items()}
    st.metrics.observe_timings(timings)
    note_search(params.text, image is not None, params.offset,
                total if total is not None else returned, timings)
    return jsonify(body)
