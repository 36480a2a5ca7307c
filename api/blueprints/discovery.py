"""Discovery: GET /suggest (search-as-you-type), POST /recommend (more like this, less like
that) and GET /products/{id}/also-clicked (shoppers also clicked).

``register_discovery(app, prefix)`` mounts them and the hook that keeps past queries with
their distinct shoppers (api/query_log.py): the one line the app's wiring needs.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request

from api.analytics import IMAGE_QUERY
from api.auth import require_scope
from api.coclicks import CoClickCache
from api.context import EXTENSION, state
from api.errors import ApiError, BadRequest
from api.params import as_filters, as_int, as_text
from api.products_json import public_product, publish_results
from api.query_log import QueryLog
from api.search_io import check_id, only, read_search_body
from api.shopper import COOKIE, HEADER
from api.shopper_routes import shopper_id
from api.suggestions import Suggestions
from indexer import NotFoundError
from indexer.media import accept_image
from indexer.search import SearchRequest, SimilarRequest
from indexer.search.model import MAX_K
from indexer.search.recommend import MAX_EXAMPLES, RecommendRequest, recommend
from indexer.search.suggest import MAX_SUGGESTIONS

bp = Blueprint("discovery", __name__)
KEY = "vitrine_discovery"
MAX_TYPED = 100


@dataclass
class Discovery:
    queries: QueryLog
    suggestions: Suggestions
    coclicks: CoClickCache
    min_shoppers: int


def discovery() -> Discovery:
    found: Discovery = current_app.extensions[KEY]
    return found


@bp.get("/suggest")
@require_scope("search", anonymous_ok=True)
def suggest() -> Any:
    """Up to ``k`` completions of ``q``, each with its kind and product count."""
    only(("q", "k"))
    typed = request.args.get("q", "")
    if len(typed) > MAX_TYPED:
        raise BadRequest(f"q is at most {MAX_TYPED} characters")
    k = as_int("k", request.args.get("k", str(MAX_SUGGESTIONS)), 1, MAX_SUGGESTIONS)
    st = state()
    started = time.perf_counter()
    index = discovery().suggestions.index(st.settings.collection, st.view().searcher.facts)
    found = index.lookup(typed, k)
    return jsonify({"q": typed, "collection": st.settings.collection,
                    "suggestions": [s.to_json() for s in found],
                    "timings": {"suggest_ms": round((time.perf_counter() - started) * 1000, 3)}})


@bp.get("/suggest/preview")
@require_scope("search", anonymous_ok=True)
def suggest_preview() -> Any:
    """The top ``k`` products a suggestion would find (thumbnails under the search box): the
    search itself, without facets, and not counted as a shopper's search."""
    only(("q", "k"))
    text = as_text("q", request.args.get("q"), MAX_TYPED)
    if not text:
        raise BadRequest("give q, the suggestion's text")
    k = as_int("k", request.args.get("k", "3"), 1, 6)
    found = state().search_service().search(SearchRequest(text=text, k=k, facets=False))
    products = [public_product(h.product.to_payload()) for h in found.result.hits]
    return jsonify({"q": text, "results": [{"id": p["id"], "title": p["title"], "image": p["image"]}
                                           for p in products]})


def _ids(raw: dict[str, Any], name: str, form: bool) -> tuple[str, ...]:
    value = raw.get(name)
    if value is None or value == "":
        return ()
    if isinstance(value, str) and form:  # a form field: JSON text or ids separated by commas
        try:
            value = json.loads(value) if value.lstrip().startswith("[") else value.split(",")
        except ValueError as e:
            raise BadRequest(f"{name} must be a list of product ids") from e
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise BadRequest(f"{name} must be a list of product ids")
    if len(value) > MAX_EXAMPLES:
        raise BadRequest(f"{name} lists at most {MAX_EXAMPLES} products")
    return tuple(check_id(v.strip()) for v in value)


