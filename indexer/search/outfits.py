"""Complete the look: one suggestion per complementary slot, by stated rules plus
embedding similarity, each with the reason it was chosen.

Rules (hard, in the store's filter): the slot's sub-categories, a compatible gender,
occasion and season. Within those, candidates are ranked by similarity to the
anchor's vectors, preferring colours that go together. When the hard rules leave a
slot empty, season and then occasion are relaxed (never gender or slot), and the
reason says so. No suggestion shares the anchor's sub-category.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from encoder import normalize
from indexer.errors import NotFoundError
from indexer.filters import AnyOf, FilterSpec
from indexer.schema import Product
from indexer.store.protocol import VectorStore

CANDIDATES_PER_SLOT = 50

# Which slot an anchor fills, by sub-category (then by category for the catch-alls).
SLOT_BY_SUB = {
    "Topwear": "top", "Bottomwear": "bottom", "Dress": "dress", "Saree": "dress",
    "Apparel Set": "dress", "Shoes": "footwear", "Sandal": "footwear", "Flip Flops": "footwear",
}
SLOT_BY_CATEGORY = {"Footwear": "footwear", "Accessories": "accessory"}

SLOTS: dict[str, tuple[str, ...]] = {
    "top": ("Topwear",),
    "bottom": ("Bottomwear",),
    "footwear": ("Shoes", "Sandal", "Flip Flops"),
    "accessory": ("Watches", "Belts", "Eyewear", "Jewellery", "Scarves", "Headwear", "Bags"),
}
COMPLEMENTS: dict[str, tuple[str, ...]] = {
    "top": ("bottom", "footwear", "accessory"),
    "bottom": ("top", "footwear", "accessory"),
    "dress": ("footwear", "accessory"),
    "footwear": ("top", "bottom", "accessory"),
    "accessory": ("top", "bottom", "footwear"),
}

GENDERS = {
    "Men": ("Men", "Unisex"), "Women": ("Women", "Unisex"), "Boys": ("Boys", "Unisex"),
    "Girls": ("Girls", "Unisex"), "Unisex": ("Unisex", "Men", "Women"),
}
OCCASIONS = {
    "Casual": ("Casual", "Smart Casual", "Travel"),
    "Smart Casual": ("Smart Casual", "Casual", "Formal"),
    "Formal": ("Formal", "Smart Casual"),
    "Sports": ("Sports", "Casual"),
    "Ethnic": ("Ethnic", "Casual"),
    "Travel": ("Travel", "Casual"),
}
SEASONS = {
    "Summer": ("Summer", "Spring"),
    "Spring": ("Spring", "Summer", "Fall"),
    "Fall": ("Fall", "Winter", "Spring"),
    "Winter": ("Winter", "Fall"),
}
NEUTRALS = frozenset({
    "Black", "White", "Grey", "Navy Blue", "Beige", "Brown", "Cream", "Off White", "Charcoal",
    "Tan", "Khaki", "Silver", "Steel", "Grey Melange", "Taupe", "Nude", "Skin", "Coffee Brown",
    "Metallic", "Gold", "Bronze", "Copper",
})
# Classic pairings of non-neutral colours (symmetric).
_PAIRS = [
    ("Blue", "Yellow"), ("Blue", "Orange"), ("Blue", "Pink"), ("Blue", "Red"), ("Red", "Navy Blue"),
    ("Green", "Pink"), ("Olive", "Maroon"), ("Purple", "Yellow"), ("Maroon", "Blue"),
    ("Teal", "Orange"), ("Lavender", "Olive"), ("Mustard", "Blue"), ("Peach", "Blue"),
]
PAIRS = frozenset({*_PAIRS, *((b, a) for a, b in _PAIRS)})
COLOUR_BONUS = 0.1


def slot_of(product: Product) -> str | None:
    """The outfit slot a product fills, or None (personal care, innerwear, free gifts...)."""
    if product.sub_category in SLOT_BY_SUB:
        return SLOT_BY_SUB[product.sub_category]
    return SLOT_BY_CATEGORY.get(product.category or "")


def colours_go(a: str | None, b: str | None) -> tuple[bool, str]:
    """Whether two colours go together, and why (or why not)."""
    if not a or not b:
        return True, "colour unknown"
    if b in NEUTRALS:
        return True, f"{b} is a neutral that goes with {a}"
    if a in NEUTRALS:
        return True, f"{b} goes with a neutral {a}"
    if a == b:
        return True, f"tonal: {b} with {a}"
    if (a, b) in PAIRS:
        return True, f"{b} is a classic pairing with {a}"
    return False, f"{b} does not obviously go with {a}"


@dataclass(frozen=True)
class Suggestion:
    slot: str
    product: Product
    score: float
    similarity: float
    reason: str
    rules: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "slot": self.slot,
            "product": self.product.to_payload(),
            "score": round(self.score, 6),
            "similarity": round(self.similarity, 6),
            "reason": self.reason,
            "rules": self.rules,
        }


def _spec(slot: str, anchor: Product, relax: tuple[str, ...]) -> FilterSpec:
    conditions: list[tuple[str, AnyOf]] = [("sub_category", AnyOf(SLOTS[slot]))]
    if anchor.gender:
        conditions.append(("gender", AnyOf(GENDERS.get(anchor.gender, (anchor.gender,)))))
    if anchor.occasion and "occasion" not in relax:
        conditions.append(("occasion", AnyOf(OCCASIONS.get(anchor.occasion, (anchor.occasion,)))))
    if anchor.season and "season" not in relax:
        conditions.append(("season", AnyOf(SEASONS.get(anchor.season, (anchor.season,)))))
    return FilterSpec(tuple(conditions))


def complete_the_look(store: VectorStore, product_id: str) -> tuple[Product, list[Suggestion], str | None]:
    """The anchor, its suggestions (one per slot that has any), and a note when it has no slots.

    Raises:
        NotFoundError: no product with that id.
    """
    found = store.get([product_id], with_vectors=True)
    if not found:
        raise NotFoundError(f"no product with id {product_id!r}")
    point = found[0]
    anchor = Product.from_payload(point.payload)
    slot = slot_of(anchor)
    if slot is None:
        kind = anchor.sub_category or anchor.category or "this product"
        return anchor, [], (f"no outfit rules for {kind}; "
                            "complete-the-look covers apparel, footwear and accessories")
    assert point.image is not None and point.text is not None
    query = normalize(point.image + point.text)
    suggestions = []
    for target in COMPLEMENTS[slot]:
        pick = _best(store, query, anchor, target)
        if pick is not None:
            suggestions.append(pick)
    return anchor, suggestions, None


def _best(store: VectorStore, query: np.ndarray, anchor: Product, slot: str) -> Suggestion | None:
    for relax in ((), ("season",), ("season", "occasion")):
        points = store.candidates(query, _spec(slot, anchor, relax), CANDIDATES_PER_SLOT)
        points = [p for p in points if p.payload.get("sub_category") != anchor.sub_category
                  and p.product_id != anchor.id]
        if not points:
            continue
        best: tuple[float, float, Any, bool, str] | None = None
        for p in points:
            assert p.image is not None and p.text is not None
            similarity = 0.5 * float(query @ p.image) + 0.5 * float(query @ p.text)
            goes, why = colours_go(anchor.colour, p.payload.get("colour"))
            score = similarity + (COLOUR_BONUS if goes else 0.0)
            if best is None or score > best[0]:
                best = (score, similarity, p, goes, why)
        assert best is not None
        score, similarity, p, goes, why = best
        product = Product.from_payload(p.payload)
        return Suggestion(slot, product, score, similarity, _reason(anchor, product, slot, relax, why,
                                                                     similarity, len(points)),
                          {"gender": True, "occasion": "occasion" not in relax,
                           "season": "season" not in relax, "colour": goes})
    return None


def _reason(anchor: Product, product: Product, slot: str, relax: tuple[str, ...], colour_why: str,
            similarity: float, pool: int) -> str:
    parts = [f"{product.sub_category or slot} to go with a {anchor.sub_category or 'product'}"]
    if anchor.gender:
        parts.append(f"{product.gender} fits {anchor.gender}")
    if anchor.occasion:
        parts.append(f"occasion {product.occasion} fits {anchor.occasion}" if "occasion" not in relax
                     else f"no {slot} for a {anchor.occasion} occasion, so any occasion")
    if anchor.season:
        parts.append(f"season {product.season} fits {anchor.season}" if "season" not in relax
                     else f"no {slot} for {anchor.season}, so any season")
    parts.append(colour_why)
    parts.append(f"closest in style of {pool} candidates (similarity {similarity:.2f})")
    return "; ".join(parts)
