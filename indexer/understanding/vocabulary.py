"""What a catalog holds: its values with product counts, its brands, and the phrase index that
query understanding matches against (built once, so a query costs dict look-ups)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from indexer.understanding.brands import BrandList, learn_brands
from indexer.understanding.lexicon import TYPE_FIELDS, Lexicon
from indexer.understanding.text import TypoIndex, key_of, stem, tokens

Kind = Literal["type", "colour", "gender", "occasion", "season", "material", "brand"]
# Catalog fields the vocabulary counts (the Product schema's names) and the kind of each.
VALUE_FIELDS: dict[str, Kind] = {
    "article_type": "type",
    "sub_category": "type",
    "category": "type",
    "colour": "colour",
    "gender": "gender",
    "occasion": "occasion",
    "season": "season",
    "brand": "brand",
}
# When one phrase could mean two kinds, the earlier kind wins ("sports shoes" is a type).
_PRIORITY: tuple[Kind, ...] = ("type", "colour", "gender", "occasion", "season", "material", "brand")
_MIN_BRAND_KEY = 3  # one- and two-letter brands ("W", "iD") are too easy to type by accident


@dataclass(frozen=True)
class Meaning:
    """What a phrase means: a kind, the catalog field it constrains, and the values."""

    kind: Kind
    field: str
    values: tuple[str, ...]


@dataclass(frozen=True, eq=False, repr=False)
class Vocabulary:
    """A catalog's vocabulary; build it with :meth:`from_products`."""

    lexicon: Lexicon
    products: int
    priced: int  # products with a price
    values: Mapping[str, Mapping[str, int]]  # field (or "material") -> value -> products
    parents: Mapping[tuple[str, str], Mapping[str, int]]  # (field, value) -> parent value counts
    brands: BrandList
    title_words: Mapping[str, int]  # word stem -> titles containing it
    phrases: Mapping[tuple[str, ...], Meaning]
    longest_phrase: int
    known: frozenset[str]  # word stems never "corrected"
    stopwords: frozenset[str]  # word stems never left over as free words
    typos: TypoIndex

    @classmethod
    def from_products(
        cls,
        products: Iterable[Mapping[str, Any]],
        lexicon: Lexicon | None = None,
        derive_brands: bool = True,
    ) -> Vocabulary:
        """Build the vocabulary of a catalog from product dicts (the Product schema's names:
        title, brand, colour, category, sub_category, article_type, gender, occasion, season,
        price; any may be absent; anything not a mapping is skipped).

        A product's own ``brand`` wins. Products without one get the brand their title starts
        with, learned from those products' titles (see ``brands``); pass
        ``derive_brands=False`` for a catalog whose titles do not start with the brand."""
        lexicon = lexicon or Lexicon.load()
        rows = [p for p in products if isinstance(p, Mapping)]
        unbranded = (str(p.get("title") or "") for p in rows if not _text(p.get("brand")))
        brands = learn_brands(unbranded if derive_brands else (), lexicon)
        # Materials are counted over titles: "material" -> titles naming it (any spelling).
        values: dict[str, Counter[str]] = {name: Counter() for name in (*VALUE_FIELDS, "material")}
        material_words: dict[str, set[str]] = {}
        for phrase, material in lexicon.materials.items():
            material_words.setdefault(material, set()).update(key_of(phrase))
        parents: dict[tuple[str, str], Counter[str]] = {}
        title_words: Counter[str] = Counter()
        priced = 0
        for row in rows:
            brand = _text(row.get("brand")) or brands.brand_from_title(str(row.get("title") or ""))
            for name in VALUE_FIELDS:
                value = brand if name == "brand" else _text(row.get(name))
                if value:
                    values[name][value] += 1
            for child, parent in (("article_type", "sub_category"), ("sub_category", "category")):
                child_value, parent_value = _text(row.get(child)), _text(row.get(parent))
                if child_value and parent_value:
                    parents.setdefault((child, child_value), Counter())[parent_value] += 1
            stems = {t.stem for t in tokens(str(row.get("title") or ""))}
            title_words.update(stems)
            values["material"].update({m for m, words in material_words.items() if words & stems})
            priced += isinstance(row.get("price"), int | float) and not isinstance(row.get("price"), bool)
        phrases = _phrase_index(values, lexicon)
        return cls(
            lexicon=lexicon,
            products=len(rows),
            priced=priced,
            values={name: dict(counts) for name, counts in values.items()},
            parents={key: dict(counts) for key, counts in parents.items()},
            brands=brands,
            title_words=dict(title_words),
            phrases=phrases,
            longest_phrase=max((len(k) for k in phrases), default=1),
            known=_known_words(phrases, title_words, lexicon),
            stopwords=frozenset(t.stem for word in lexicon.stopwords for t in tokens(word)),
            typos=_typo_index(phrases, values, lexicon),
        )

    def __repr__(self) -> str:
        return (
            f"Vocabulary(products={self.products}, priced={self.priced}, "
            f"brands={len(self.values['brand'])}, phrases={len(self.phrases)})"
        )

    def count(self, field: str, values: Iterable[str]) -> int:
        """How many products carry any of ``values`` in ``field`` (0 for unknown ones)."""
        counts = self.values.get(field, {})
        return sum(counts.get(v, 0) for v in set(values))

    def brand_of(self, product: Mapping[str, Any]) -> str | None:
        """A product's brand: its own ``brand`` field, else the one its title starts with."""
        return _text(product.get("brand")) or self.brands.brand_from_title(str(product.get("title") or ""))

    def broader(self, field: str, values: Iterable[str]) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """The levels above a type's values, most frequent first: for article_type "Casual
        Shoes", ``(("sub_category", ("Shoes",)), ("category", ("Footwear",)))``. The catalog's
        own products say where a value belongs; for values it has none of, the lexicon's
        ``parents`` do ("Earrings" -> "Jewellery" -> "Accessories"), so that a search for a
        type the catalog lacks can still show the closest items."""
        out = []
        level, current = field, tuple(values)
        while level in ("article_type", "sub_category"):
            counts: Counter[str] = Counter()
            for value in current:
                counts.update(self.parents.get((level, value), {}))
            if not counts:
                declared = self.lexicon.parents.get(level, {})
                counts.update(declared[v] for v in current if v in declared)
            if not counts:
                break
            level = "sub_category" if level == "article_type" else "category"
            current = tuple(v for v, _ in counts.most_common())
            out.append((level, current))
        return tuple(out)


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _phrase_index(values: Mapping[str, Counter[str]], lexicon: Lexicon) -> dict[tuple[str, ...], Meaning]:
    """Every phrase a query may contain, keyed by its word stems: the catalog's own values
    first, then the lexicon's phrases over them; between kinds, _PRIORITY decides."""
    by_kind: dict[Kind, dict[tuple[str, ...], Meaning]] = {kind: {} for kind in _PRIORITY}
    # A type value present at several levels ("Watches") goes to the level with most products.
    for name in sorted(TYPE_FIELDS, key=lambda f: -sum(values[f].values())):
        for value, _ in values[name].most_common():
            _add(by_kind["type"], value, Meaning("type", name, (value,)), keep=True)
    for name in ("colour", "gender", "occasion", "season"):
        kind = VALUE_FIELDS[name]
        for value in values[name]:
            _add(by_kind[kind], value, Meaning(kind, name, (value,)))
    for phrase, (name, targets) in lexicon.types.items():
        _add(by_kind["type"], phrase, Meaning("type", name, targets))
    sections = (("colour", lexicon.colours), ("gender", lexicon.genders),
                ("occasion", lexicon.occasions), ("season", lexicon.seasons))
    for name, section in sections:
        for phrase, targets in section.items():
            _add(by_kind[VALUE_FIELDS[name]], phrase, Meaning(VALUE_FIELDS[name], name, targets))
    for phrase, material in lexicon.materials.items():
        _add(by_kind["material"], phrase, Meaning("material", "title", (material,)))
    _add_brands(by_kind["brand"], list(values["brand"]), lexicon)
    index: dict[tuple[str, ...], Meaning] = {}
    for kind in reversed(_PRIORITY):
        index.update(by_kind[kind])
    return index