@bp.post("/recommend")
@require_scope("search", anonymous_ok=True)
def recommend_view() -> Any:
    """Products like the positive examples (ids, a photo, text) and unlike the negative ones."""
    st = state()
    started = time.perf_counter()
    raw, upload = read_search_body(st.api.max_upload_bytes)
    unknown = sorted(str(name) for name in set(raw) - {"positive", "negative", "text", "filters", "k"})
    if unknown:
        raise BadRequest(f"unknown field(s) {', '.join(unknown)}; send positive, negative, text, filters, k")
    form = request.mimetype != "application/json"
    req = RecommendRequest(
        positive=_ids(raw, "positive", form), negative=_ids(raw, "negative", form),
        text=as_text("text", raw.get("text"), 500),
        image=accept_image(upload, st.api.max_upload_bytes) if upload is not None else None,
        filters=as_filters(raw.get("filters")),
        k=as_int("k", raw.get("k", 10), 1, MAX_K),
    )
    view = st.view()
    hits = recommend(view.store, view.searcher.query_encoder, req)
    body = publish_results({"results": [h.to_json() for h in hits]})
    body.update(positive=list(req.positive), negative=list(req.negative), strategy="best_score",
                timings={"total_ms": round((time.perf_counter() - started) * 1000, 3)})
    return jsonify(body)


@bp.get("/products/<product_id>/also-clicked")
@require_scope("search", anonymous_ok=True)
def also_clicked(product_id: str) -> Any:
    """Products the shoppers who opened this one also opened (by how many of them), topped up
    with similar items when the clicks are too few."""
    only(("k",))
    k = as_int("k", request.args.get("k", "8"), 1, 50)
    product_id = check_id(product_id)
    st = state()
    service = st.search_service()
    if not service.store.get([product_id]):
        raise NotFoundError(f"no product with id {product_id!r}")
    d = discovery()
    counted = d.coclicks.get().also(product_id, k, d.min_shoppers)
    found = {p.product_id: p for p in service.store.get([pid for pid, _ in counted])}
    results = [{"id": pid, "source": "co_click", "shoppers": n, "product": found[pid].payload}
               for pid, n in counted if pid in found]
    if len(results) < k:
        taken = {r["id"] for r in results} | {product_id}
        similar = service.similar(SimilarRequest(product_id=product_id, k=k + len(taken)))
        results += [{"id": h.id, "source": "similar", "score": round(h.score, 6),
                     "product": h.product.to_payload()}
                    for h in similar.result.hits if h.id not in taken][: k - len(results)]
    body = publish_results({"results": results})
    body["anchor"] = product_id
    return jsonify(body)


def _note_query(response: Response) -> Response:
    """after_request: a text search's first page adds its shopper to the query's count."""
    event = g.get("vitrine_search_event")
    if event is None or response.status_code != 200 or not event.query or IMAGE_QUERY in event.query:
        return response
    if not request.cookies.get(COOKIE) and not request.headers.get(HEADER):
        # Only shoppers known by their cookie or their storefront's id count: a caller without
        # either (a storefront's backend, a script) would count as a new shopper every time.
        return response
    try:
        who = shopper_id()
    except ApiError:
        return response  # an unusable shopper header: the search answered, the count can skip it
    discovery().queries.record(state().settings.collection, event.query, who, event.results)
    return response


def register_discovery(app: Flask, prefix: str) -> None:
    st = app.extensions[EXTENSION]
    queries = QueryLog(st.guard)
    app.extensions[KEY] = Discovery(
        queries=queries,
        suggestions=Suggestions(queries, st.api.suggest_min_shoppers, st.api.suggest_refresh_s),
        coclicks=CoClickCache(st.guard), min_shoppers=st.api.suggest_min_shoppers)
    app.register_blueprint(bp, url_prefix=prefix)
    # Suggestions answer every keystroke: the search limits (30/minute anonymous) would blank
    # the box mid-word, so they get a limit of their own, generous for typing but finite.
    view = app.view_functions["discovery.suggest"]
    app.view_functions["discovery.suggest"] = st.limiter.limit(
        st.api.suggest_rate_limit, override_defaults=True)(view)
    # Registered after the analytics hook, so it runs before it (Flask runs after_request
    # hooks last-registered first) and still sees the search's event.
    app.after_request(_note_query)
