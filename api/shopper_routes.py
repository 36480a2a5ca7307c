"""Shopper endpoints: profile, favourites, clicks, history, and personalised search.

GET    /api/v1/shopper                          who am I, taste on/off and what it is built from
PUT    /api/v1/shopper/preferences              {"taste": true|false}
GET    /api/v1/shopper/favorites                favourite products, newest first
PUT    /api/v1/shopper/favorites/{id}           add a favourite
DELETE /api/v1/shopper/favorites/{id}           remove it
POST   /api/v1/shopper/clicks                   {"product_id": ...}: the shopper opened a product
GET    /api/v1/shopper/history                  past searches, newest first
DELETE /api/v1/shopper/history                  forget them
POST   /api/v1/shopper/search                   POST /search (same body) + the taste term + history
GET    /api/v1/shopper/products/{id}/similar    /products/{id}/similar + the taste term

The shopper is the ``vitrine_shopper`` cookie, or ``X-Vitrine-Shopper`` sent with a
storefront's bearer token (see ``api.shopper``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

import redis
from flask import Blueprint, Response, g, jsonify, request

from api.analytics import note_search
from api.auth import principal, require_scope
from api.blueprints.products import similar_params
from api.blueprints.search import read_search_body, sort_key
from api.bodies import json_body
from api.body_guard import client_left
from api.context import state
from api.errors import BadRequest, Forbidden, ServiceUnavailable, Unauthorized, UnsupportedMediaType
from api.params import SearchParams, as_bool, parse_search
from api.products_json import public_product, publish_results
from api.shopper import COOKIE, COOKIE_MAX_AGE_S, HEADER, ShopperStore, new_anonymous_id, valid_id
from api.taste import POOL, TASTE_WEIGHT, Taste, apply_taste, build_taste
from indexer import NotFoundError, Query, SearchResult
from indexer.media import accept_image, fetch_image_bytes
from indexer.search import MAX_K, MAX_OFFSET, MAX_TEXT

bp = Blueprint("shopper", __name__)
T = TypeVar("T")

MAX_ID = 100
ANON_ID_LEN = (16, 64)


# -- identity --------------------------------------------------------------------------------

def shopper_id() -> str:
    """This request's shopper key (computed once per request); a new cookie is set when needed.

    Raises:
        Unauthorized: X-Vitrine-Shopper without a storefront token.
        BadRequest: an X-Vitrine-Shopper value that is not an id.
    """
    if "vitrine_shopper" in g:
        return g.vitrine_shopper  # type: ignore[no-any-return]
    header = request.headers.get(HEADER)
    if header is not None:
        who = principal()
        if who.anonymous:
            raise Unauthorized(f"{HEADER} is for storefronts: send it with the storefront's bearer token")
        if not valid_id(header):
            raise BadRequest(f"{HEADER} must be 1-128 characters of letters, digits and . _ : @ -")
        sid = f"c:{who.subject}:{header}"
    else:
        cookie = request.cookies.get(COOKIE, "")
        low, high = ANON_ID_LEN
        if not (low <= len(cookie) <= high and cookie.replace("-", "").replace("_", "").isalnum()):
            cookie = new_anonymous_id()
            g.vitrine_new_cookie = cookie
        sid = f"a:{cookie}"
    g.vitrine_shopper = sid
    return sid


def set_shopper_cookie(response: Response) -> Response:
    """after_request: hand a new anonymous shopper their cookie."""
    cookie = g.get("vitrine_new_cookie")
    if cookie:
        # Lax: sent on top-level navigation, not on cross-site POSTs (no CSRF on the profile).
        response.set_cookie(COOKIE, cookie, max_age=COOKIE_MAX_AGE_S, httponly=True, samesite="Lax",
                            secure=request.is_secure, path="/")
    return response


def _profile() -> ShopperStore:
    return ShopperStore(state().redis, shopper_id(), state().api.profile_ttl_s)


def _write(fn: Callable[[ShopperStore], T]) -> T:
    """A profile change: without Redis it cannot be kept, so say so (503) instead of pretending."""
    st = state()
    try:
        profile = _profile()
        result = fn(profile)
        profile.touch()
        return result
    except redis.RedisError as e:
        st.metrics.redis_errors.labels(operation="shopper").inc()
        raise ServiceUnavailable("shopper profiles are unavailable right now; try again shortly") from e


def _read(fn: Callable[[ShopperStore], T], default: T) -> T:
    """A profile read: without Redis the shopper simply looks new (search must keep working)."""
    profile = _profile()
    return state().guard.call("shopper", lambda _r: fn(profile), default)


def _check_id(product_id: str) -> str:
    if len(product_id) > MAX_ID or not product_id.isprintable():
        raise BadRequest(f"a product id is at most {MAX_ID} printable characters")
    return product_id


def _require_product(product_id: str) -> None:
    if not state().view().store.get([_check_id(product_id)]):
        raise NotFoundError(f"no product with id {product_id!r}")


def _json_object() -> dict[str, Any]:
    if request.mimetype != "application/json":
        raise UnsupportedMediaType("send a JSON body (Content-Type: application/json)")
    body = json_body()
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    return body


def _taste(profile_taste: bool, override: Any) -> tuple[bool, Taste | None]:
    """(taste wanted, the taste vector when wanted and known)."""
    wanted = profile_taste if override is None or override == "" else as_bool("taste", override)
    if not wanted:
        return False, None
    profile = _profile()
    favorites, clicks = state().guard.call(
        "shopper", lambda _r: (profile.favorites(), profile.clicks()), ([], []))
    return True, build_taste(state().view().store, favorites, clicks, time.time())


def _personalization(wanted: bool, taste: Taste | None) -> dict[str, Any]:
    return {"taste": taste is not None, "enabled": wanted, "weight": TASTE_WEIGHT if taste else 0.0,
            "favorites": taste.favorites if taste else 0, "clicks": taste.clicks if taste else 0}


# -- profile ---------------------------------------------------------------------------------

@bp.get("/shopper")
@require_scope("search", anonymous_ok=True)
def me() -> Any:
    """The shopper's id kind, taste switch and counts."""
    sid = shopper_id()
    enabled, favorites, clicks, history = _read(
        lambda p: (p.taste_enabled(), len(p.favorites()), len(p.clicks()), len(p.history())),
        (True, 0, 0, 0))
    return jsonify({"kind": "storefront" if sid.startswith("c:") else "anonymous",
                    "taste": enabled, "taste_weight": TASTE_WEIGHT,
                    "favorites": favorites, "clicks": clicks, "history": history,
                    "profiles_available": not state().guard.down})


