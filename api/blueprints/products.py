"""GET /products/{id}, /products/{id}/similar and /products/{id}/complete-the-look."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, jsonify, request, send_file

from api.auth import require_scope
from api.context import state
from api.errors import BadRequest
from api.outfits import complete_the_look
from api.params import as_filters, as_int
from api.products_json import is_remote, public_product, publish_results
from indexer import FilterSpec, NotFoundError
from indexer.media import sniff
from indexer.search import MAX_K, MAX_OFFSET

bp = Blueprint("products", __name__)

MAX_ID = 100
SIMILAR_BY = ("image", "text", "both")


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


def similar_params(extra: tuple[str, ...] = ()) -> tuple[str, int, int, FilterSpec]:
    """(by, k, offset, filters) of a similar-items request; ``extra`` names other parameters
    the endpoint takes (read by the caller)."""
    _only(("by", "k", "offset", "filters", *extra))
    by = request.args.get("by", "image")
    if by not in SIMILAR_BY:
        raise BadRequest(f"by must be one of {', '.join(SIMILAR_BY)}, got {by!r}")
    k = as_int("k", request.args.get("k", "10"), 1, MAX_K)
    offset = as_int("offset", request.args.get("offset", "0"), 0, MAX_OFFSET)
    return by, k, offset, as_filters(request.args.get("filters"))


@bp.get("/products/<product_id>/similar")
@require_scope("search", anonymous_ok=True)
def similar(product_id: str) -> Any:
    """Products like this one by image, text or both, honouring filters."""
    by, k, offset, filters = similar_params()
    st = state()
    result = st.view().searcher.similar(_check_id(product_id), by=by, filters=filters, k=k, offset=offset)  # type: ignore[arg-type]
    st.metrics.observe_timings(result.timings)
    body = publish_results(result.to_json())
    body["anchor"] = product_id
    body["by"] = by
    body["page"] = {"k": k, "offset": offset, "returned": len(result.hits)}
    return jsonify(body)


@bp.get("/products/<product_id>/complete-the-look")
@require_scope("search", anonymous_ok=True)
def complete(product_id: str) -> Any:
    """One suggestion per complementary slot, each with the reason it was chosen."""
    _only(())
    anchor, suggestions, note = complete_the_look(state().view().store, _check_id(product_id))
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
