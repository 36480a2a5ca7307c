"""Reading search requests and writing search answers, shared by the views that search
(POST /search, POST /shopper/search, both similar-items endpoints): the views stay short and
no blueprint imports another."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from flask import request

from api.analytics import note_search
from api.bodies import json_body
from api.context import AppState
from api.errors import BadRequest, UnsupportedMediaType
from api.merch import finish
from api.params import as_filters, as_whole, parse_search
from api.products_json import publish_results
from indexer.filters import hide_out_of_stock
from indexer.search import Page, SearchPage, SearchRequest, SimilarRequest

MAX_ID = 100


def check_id(product_id: str) -> str:
    if len(product_id) > MAX_ID or not product_id.isprintable():
        raise BadRequest(f"a product id is at most {MAX_ID} printable characters")
    return product_id


def only(allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(request.args) - set(allowed))
    if unknown:
        raise BadRequest(f"unknown parameter(s) {', '.join(unknown)}; this endpoint takes "
                         f"{', '.join(allowed) or 'none'}")


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
    body.update(found.reading_json())
    body["sort"] = request_.sort
    body["model"] = model_id
    timings = {**found.timings, "total_ms": (time.perf_counter() - started) * 1000}
    body["timings"] = {k: round(v, 3) for k, v in timings.items()}
    st.metrics.observe_timings(timings)
    finish(st, body, found, request_)  # query_id, applied_rules, experiment (api/merch.py)
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


def similar_params(product_id: str, extra: tuple[str, ...] = ()) -> SimilarRequest:
    """The similar-items request of this request's parameters; ``extra`` names other parameters
    the endpoint takes (read by the caller)."""
    only(("by", "k", "offset", "filters", *extra))
    return SimilarRequest(
        product_id=product_id, by=request.args.get("by", "image"),
        k=as_whole("k", request.args.get("k", "10")),
        offset=as_whole("offset", request.args.get("offset", "0")),
        filters=hide_out_of_stock(as_filters(request.args.get("filters"))),
    )


def similar_json(st: AppState, found: SearchPage, product_id: str, by: str) -> dict[str, Any]:
    """The JSON body of a similar-items answer (both endpoints), its timings observed."""
    st.metrics.observe_timings(found.timings)
    body = publish_results(found.result.to_json())
    body["anchor"] = product_id
    body["by"] = by
    body["page"] = {"k": found.page.k, "offset": found.page.offset, "returned": found.page.returned}
    return body