@bp.put("/shopper/preferences")
@require_scope("search", anonymous_ok=True)
def preferences() -> Any:
    """Switch the personal taste term on or off."""
    body = _json_object()
    unknown = sorted(set(body) - {"taste"})
    if unknown or "taste" not in body or not isinstance(body["taste"], bool):
        raise BadRequest('send {"taste": true} or {"taste": false}')
    _write(lambda p: p.set_taste(body["taste"]))
    return jsonify({"taste": body["taste"]})


@bp.get("/shopper/favorites")
@require_scope("search", anonymous_ok=True)
def favorites() -> Any:
    """Favourite products, newest first (products removed from the catalog are left out)."""
    rows = _read(lambda p: p.favorites(), [])
    found = {p.product_id: p for p in state().view().store.get([pid for pid, _ in rows])} if rows else {}
    items = [{"id": pid, "added_at": int(at), "product": public_product(found[pid].payload)}
             for pid, at in rows if pid in found]
    return jsonify({"favorites": items, "count": len(items)})


@bp.put("/shopper/favorites/<product_id>")
@require_scope("search", anonymous_ok=True)
def add_favorite(product_id: str) -> Any:
    _require_product(product_id)
    added = _write(lambda p: p.add_favorite(product_id))
    return jsonify({"id": product_id, "favorite": True}), 201 if added else 200


@bp.delete("/shopper/favorites/<product_id>")
@require_scope("search", anonymous_ok=True)
def remove_favorite(product_id: str) -> Any:
    removed = _write(lambda p: p.remove_favorite(_check_id(product_id)))
    if not removed:
        raise NotFoundError(f"{product_id!r} is not a favourite")
    return jsonify({"id": product_id, "favorite": False})


@bp.post("/shopper/clicks")
@require_scope("search", anonymous_ok=True)
def click() -> Any:
    """Note that the shopper opened a product (it feeds the taste vector at half a favourite's weight)."""
    body = _json_object()
    product_id = body.get("product_id")
    if set(body) != {"product_id"} or not isinstance(product_id, str) or not product_id:
        raise BadRequest('send {"product_id": "<id>"}')
    _require_product(product_id)
    _write(lambda p: p.add_click(product_id))
    return jsonify({"id": product_id, "clicked": True}), 201


@bp.get("/shopper/history")
@require_scope("search", anonymous_ok=True)
def history() -> Any:
    entries = _read(lambda p: p.history(), [])
    return jsonify({"history": entries, "count": len(entries)})


@bp.delete("/shopper/history")
@require_scope("search", anonymous_ok=True)
def clear_history() -> Any:
    return jsonify({"cleared": _write(lambda p: p.clear_history())})


# -- personalised search ---------------------------------------------------------------------

def _history_entry(
    params: SearchParams, has_image: bool, matching: int | None, returned: int
) -> dict[str, Any]:
    return {"text": params.text, "image": has_image, "alpha": params.alpha,
            "filters": params.filters.to_json(), "sort": params.sort,
            "results": matching if matching is not None else returned, "at": int(time.time())}