def _add(index: dict[tuple[str, ...], Meaning], phrase: str, meaning: Meaning, keep: bool = False) -> None:
    """Index a phrase and, for a phrase of several words, its words run together
    ("Flip Flops" also as "flipflops"). ``keep`` leaves an existing entry in place."""
    key = key_of(phrase)
    if not key:
        return
    keys = [key] if len(key) == 1 else [key, (stem("".join(t.norm for t in tokens(phrase))),)]
    for k in keys:
        if not (keep and k in index):
            index[k] = meaning


def _add_brands(index: dict[tuple[str, ...], Meaning], names: list[str], lexicon: Lexicon) -> None:
    """Brands, each meaning itself and its sub-lines ("ADIDAS" also "ADIDAS Originals"),
    except the lexicon's separate brands ("Lee" is not "Lee Cooper")."""
    words = {name: tuple(t.norm for t in tokens(name)) for name in names}
    separate = {tuple(t.norm for t in tokens(name)) for name in lexicon.separate_brands}

    def family(name: str) -> tuple[str, ...]:
        head = words[name]
        lines = sorted(
            n for n in names if n != name and words[n][: len(head)] == head and words[n] not in separate
        )
        return (name, *lines)

    for name in names:
        squashed = "".join(words[name])
        if len(squashed) < _MIN_BRAND_KEY or squashed in lexicon.stopwords:
            continue
        _add(index, name, Meaning("brand", "brand", family(name)))
    by_squash = {"".join(w): n for n, w in words.items()}
    for alias, target in lexicon.brand_aliases.items():
        name = by_squash.get("".join(t.norm for t in tokens(target)), target)
        _add(index, alias, Meaning("brand", "brand", family(name) if name in words else (target,)))


