"""Products as the API shows them: bookkeeping removed, local image paths replaced by
the API's own image URL (a storefront cannot use a path on this server, and should
not learn it)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from indexer import Product

IMAGE_ROUTE = "/api/v1/products/{}/image"


def is_remote(image: str) -> bool:
    return image.startswith(("http://", "https://"))


def public_product(payload: dict[str, Any]) -> dict[str, Any]:
    """A stored payload (or ``Product.to_payload()``) as the API returns it."""
    product = Product.from_payload(payload).to_payload()
    image = str(product.get("image", ""))
    if image and not is_remote(image):
        product["image"] = IMAGE_ROUTE.format(quote(str(product["id"]), safe=""))
    return product


def publish_results(body: dict[str, Any]) -> dict[str, Any]:
    """Rewrite the products inside a ``SearchResult.to_json()`` body in place."""
    colours = body.get("filters", {}).get("colour") or []
    for result in body.get("results", []):
        product = public_product(result["product"])
        entry = result.get("variant")
        result["product"] = as_variant(product, entry) if entry else show_variant(product, colours)
    return body


def as_variant(product: dict[str, Any], entry: dict[str, Any]) -> dict[str, Any]:
    """An ungrouped hit's product: the variant's own id, colour, size, price, stock and photo over
    its product's fields (the product's id stays ``id``: it is what the product routes take)."""
    shown = {k: v for k, v in entry.items() if k != "id"}
    if "in_stock" in shown:
        shown["availability"] = "in_stock" if shown["in_stock"] else "out_of_stock"
    return {**product, **shown, "variant": entry.get("id")}


def show_variant(product: dict[str, Any], colours: list[str]) -> dict[str, Any]:
    """Under a colour filter, a product with variants shows the photo of its first variant in
    one of those colours (the product matched through it)."""
    wanted = {str(c).casefold() for c in colours}
    for entry in product.get("variants") or () if wanted else ():
        if str(entry.get("colour", "")).casefold() in wanted and entry.get("image"):
            product["image"] = entry["image"]
            product["variant"] = entry.get("id")
            break
    return product
