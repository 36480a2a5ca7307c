"""How well a product matches what a query was understood to ask for: the ``s_attributes`` term
of the re-rank, and the test filter mode applies.

Each applied attribute scores 1 (the product has it), 0.5 (a type the product only shares the
level above with: casual shoes for "sports shoes") or 0; ``s_attributes`` is their mean, with a
price condition counted as one more attribute. A product is matched on its catalog value, else
the value the ingestion pipeline predicted for it (``<field>_predicted``), else its title: two
thirds of the sample catalog has no article type, and "Nike Men White Casual Shoes" says what
it is. Materials are matched on the title only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from indexer.search.catalog_facts import ProductFacts
from indexer.search.reading import Reading
from indexer.store.keywords import normalise
from indexer.understanding import Attribute, PriceCondition
from indexer.understanding.text import tokens

FULL = 1.0
BROADER = 0.5
# A product type is the head of a shopper's query ("red tops" asks for tops first, then red
# ones, not for anything red), so it counts twice in the mean.
KIND_WEIGHTS = {"type": 2.0}


def _stems(text: str) -> tuple[str, ...]:
    # "T-shirt" and "Tshirts" meet on "tshirt", as in the keyword vector
    return tuple(t.stem for t in tokens(normalise(text)))


def _contains(facts: ProductFacts, phrase: tuple[str, ...]) -> bool:
    """Whether the title holds the phrase's words in a row."""
    if not phrase or not facts.words.issuperset(phrase):
        return False
    if len(phrase) == 1:
        return True
    words, n = facts.title, len(phrase)
    return any(words[i : i + n] == phrase for i in range(len(words) - n + 1))


@dataclass(frozen=True)
class AttributeTest:
    """One applied attribute, prepared for matching many products."""

    attribute: Attribute
    values: frozenset[str]  # case-folded
    phrases: tuple[tuple[str, ...], ...]  # the values and the shopper's words, as title stems
    broader: frozenset[str]  # the sub-categories above a type, case-folded

    @classmethod
    def of(cls, attr: Attribute) -> AttributeTest:
        phrases = {_stems(v) for v in attr.values}
        if attr.kind in ("type", "material", "colour", "gender"):
            phrases.add(_stems(" ".join(attr.words)))
        broader = next((vals for name, vals in attr.broader if name == "sub_category"), ())
        return cls(attr, frozenset(v.casefold() for v in attr.values),
                   tuple(p for p in phrases if p), frozenset(v.casefold() for v in broader))

    def match(self, facts: ProductFacts) -> float:
        return self.column([facts])[0]

    def column(self, products: Sequence[ProductFacts | None]) -> list[float]:
        """The score of each product (0 for an unknown one): a search matches a few hundred
        candidates against each attribute, so the loop keeps its lookups in locals."""
        attr, phrases = self.attribute, self.phrases
        if attr.kind == "material":
            return [FULL if f is not None and any(_contains(f, p) for p in phrases) else 0.0
                    for f in products]
        field, values, broader = attr.field, self.values, self.broader
        brand, gender, kind_type = field == "brand", attr.kind == "gender", attr.kind == "type"
        out: list[float] = []
        for f in products:
            if f is None:
                out.append(0.0)
                continue
            value = f.folded.get(field)
            if value is not None and value in values:
                out.append(FULL)
            elif brand:
                # no brand field: the title starts with the brand
                out.append(FULL if value is None and any(f.title[: len(p)] == p for p in phrases) else 0.0)
            # A title states what a field leaves out; for age groups it also overrides the field,
            # as catalogs file children's products under Men and Women ("Palm Tree Kids Boys ...").
            elif (value is None or gender) and any(_contains(f, p) for p in phrases):
                out.append(FULL)
            elif kind_type and f.folded.get("sub_category", "") in broader:
                out.append(BROADER)
            else:
                out.append(0.0)
        return out

    def explain(self, facts: ProductFacts) -> str | None:
        """"colour=White from 'white'" when the product has it, noting where that came from."""
        if self.match(facts) < FULL:
            return None
        reason = self.attribute.explain()
        value = facts.values.get(self.attribute.field)
        if self.attribute.kind == "material" or value is None:
            return f"{reason} (title)"
        return f"{reason} (predicted)" if self.attribute.field in facts.predicted else reason


def price_match(price: PriceCondition, facts: ProductFacts) -> float:
    return FULL if facts.price is not None and price.admits(facts.price) else 0.0


class Matcher:
    """The applied attributes of one reading, matched against candidate products."""

    def __init__(self, reading: Reading) -> None:
        self.tests = [AttributeTest.of(a) for a in reading.attributes]
        self.price = reading.price

    def __bool__(self) -> bool:
        return bool(self.tests) or self.price is not None

    def weights(self) -> np.ndarray:
        """Each condition's weight in the mean (the columns of ``matrix``)."""
        kinds = [KIND_WEIGHTS.get(t.attribute.kind, 1.0) for t in self.tests]
        return np.array(kinds + ([1.0] if self.price is not None else []), dtype=np.float32)

    def score(self, matrix: np.ndarray) -> np.ndarray:
        """``s_attributes``: the weighted mean of each candidate's row (0 with no conditions)."""
        if matrix.shape[1] == 0:
            return np.zeros(matrix.shape[0], dtype=np.float32)
        w = self.weights()
        return (matrix @ w / w.sum()).astype(np.float32)

    def matrix(self, products: Sequence[ProductFacts | None]) -> np.ndarray:
        """(products, conditions) scores; an unknown product matches nothing."""
        columns = [t.column(products) for t in self.tests]
        if self.price is not None:
            price = self.price
            columns.append([0.0 if f is None else price_match(price, f) for f in products])
        if not columns:
            return np.zeros((len(products), 0), dtype=np.float32)
        return np.array(columns, dtype=np.float32).T.copy()

    def explain(self, facts: ProductFacts | None) -> list[str]:
        if facts is None:
            return []
        reasons = [r for t in self.tests if (r := t.explain(facts)) is not None]
        if self.price is not None and price_match(self.price, facts) == FULL:
            reasons.append(f"price {self.price.to_json()} from '{' '.join(self.price.words)}'")
        return reasons

    def names(self) -> list[str]:
        names = [t.attribute.explain() for t in self.tests]
        return names + ([f"price from '{' '.join(self.price.words)}'"] if self.price is not None else [])
