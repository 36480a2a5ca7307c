"""The Product schema and the payload fields that filters and facets use."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, fields
from typing import Any, Literal

FieldKind = Literal["keyword", "integer", "float", "bool"]

# Every field a filter may name, with the Qdrant payload index it gets.
FILTER_FIELDS: dict[str, FieldKind] = {
    "gender": "keyword",
    "category": "keyword",
    "sub_category": "keyword",
    "article_type": "keyword",
    "colour": "keyword",
    "season": "keyword",
    "occasion": "keyword",
    "brand": "keyword",
    "year": "integer",
    "price": "float",
    "currency": "keyword",  # ISO 4217; a price filter over several currencies must name one
    "in_stock": "bool",  # any variant available; out-of-stock products are hidden from search
}
# Attributes the ingestion pipeline may predict when a product lacks them; a prediction is
# stored beside the field as ``<field>_predicted`` with ``<field>_confidence``.
TAGGED_FIELDS = ("occasion", "colour", "sub_category")
PREDICTED_SUFFIX = "_predicted"
CONFIDENCE_SUFFIX = "_confidence"

# A true/false filter field is matched on a keyword twin: Qdrant Edge's Python binding takes a
# boolean match value for the integer 0 or 1, which never equals a stored boolean.
BOOL_TWINS = {"in_stock": "availability"}
TWIN_VALUES = {True: "in_stock", False: "out_of_stock"}

# Payload indexes: the filter fields, their predicted twins, and the ingestion version.
INDEXED_FIELDS: dict[str, FieldKind] = {
    **{name: kind for name, kind in FILTER_FIELDS.items() if kind != "bool"},
    **{twin: "keyword" for twin in BOOL_TWINS.values()},
    **{f"{name}{PREDICTED_SUFFIX}": "keyword" for name in TAGGED_FIELDS},
    "ingest_seq": "integer",
}
KEYWORD_FIELDS = tuple(name for name, kind in FILTER_FIELDS.items() if kind == "keyword")
NUMERIC_FIELDS = tuple(name for name, kind in FILTER_FIELDS.items() if kind in ("integer", "float"))

# Stable namespace so that a product id maps to the same point id on every machine.
POINT_NAMESPACE = uuid.UUID("6f1c6d1e-1f5e-5a4b-9d3c-76697472696e")


def point_id(product_id: str) -> str:
    """The Qdrant point id of a product: uuid5 of its id, so re-ingesting overwrites."""
    return str(uuid.uuid5(POINT_NAMESPACE, str(product_id)))


@dataclass(frozen=True, kw_only=True)
class Product:
    """One catalog product, with the field names every interface uses."""

    id: str
    title: str
    image: str  # where the photo is: a local path (CSV/JSONL import) or a URL
    # The maker: a feed's own (Shopify ``vendor``, Merchant Center ``brand``) or a catalog's
    # ``brand`` column, else derived from the title on import (indexer/catalog.py).
    brand: str | None = None
    gender: str | None = None
    category: str | None = None
    sub_category: str | None = None
    article_type: str | None = None
    product_type: str | None = None  # a feed's own category words (indexer/categories.py)
    colour: str | None = None
    season: str | None = None
    occasion: str | None = None
    year: int | None = None
    price: float | None = None  # what a shopper pays: the sale price while there is one
    currency: str | None = None  # ISO 4217 code of every amount here
    list_price: float | None = None  # the regular price, kept when a sale price applies
    sale_price: float | None = None
    # Availability: ``in_stock`` False hides the product from search unless asked for
    # (``include_out_of_stock``); None (a catalog without stock data) counts as available.
    in_stock: bool | None = None
    stock: int | None = None
    # The variants of one product (a feed's item_group_id or Shopify variants): each with some
    # of id, size, colour, price, sale_price, in_stock, image (workers/variants.py).
    variants: list[dict[str, Any]] | None = None

    def to_payload(self) -> dict[str, Any]:
        """The product as a Qdrant payload (missing values are left out, not stored as null)."""
        # Plain attribute reads: dataclasses.asdict deep-copies every value, which cost ~0.1 ms
        # a product, twice per search result.
        payload = {k: v for k in PRODUCT_FIELDS if (v := getattr(self, k)) is not None}
        colours = list(dict.fromkeys(v["colour"] for v in self.variants or () if v.get("colour")))
        if self.colour is None and colours:
            # Several colours: a colour filter (and its facet) matches any of them.
            payload["colour"] = colours
        return {**payload, **bool_twins(payload)}

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Product:
        """Rebuild a product from a stored payload, ignoring bookkeeping keys."""
        fields = {k: v for k, v in payload.items() if k in _PRODUCT_FIELD_SET}
        if isinstance(fields.get("colour"), list):  # the variants' colours, rebuilt by to_payload
            fields["colour"] = None
        return cls(**fields)


PRODUCT_FIELDS = tuple(f.name for f in fields(Product))
_PRODUCT_FIELD_SET = frozenset(PRODUCT_FIELDS)


def bool_twins(values: dict[str, Any]) -> dict[str, str]:
    """The keyword twins (``availability``) of the true/false fields among ``values``."""
    return {twin: TWIN_VALUES[bool(values[name])] for name, twin in BOOL_TWINS.items()
            if values.get(name) is not None}
