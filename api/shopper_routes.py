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
from dataclasses import replace
from typing import Any, TypeVar

import redis
from flask import Blueprint, Response, g, jsonify, request

from api.auth import principal, require_scope
from api.bodies import json_body
from api.context import state
from api.errors import BadRequest, Forbidden, ServiceUnavailable, Unauthorized, UnsupportedMediaType
from api.merch import FIELDS as MERCH_FIELDS
from api.merch import prepare
from api.params import as_bool
from api.products_json import public_product
from api.search_io import answer, check_id, read_search, similar_json, similar_params
from api.shopper import COOKIE, COOKIE_MAX_AGE_S, HEADER, ShopperStore, new_anonymous_id, valid_id
from indexer import NotFoundError
from indexer.search import SearchPage, SearchRequest, SearchService
from indexer.search.taste import TASTE_WEIGHT, Taste

bp = Blueprint("shopper", __name__)
T = TypeVar("T")

ANON_ID_LEN = (16, 64)


# -- identity --------------------------------------------------------------------------------

def shopper_id() -> str:
    """This request's shopper key (computed once per request); a new cookie is set when needed.

    Raises:
        Unauthorized: X-Vitrine-Shopper without a storefront token.
        BadRequest: an X-Vitrine-Shopper value that is not an id.
    """
    if "vitrine_shopper" in g:
        return g.vitrine_shopper
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
    st = state()
    return ShopperStore(st.redis, shopper_id(), st.api.profile_ttl_s, st.key_prefix)


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


def _require_product(product_id: str) -> None:
    if not state().view().store.get([check_id(product_id)]):
        raise NotFoundError(f"no product with id {product_id!r}")


def _json_object() -> dict[str, Any]:
    if request.mimetype != "application/json":
        raise UnsupportedMediaType("send a JSON body (Content-Type: application/json)")
    body = json_body()
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    return body


def _taste(service: SearchService, override: Any) -> tuple[bool, Taste | None]:
    """(taste wanted, the taste vector when wanted and known)."""
    profile_taste = _read(lambda p: p.taste_enabled(), True)
    wanted = profile_taste if override is None or override == "" else as_bool("taste", override)
    if not wanted:
        return False, None
    profile = _profile()
    nothing: tuple[list[tuple[str, float]], list[tuple[str, float]]] = ([], [])
    favorites, clicks = state().guard.call(
        "shopper", lambda _r: (profile.favorites(), profile.clicks()), nothing)
    return True, service.taste(favorites, clicks)


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
    rows: list[tuple[str, float]] = _read(lambda p: p.favorites(), [])
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
    removed = _write(lambda p: p.remove_favorite(check_id(product_id)))
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
    entries: list[dict[str, Any]] = _read(lambda p: p.history(), [])
    return jsonify({"history": entries, "count": len(entries)})


@bp.delete("/shopper/history")
@require_scope("search", anonymous_ok=True)
def clear_history() -> Any:
    return jsonify({"cleared": _write(lambda p: p.clear_history())})


# -- personalised search ---------------------------------------------------------------------

def _history_entry(query: SearchRequest, found: SearchPage) -> dict[str, Any]:
    matching = found.page.total_matching
    return {"text": query.text, "image": found.had_image, "alpha": query.alpha,
            "filters": query.filters.to_json(implied=False), "sort": query.sort,
            "results": matching if matching is not None else found.page.returned, "at": int(time.time())}


@bp.post("/shopper/search")
@bp.post("/shopper/search/photo")  # the multipart operation of the OpenAPI document (see /search/photo)
@require_scope("search", anonymous_ok=True)
def search() -> Any:
    """POST /search plus the shopper's taste term (unless off) and a line in their history.

    Personalised or sorted results are ranked within the POOL most relevant hits, so
    offset + k is at most POOL for them.
    """
    st = state()
    started = time.perf_counter()
    extras, query = read_search(st, ("taste", *MERCH_FIELDS))
    if query.exact:
        raise Forbidden("exact search is an admin diagnostic of POST /api/v1/search")
    service = st.search_service()
    wanted, taste = _taste(service, extras["taste"])
    query = prepare(replace(query, taste=taste, personal=True), extras)  # api/merch.py
    found = service.search(query)
    body = answer(st, found, query, service.model_id, started)
    body["personalization"] = _personalization(wanted, taste)
    # A caller without our cookie (a script, a first visit) gets no history: no profile is
    # made for a request that would never come back to it.
    if query.offset == 0 and not g.get("vitrine_new_cookie"):
        entry = _history_entry(query, found)
        state().guard.call("shopper", lambda _r: _profile().record_search(entry), None)
    return jsonify(body)


@bp.get("/shopper/products/<product_id>/similar")
@require_scope("search", anonymous_ok=True)
def similar(product_id: str) -> Any:
    """Products like this one (by image, text or both), with the shopper's taste term."""
    st = state()
    service = st.search_service()
    similar_request = similar_params(check_id(product_id), ("taste",))
    wanted, taste = _taste(service, request.args.get("taste"))
    found = service.similar(replace(similar_request, taste=taste))
    body = similar_json(st, found, product_id, similar_request.by)
    body["personalization"] = _personalization(wanted, taste)
    return jsonify(body)
