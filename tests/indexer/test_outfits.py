"""The rules of complete-the-look, as pure functions and through the store."""

from __future__ import annotations

import pytest

from indexer import EdgeStore, NotFoundError, Product
from indexer.search.outfits import COMPLEMENTS, colours_go, complete_the_look, slot_of


def product(**fields: str) -> Product:
    return Product(id="1", title="t", image="x.jpg", **fields)


@pytest.mark.parametrize(("fields", "slot"), [
    ({"category": "Apparel", "sub_category": "Topwear"}, "top"),
    ({"category": "Apparel", "sub_category": "Bottomwear"}, "bottom"),
    ({"category": "Apparel", "sub_category": "Dress"}, "dress"),
    ({"category": "Footwear", "sub_category": "Flip Flops"}, "footwear"),
    ({"category": "Accessories", "sub_category": "Watches"}, "accessory"),
    ({"category": "Personal Care", "sub_category": "Fragrance"}, None),
    ({"category": "Apparel", "sub_category": "Innerwear"}, None),
])
def test_slot_of(fields: dict[str, str], slot: str | None) -> None:
    assert slot_of(product(**fields)) == slot


def test_no_slot_complements_itself() -> None:
    assert all(slot not in targets for slot, targets in COMPLEMENTS.items())


@pytest.mark.parametrize(("a", "b", "goes"), [
    ("Red", "Black", True), ("White", "Pink", True), ("Blue", "Blue", True), ("Blue", "Yellow", True),
    ("Yellow", "Blue", True), ("Red", "Green", False), ("Purple", "Orange", False), (None, "Red", True),
])
def test_colours_go(a: str | None, b: str, goes: bool) -> None:
    ok, why = colours_go(a, b)
    assert ok is goes
    assert why


def test_watch_anchor_gets_clothes_and_shoes_not_accessories(indexed_store: EdgeStore) -> None:
    anchor, suggestions, note = complete_the_look(indexed_store, "10098")
    assert note is None
    assert anchor.sub_category == "Watches"
    assert {s.slot for s in suggestions} <= {"top", "bottom", "footwear"}
    assert all(s.product.category != "Accessories" for s in suggestions)
    assert all(s.product.gender in ("Men", "Unisex") for s in suggestions)


def test_unknown_anchor(indexed_store: EdgeStore) -> None:
    with pytest.raises(NotFoundError):
        complete_the_look(indexed_store, "does-not-exist")