@bp.post("/shopper/search")
@require_scope("search", anonymous_ok=True)
def search() -> Any:
    """POST /search plus the shopper's taste term (unless off) and a line in their history.

    Personalised or sorted results are ranked within the POOL most relevant hits, so
    offset + k is at most POOL for them.
    """
    st = state()
    started = time.perf_counter()
    raw, upload = read_search_body(st.api.max_upload_bytes)
    form = request.mimetype == "multipart/form-data"
    override = raw.pop("taste", None)
    params = parse_search(raw, MAX_K, MAX_OFFSET, MAX_TEXT, form=form)
    if params.exact:
        raise Forbidden("exact search is an admin diagnostic of POST /api/v1/search")
    if upload is not None and params.image_url:
        raise BadRequest("send an image file or an image_url, not both")
    if not params.text and upload is None and not params.image_url:
        raise BadRequest("a search needs text, an image, or both")
    timings: dict[str, float] = {}
    if params.image_url:
        t = time.perf_counter()
        upload = fetch_image_bytes(params.image_url, st.fetch_policy, cancelled=client_left(request))
        timings["fetch_ms"] = (time.perf_counter() - t) * 1000
    image = accept_image(upload, st.api.max_upload_bytes) if upload is not None else None
    wanted, taste = _taste(_read(lambda p: p.taste_enabled(), True), override)
    pooled = taste is not None or params.sort != "relevance"
    if pooled and params.offset + params.k > POOL:
        raise BadRequest(f"personalised and sorted results are the {POOL} most relevant; "
                         f"offset + k must be at most {POOL}")
    view = st.view()
    result = view.searcher.search(Query(
        text=params.text, image=image, alpha=params.alpha, filters=params.filters,  # type: ignore[arg-type]
        k=POOL if pooled else params.k, offset=0 if pooled else params.offset))
    timings.update(result.timings)
    hits = result.hits
    if taste is not None:
        t = time.perf_counter()
        hits = apply_taste(view.store, hits, taste)
        timings["taste_ms"] = (time.perf_counter() - t) * 1000
    if params.sort != "relevance":
        hits = sorted(hits, key=sort_key(params.sort))
    if pooled:
        hits = hits[params.offset : params.offset + params.k]
    body = publish_results(SearchResult(hits, result.candidates, result.timings, result.filters).to_json())
    total = None
    if params.facets:
        t = time.perf_counter()
        body["facets"], total = st.facets.counts(view.store, result.filters)
        timings["facets_ms"] = (time.perf_counter() - t) * 1000
    next_offset = params.offset + params.k
    limit = POOL if pooled else MAX_OFFSET
    more = len(hits) == params.k and next_offset <= limit and (total is None or next_offset < total)
    if pooled and next_offset >= POOL:
        more = False
    body["page"] = {"k": params.k, "offset": params.offset, "returned": len(hits),
                    "next_offset": next_offset if more else None, "total_matching": total}
    body["sort"] = params.sort
    body["model"] = view.encoder.model_id
    body["personalization"] = _personalization(wanted, taste)
    timings["total_ms"] = (time.perf_counter() - started) * 1000
    body["timings"] = {k: round(v, 3) for k, v in timings.items()}
    st.metrics.observe_timings(timings)
    note_search(params.text, image is not None, params.offset,
                total if total is not None else len(hits), timings)
    # A caller without our cookie (a script, a first visit) gets no history: no profile is
    # made for a request that would never come back to it.
    if params.offset == 0 and not g.get("vitrine_new_cookie"):
        entry = _history_entry(params, image is not None, total, len(hits))
        state().guard.call("shopper", lambda _r: _profile().record_search(entry), None)
    return jsonify(body)


@bp.get("/shopper/products/<product_id>/similar")
@require_scope("search", anonymous_ok=True)
def similar(product_id: str) -> Any:
    """Products like this one (by image, text or both), with the shopper's taste term."""
    by, k, offset, filters = similar_params(("taste",))
    wanted, taste = _taste(_read(lambda p: p.taste_enabled(), True), request.args.get("taste"))
    if taste is not None and offset + k > POOL:
        raise BadRequest(f"personalised results are the {POOL} most similar; "
                         f"offset + k must be at most {POOL}")
    st = state()
    searcher = st.view().searcher
    pid = _check_id(product_id)
    if taste is None:
        result = searcher.similar(pid, by=by, filters=filters, k=k, offset=offset)  # type: ignore[arg-type]
        hits = result.hits
    else:
        result = searcher.similar(pid, by=by, filters=filters, k=POOL - 1, offset=0)  # type: ignore[arg-type]
        hits = apply_taste(st.view().store, result.hits, taste)[offset : offset + k]
    st.metrics.observe_timings(result.timings)
    body = publish_results(SearchResult(hits, result.candidates, result.timings, result.filters).to_json())
    body["anchor"] = product_id
    body["by"] = by
    body["page"] = {"k": k, "offset": offset, "returned": len(hits)}
    body["personalization"] = _personalization(wanted, taste)
    return jsonify(body)
