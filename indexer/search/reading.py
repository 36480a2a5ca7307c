"""How the search reads a shopper's text: what was understood (``indexer.understanding``), what
of it applies to this catalog and request, the text to encode and to look up as keywords, and
what to tell the shopper (``notices``, ``did_you_mean``).

Modes (``SearchRequest.understand``): ``boost`` (default) ranks products that match the
understood attributes higher (the ``s_attributes`` term); ``filter`` returns only products that
match them all (relaxed, with a notice, when none do); ``off`` reads nothing. ``ignore`` turns
single attributes off by kind ("colour", "type", "brand", "price", ...), as the web UI's chips
do; the words they came from are then left out of the text too.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from indexer.errors import QueryError
from indexer.filters import AnyOf, Condition, FilterSpec, Range
from indexer.schema import KEYWORD_FIELDS, TAGGED_FIELDS
from indexer.search.catalog_facts import CatalogFacts
from indexer.understanding import Attribute, PriceCondition, Understanding, Vocabulary, understand

UNDERSTAND_MODES = ("boost", "filter", "off")
KINDS = ("type", "colour", "gender", "occasion", "season", "material", "brand", "price")
# Field names a client may use for a kind in ``ignore`` ("article_type" is a type).
_FIELD_KINDS = {"article_type": "type", "sub_category": "type", "category": "type"}
MAX_IGNORE = len(KINDS)


def check_understanding(mode: str, ignore: Sequence[str]) -> frozenset[str]:
    """The kinds to ignore, once the mode and the list are known to be valid.

    Raises:
        QueryError: an unknown mode or kind (the message names the valid ones).
    """
    if mode not in UNDERSTAND_MODES:
        raise QueryError(f"understand must be one of {', '.join(UNDERSTAND_MODES)}, got {mode!r}")
    if len(ignore) > MAX_IGNORE * 2:
        raise QueryError(f"ignore lists at most {MAX_IGNORE * 2} kinds")
    kinds = set()
    for name in ignore:
        kind = _FIELD_KINDS.get(name, name) if isinstance(name, str) else name
        if kind not in KINDS:
            raise QueryError(f"ignore takes the kinds {', '.join(KINDS)}, got {name!r}")
        kinds.add(kind)
    return frozenset(kinds)


@dataclass(frozen=True)
class Reading:
    """A query as the search reads it. ``attributes`` / ``price``: what the search applies
    (understood, present in this catalog, not ignored); ``search_text``: what is encoded;
    ``keyword_text``: what the keyword vector looks up (the text and the catalog values the
    shopper's words stand for, so "tee" finds "Tshirts")."""

    mode: str
    search_text: str
    keyword_text: str
    understood: Understanding | None = None
    attributes: tuple[Attribute, ...] = ()
    price: PriceCondition | None = None
    ignored: frozenset[str] = frozenset()
    notices: tuple[str, ...] = ()
    did_you_mean: str | None = None

    @property
    def active(self) -> bool:
        """Whether anything understood applies to the ranking or the filter."""
        return bool(self.attributes) or self.price is not None

    def with_notice(self, notice: str) -> Reading:
        return replace(self, notices=(*self.notices, notice))

    def understood_json(self) -> dict[str, Any] | None:
        """The response's ``understood`` block: every attribute with the words it came from,
        whether it was applied, and whether the request ignored it."""
        if self.understood is None:
            return None
        out = self.understood.to_json()
        for attr in out["attributes"]:
            attr["ignored"] = _kind(attr["kind"]) in self.ignored
        if out["price"] is not None:
            out["price"]["ignored"] = "price" in self.ignored
        out["mode"] = self.mode
        return out

    def prefilter(self, base: FilterSpec) -> FilterSpec | None:
        """The request's filters plus the understood conditions a payload index can check (an
        article type by its sub-category: most catalogs leave the type out of many products),
        for an extra candidate search; None when nothing is understood that way."""
        added: list[tuple[str, Condition]] = []
        taken = set(base.fields())
        for attr in self.attributes:
            name, values = attr.field, attr.values
            if name == "article_type":
                name, values = next(iter(attr.broader), (None, ()))  # type: ignore[assignment]
            if name in KEYWORD_FIELDS and name not in taken and values:
                added.append((name, AnyOf(tuple(values))))
                taken.add(name)
        if self.price is not None and "price" not in taken:
            added.append(("price", Range(gte=self.price.min, lte=self.price.max)))
        if not added:
            return None
        # Predicted values count, unless the request filters a tagged field on catalog values only.
        predicted = base.include_predicted or not any(n in TAGGED_FIELDS for n in base.fields())
        return FilterSpec((*base.conditions, *added), predicted)


def _kind(kind: str) -> str:
    return _FIELD_KINDS.get(kind, kind)


def read_query(text: str, facts: CatalogFacts | None, mode: str = "boost",
               ignore: frozenset[str] = frozenset()) -> Reading:
    """Read ``text`` against the catalog's vocabulary (``facts``; None or mode "off": as typed)."""
    if mode == "off" or facts is None:
        return Reading(mode="off", search_text=text, keyword_text=text)
    vocabulary = facts.vocabulary
    understood = understand(text, vocabulary)
    notices: list[str] = []
    corrected = understood.corrected_text
    if corrected:
        notices.append(f"showing results for '{corrected}'")
    applied: list[Attribute] = []
    closest: list[Attribute] = []
    for attr in understood.attributes:
        if attr.kind in ignore:
            continue
        if attr.products == 0:
            what = " ".join(attr.words)
            notices.append(f"no {what} in this catalog, showing the closest items" if attr.kind == "type"
                           else f"nothing here is {attr.field} '{what}', showing the closest items")
            closest += [near] if (near := _closest_level(attr, vocabulary)) is not None else []
            continue
        applied.append(attr)
    price = understood.price if "price" not in ignore else None
    if price is not None and vocabulary.priced == 0:
        notices.append("no prices in this catalog, the price condition was ignored")
        price = None
    marked = understood.with_applied([a.field for a in applied], price=price is not None)
    applied = [a for a in marked.attributes if a.applied] + closest
    words = [w for a in understood.attributes if a.kind in ignore for w in a.words]
    if "price" in ignore and understood.price is not None:
        words += list(understood.price.words)
    search = _without(corrected or text, words, understood) or (corrected or text)
    # Gender values stay out: "Unisex" is rare in titles, so its IDF would make every unisex
    # product a keyword match for "office wear women"; the attribute term weighs gender instead.
    expansion = " ".join(v for a in applied for v in a.values if a.kind not in ("material", "gender"))
    return Reading(
        mode=mode, search_text=search, keyword_text=f"{search} {expansion}".strip(),
        understood=marked, attributes=tuple(applied), price=replace(price, applied=True) if price else None,
        ignored=ignore, notices=tuple(notices), did_you_mean=corrected,
    )


def _closest_level(attr: Attribute, vocabulary: Vocabulary) -> Attribute | None:
    """For a type this catalog has none of, the nearest level above it that it has ("earrings":
    category Accessories, by way of Jewellery), applied in its place so that the closest items
    come first rather than whatever the words happen to match; None if no level has products."""
    for depth, (field, values) in enumerate(attr.broader):
        present = tuple(v for v in values if vocabulary.count(field, (v,)))
        if attr.kind == "type" and present:
            return replace(attr, field=field, values=present, products=vocabulary.count(field, present),
                           broader=attr.broader[depth + 1 :], applied=True)
    return None


def _without(text: str, words: Sequence[str], understood: Understanding) -> str:
    """``text`` less the ignored attributes' words (and what a typo among them was read as)."""
    fixes = {c.word.casefold(): c.corrected for c in understood.corrections}
    out = text
    for word in words:
        for form in {word, fixes.get(word.casefold(), word)}:
            out = re.sub(rf"(?<!\w){re.escape(form)}(?!\w)", " ", out, count=1, flags=re.IGNORECASE)
    return " ".join(out.split())

