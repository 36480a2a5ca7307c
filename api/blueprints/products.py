"""GET /products/{id}, /products/{id}/similar and /products/{id}/complete-the-look."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, jsonify, request, send_file

from api.auth import require_scope
from api.context import AppState, state
from api.errors import BadRequest
from api.params import as_filters, as_whole
from api.products_json import is_remote, public_product, publish_results
from indexer import NotFoundError
from indexer.media import sniff
from indexer.search import SearchPage, SimilarRequest

bp = Blueprint("products", __name__)

MAX_ID = 100


def _check_id(product_id: str) -> str:
    if len(product_id) > MAX_ID or not product_id.isprintable():
        raise BadRequest(f"a product id is at most {MAX_ID} printable characters")
    return product_id


def _only(allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(request.args) - set(allowed))
    if unknown:
        raise BadRequest(f"unknown parameter(s) {', '.join(unknown)}; this endpoint takes "
                         f"{', '.join(allowed) or 'none'}")


@bp.get("/products/<product_id>")
@require_scope("search", anonymous_ok=True)
def get_product(product_id: str) -> Any:
    """One product as stored."""
    _only(())
    found = state().view().store.get([_check_id(product_id)])
    if not found:
        raise NotFoundError(f"no product with id {product_id!r}")
    return jsonify({"product": public_product(found[0].payload)})


def similar_params(product_id: str, extra: tuple[str, ...] = ()) -> SimilarRequest:
    """The similar-items request of this request's parameters; ``extra`` names other parameters
    the endpoint takes (read by the caller)."""
    _only(("by", "k", "offset", "filters", *extra))
    return SimilarRequest(
        product_id=product_id, by=request.args.get("by", "image"),
        k=as_whole("k", request.args.get("k", "10")),
        offset=as_whole("offset", request.args.get("offset", "0")),
        filters=as_filters(request.args.get("filters")),
    )


def similar_json(st: AppState, found: SearchPage, product_id: str, by: str) -> dict[str, Any]:
    """The JSON body of a similar-items answer (both endpoints), its timings observed."""
    st.metrics.observe_timings(found.timings)
    body = publish_results(found.result.to_json())
    body["anchor"] = product_id
    body["by"] = by
    body["page"] = {"k": found.page.k, "offset": found.page.offset, "returned": found.page.returned}
    return body


@bp.get("/products/<product_id>/similar")
@require_scope("search", anonymous_ok=True)
def similar(product_id: str) -> Any:
    """Products like this one by image, text or both, honouring filters."""
    st = state()
    found = st.search_service().similar(similar_params(_check_id(product_id)))
    return jsonify(similar_json(st, found, product_id, request.args.get("by", "image")))


@bp.get("/products/<product_id>/complete-the-look")
@require_scope("search", anonymous_ok=True)
def complete(product_id: str) -> Any:
    """One suggestion per complementary slot, each with the reason it was chosen."""
    _only(())
    anchor, suggestions, note = state().search_service().complete_the_look(_check_id(product_id))
    body: dict[str, Any] = {
        "anchor": public_product(anchor.to_payload()),
        "suggestions": [{**s.to_json(), "product": public_product(s.product.to_payload())}
                        for s in suggestions],
    }
    if note:
        body["note"] = note
    return jsonify(body)


@bp.get("/products/<product_id>/image")
@require_scope("search", anonymous_ok=True)
def image(product_id: str) -> Any:
    """The product photo, when the catalog keeps it on this server."""
    _only(())
    found = state().view().store.get([_check_id(product_id)])
    if not found:
        raise NotFoundError(f"no product with id {product_id!r}")
    source = str(found[0].payload.get("image", ""))
    path = Path(source)
    # Only paths the catalog import stored are served; they never come from a request.
    if not source or is_remote(source) or not path.is_file():
        raise NotFoundError(f"product {product_id!r} has no image on this server")
    with path.open("rb") as handle:
        kind = sniff(handle.read(16))
    if kind is None:
        raise NotFoundError(f"product {product_id!r} has no servable image")
    return send_file(path, mimetype=f"image/{kind}", max_age=86400)
