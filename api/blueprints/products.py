"""GET /products/{id}, /products/{id}/similar and /products/{id}/complete-the-look."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, redirect, request, send_file

from api.auth import require_scope
from api.context import state
from api.products_json import is_remote, public_product
from api.search_io import check_id, only, similar_json, similar_params
from indexer import NotFoundError
from indexer.media import sniff
from settings.queue import QueueSettings

bp = Blueprint("products", __name__)

@bp.get("/products/<product_id>")
@require_scope("search", anonymous_ok=True)
def get_product(product_id: str) -> Any:
    """One product as stored."""
    only(())
    found = state().view().store.get([check_id(product_id)])
    if not found:
        raise NotFoundError(f"no product with id {product_id!r}")
    return jsonify({"product": public_product(found[0].payload)})


@bp.get("/products/<product_id>/similar")
@require_scope("search", anonymous_ok=True)
def similar(product_id: str) -> Any:
    """Products like this one by image, text or both, honouring filters."""
    st = state()
    found = st.search_service().similar(similar_params(check_id(product_id)))
    return jsonify(similar_json(st, found, product_id, request.args.get("by", "image")))


@bp.get("/products/<product_id>/complete-the-look")
@require_scope("search", anonymous_ok=True)
def complete(product_id: str) -> Any:
    """One suggestion per complementary slot, each with the reason it was chosen."""
    only(())
    anchor, suggestions, note = state().search_service().complete_the_look(check_id(product_id))
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
    only(())
    st = state()
    found = st.view().store.get([check_id(product_id)])
    if not found:
        raise NotFoundError(f"no product with id {product_id!r}")
    source = str(found[0].payload.get("image", ""))
    if is_remote(source):
        # A feed's product: its photo stays on the storefront's CDN, where the shopper's
        # browser fetches it (proxying it here would make this server a fetcher for anyone).
        return redirect(source, code=302)
    # Only files in the media dir or a folder a catalog import registered are served, never
    # whatever path a payload names (indexer/image_dirs.py); refusals name no server path.
    media_dir = QueueSettings.from_env(collection=st.settings.collection).media_dir
    handle = st.image_dirs.open(source, media_dir)
    if handle is None:
        raise NotFoundError(f"product {product_id!r} has no image on this server")
    kind = sniff(handle.read(16))
    if kind is None:
        handle.close()
        raise NotFoundError(f"product {product_id!r} has no servable image")
    handle.seek(0)
    return send_file(handle, mimetype=f"image/{kind}", max_age=86400)