def _known_words(
    phrases: Mapping[tuple[str, ...], Meaning], title_words: Mapping[str, int], lexicon: Lexicon
) -> frozenset[str]:
    """Stems that are words of this catalog or lexicon, never to be "corrected": every
    phrase word, every stopword, and title words seen in two titles or more (a word seen
    once may itself be a typo in the catalog)."""
    known = {word for key in phrases for word in key}
    known.update(stem(t.norm) for word in lexicon.stopwords for t in tokens(word))
    known.update(word for word, count in title_words.items() if count >= 2)
    return frozenset(known)


def _typo_index(
    phrases: Mapping[tuple[str, ...], Meaning], values: Mapping[str, Counter[str]], lexicon: Lexicon
) -> TypoIndex:
    """Typos are corrected towards phrase words only, spelled as the catalog or the lexicon
    spells them; a word carried by more products wins a tie."""
    weight: Counter[str] = Counter()
    phrases_text = [*lexicon.colours, *lexicon.types, *lexicon.genders, *lexicon.occasions,
                    *lexicon.seasons, *lexicon.materials, *lexicon.brand_aliases]
    for counts in values.values():
        for value, count in counts.items():
            for t in tokens(value):
                weight[t.norm] += count + 1
    for phrase in phrases_text:
        for t in tokens(phrase):
            weight[t.norm] += 1
    # Singulars too, so that a misspelt singular finds its word ("jaket" -> "jacket", not
    # two edits away "jackets").
    for word in list(weight):
        if not word.endswith("s") or word.endswith("ss"):
            continue
        # "watches" -> "watch", "dresses" -> "dress", "shoes" -> "shoe": the singular the
        # plural folds to ("wach" is one edit from "watch", two from "watches")
        singular = next((word[:-n] for n in (1, 2) if stem(word[:-n]) == stem(word)), None)
        if singular:
            weight[singular] += weight[word]
    words = {w for w in weight if not any(c.isdigit() for c in w)}
    # Only words whose stem is indexed: a brand dropped from the index is no correction target.
    indexed = {word for key in phrases for word in key}
    return TypoIndex((w for w in words if stem(w) in indexed), weight=dict(weight))
