"""The catalog's vocabulary as suggestions (indexer/search/suggest.py): what a shopper could
mean by a few letters, in the words shoppers use, each counted over the products it finds.

Every product is read for its *facets*: its brand, its gender group(s) ("men" are Men and
Unisex products, as query understanding reads the word), colour, occasion, season, the
materials its title names, and its product types. A type is a meaning of the lexicon or the
catalog (article type, or sub-category when its name is a shopper's word: "shoes", not
"topwear"); a product without an article type gets the one its title names ("Puma Men Black
T-shirt" -> Tshirts) when that type belongs to its sub-category. Suggestions are the facets
alone (types, brands, materials) and the pairs that exist on the same products:

- ``brand_type`` "Puma tshirts", ``gender_type`` "boys tshirts", "men's shoes",
  ``colour_type`` "black watches", ``material_type`` "leather belts", ``occasion_type``
  "formal shirts", ``season_type`` "winter jackets";
- ``understood``: colour + type + gender ("white sneakers for women"), MIN_UNDERSTOOD products
  or more (a one-off combination is noise).

Each facet has one displayed name and alias names, the lexicon's other words for the same
meaning ("tee" for "tshirts", "gents" for "men's", "navy" for "navy blue", "office" for
"formal"): typed, an alias finds the suggestion too, and is shown in its place. Each
suggestion carries its product count and a ``group``: the article types its type covers and
the sub-category they are in (or its brand), so that the lookup can keep three variants of
one type ("black watches", "silver watches", "watches for men") from filling the top of the
list.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from dataclasses import field as _field
from functools import lru_cache

from indexer.search.catalog_facts import CatalogFacts, ProductFacts
from indexer.understanding import Vocabulary
from indexer.understanding.lexicon import TYPE_FIELDS
from indexer.understanding.text import key_of, squash, stem

MIN_UNDERSTOOD = 3
"""An understood suggestion needs this many products: a one-off combination is noise."""
MIN_TITLE_USES = 2
"""A catalog value is a shopper's word when each of its words is in this many titles."""
MIN_LIFT = 1.5
"""An occasion or season is paired with a type only when it is this much more common among the
type's products than in the catalog ("formal shirts", "winter jackets"): an occasion most
products carry (the catalog's default: "casual") does not narrow a search for the type."""
# How a gender group reads in front of a type ("men's shoes"); other groups read as named.
POSSESSIVE = {"men": "men's", "women": "women's"}
UNISEX = "unisex"  # reads only in front of a type
FAMILY = "family:"  # a group mark naming the sub-category a type is in
# The product fields paired with types as they are, by kind; MODIFIERS qualify a type and are
# paired only where they narrow it (see MIN_LIFT).
PAIRED_FIELDS = {"brand_type": "brand", "colour_type": "colour", "occasion_type": "occasion",
                 "season_type": "season"}
MODIFIERS = {"occasion_type": "occasion", "season_type": "season"}


@dataclass(frozen=True)
class Facet:
    """One value a suggestion names: displayed ``name`` and the other names that find it."""

    name: str
    aliases: tuple[str, ...] = ()


Slot = tuple[str, tuple[str, ...]]
"""A facet as a suggestion's text shows it, and its alias names ("men's", ("gents", ...))."""


@dataclass(frozen=True)
class VocabSuggestion:
    """A vocabulary suggestion before ranking: text, kind, products, diversity group, and the
    facets it names (to show "gents shirts" to a shopper who typed "gent")."""

    text: str
    kind: str
    count: int
    group: frozenset[str]  # suggestions whose groups meet are variants of one another
    slots: tuple[Slot, ...] = ()
    same: str = ""  # names of one meaning share this: the list shows one of them
    synonym: bool = False  # another name of a meaning ("tee"), ranked a little below its own


TypeKey = tuple[str, tuple[str, ...]]  # (field, sorted values): one meaning


class _Types:
    """The type meanings of a catalog: names, and which products each covers."""

    def __init__(self, voc: Vocabulary) -> None:
        self.voc = voc
        names: dict[TypeKey, list[str]] = {}
        for value in voc.values.get("article_type", {}):
            names.setdefault(("article_type", (value,)), []).append(value.casefold())
        for value in voc.values.get("sub_category", {}):
            if self._shopper_word(value):
                names.setdefault(("sub_category", (value,)), []).append(value.casefold())
        for phrase, (field, values) in voc.lexicon.types.items():
            if field in TYPE_FIELDS:
                names.setdefault((field, tuple(sorted(values))), []).append(phrase.casefold())
        self.facets = {key: _facet(found) for key, found in names.items()}
        # level -> parent values -> the values below them, by the catalog and the lexicon
        below: dict[str, dict[str, set[str]]] = {}
        for (level, value), parents in voc.parents.items():
            for parent in parents:
                below.setdefault(level, {}).setdefault(parent, set()).add(value)
        for level, declared in voc.lexicon.parents.items():
            for value, parent in declared.items():
                below.setdefault(level, {}).setdefault(parent, set()).add(value)
        self.below = below
        self.by_value: dict[tuple[str, str], list[TypeKey]] = {}
        for key in names:
            for value in key[1]:
                self.by_value.setdefault((key[0], value), []).append(key)

    def group(self, key: TypeKey) -> frozenset[str]:
        """The article types a type covers ("shoes": casual shoes, sports shoes, ...; "sneakers":
        casual and sports shoes) and its own name: two suggestions whose types share one are
        variants of one another for diversity ("black shoes", "black sneakers"); and, marked
        FAMILY, the sub-categories it is in: two types of one ("shirts", "tshirts") are
        siblings, alike but less so."""
        field, values = key
        covered = {f"{field}:{v}" for v in values}
        level, current = field, set(values)
        while level != "article_type":  # down to the article types, with the catalog's parents
            level = TYPE_FIELDS[TYPE_FIELDS.index(level) - 1]
            current = {child for parent in current for child in self.below.get(level, {}).get(parent, ())}
            covered |= {f"{level}:{v}" for v in current}
        if field == "sub_category":
            covered |= {f"{FAMILY}{v}" for v in values}
        elif field == "article_type":
            declared = self.voc.lexicon.parents.get(field, {})
            for value in values:
                parents = self.voc.parents.get((field, value))
                parent = max(parents, key=lambda v: parents[v]) if parents else declared.get(value)
                covered |= {f"{FAMILY}{parent}"} if parent else set()
        return frozenset(covered)

    def _shopper_word(self, value: str) -> bool:
        words = key_of(value)
        if words in self.voc.phrases and self.voc.phrases[words].kind == "type" and any(
                key_of(p) == words for p in self.voc.lexicon.types):
            return True
        return bool(words) and all(self.voc.title_words.get(w, 0) >= MIN_TITLE_USES for w in words
                                   if w not in self.voc.stopwords)

    def of(self, product: ProductFacts) -> set[TypeKey]:
        """The type meanings a product is one of."""
        found: set[TypeKey] = set()
        article = product.values.get("article_type")
        articles = (article,) if article else self._from_title(product)
        for value in articles:
            found.update(self.by_value.get(("article_type", value), ()))
        for level in TYPE_FIELDS[1:]:
            found.update(self.by_value.get((level, product.values.get(level, "")), ()))
        return found

    def _from_title(self, product: ProductFacts) -> tuple[str, ...]:
        """The article types a title names (longest phrase first, as understanding reads a
        query) that belong to the product's sub-category."""
        words, voc = product.title, self.voc
        sub = product.values.get("sub_category")
        declared = voc.lexicon.parents.get("article_type", {})
        found: list[str] = []
        i = 0
        while i < len(words):
            for n in range(min(voc.longest_phrase, len(words) - i), 0, -1):
                meaning = voc.phrases.get(words[i : i + n])
                if meaning is not None:
                    if meaning.kind == "type" and meaning.field == "article_type":
                        found.extend(v for v in meaning.values if sub is None or declared.get(v) == sub
                                     or sub in voc.parents.get(("article_type", v), {}))
                    i += n
                    break
            else:
                i += 1
        return tuple(dict.fromkeys(found))


def _facet(names: Iterable[str]) -> Facet:
    """The first name shown, the others aliases; spellings of one name ("hand bag", "handbag",
    "handbags") are one."""
    shown: list[str] = []
    seen: set[str] = set()
    for name in names:
        same = stem(squash(name))
        if same not in seen:
            seen.add(same)
            shown.append(name)
    return Facet(shown[0], tuple(shown[1:]))


def _value_facets(voc: Vocabulary, field: str, section: Mapping[str, tuple[str, ...]]) -> dict[str, Facet]:
    """A facet per catalog value of ``field``, the lexicon phrases naming exactly it as aliases."""
    out = {}
    for value in voc.values.get(field, {}):
        aliases = [p for p, values in section.items() if tuple(values) == (value,)]
        out[value] = _facet([value.casefold(), *aliases])
    return out


def _genders(voc: Vocabulary) -> dict[tuple[str, ...], Facet]:
    """Gender groups as the lexicon names them: (values) -> "men" (aliases "gents", ...)."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for phrase, values in voc.lexicon.genders.items():
        groups.setdefault(tuple(sorted(values)), []).append(phrase)
    present = voc.values.get("gender", {})
    return {values: _facet(names) for values, names in groups.items() if any(present.get(v) for v in values)}


def _brands(voc: Vocabulary) -> dict[str, Facet]:
    by_squash = {squash(name): name for name in voc.values.get("brand", {})}
    aliases: dict[str, list[str]] = {}
    for alias, target in voc.lexicon.brand_aliases.items():
        name = by_squash.get(squash(target))
        if name is not None:
            aliases.setdefault(name, []).append(alias)
    return {name: Facet(name, tuple(aliases.get(name, ()))) for name in voc.values.get("brand", {})}


def _materials(voc: Vocabulary) -> tuple[dict[str, Facet], dict[str, set[str]]]:
    """Material facets and, per material, the title word stems that name it."""
    names: dict[str, list[str]] = {}
    words: dict[str, set[str]] = {}
    for phrase, material in voc.lexicon.materials.items():
        names.setdefault(material, [material]).append(phrase)
        words.setdefault(material, set()).update(key_of(phrase))
    return {m: _facet(n) for m, n in names.items()}, words


@lru_cache(maxsize=4096)
def _stems(name: str) -> frozenset[str]:
    return frozenset(key_of(name))


def _standalone_phrases(section: Mapping[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    """The lexicon's phrases of several words for an occasion or season ("ethnic wear",
    "office wear"): shoppers search them alone, whereas a single word ("casual", "gym")
    qualifies a type."""
    return {p: values for p, values in section.items() if len(key_of(p)) > 1}


@dataclass
class _Tally:
    """Products per facet and per pair of facets, from one pass over the catalog."""

    products: int = 0
    types: Counter[TypeKey] = _field(default_factory=Counter)
    materials: Counter[str] = _field(default_factory=Counter)
    values: Counter[tuple[str, str]] = _field(default_factory=Counter)  # (field, value)
    pairs: Counter[tuple[str, str, TypeKey]] = _field(default_factory=Counter)  # (kind, facet, type)
    understood: Counter[tuple[str, TypeKey, tuple[str, ...]]] = _field(default_factory=Counter)


def _tally(facts: CatalogFacts, types: _Types, genders: Iterable[tuple[str, ...]],
           material_words: Mapping[str, set[str]]) -> _Tally:
    tally = _Tally(products=len(facts.products))
    for product in facts.products.values():
        values = product.values
        groups = [g for g in genders if values.get("gender") in g]
        named = [m for m, words in material_words.items() if words & product.words]
        facets = [*((kind, values.get(name)) for kind, name in PAIRED_FIELDS.items()),
                  *(("gender_type", repr(g)) for g in groups), *(("material_type", m) for m in named)]
        tally.values.update((name, value) for name, value in values.items())
        tally.materials.update(named)
        colour = values.get("colour")
        for key in types.of(product):
            tally.types[key] += 1
            tally.pairs.update((kind, value, key) for kind, value in facets if value)
            tally.understood.update((colour, key, g) for g in groups if colour)
    return tally


def vocabulary_suggestions(facts: CatalogFacts) -> list[VocabSuggestion]:
    """Every vocabulary suggestion of a catalog with its product count (never 0)."""
    voc = facts.vocabulary
    types = _Types(voc)
    brands = _brands(voc)
    genders = _genders(voc)
    colours = _value_facets(voc, "colour", voc.lexicon.colours)
    materials, material_words = _materials(voc)
    tally = _tally(facts, types, genders, material_words)
    out = []
    for name, n in voc.values.get("brand", {}).items():
        for shown in (name, *brands[name].aliases) if n > 0 else ():  # "benetton" too
            out.append(VocabSuggestion(shown, "brand", n, frozenset({f"brand:{name}"}), same=f"brand:{name}",
                                       synonym=shown != name))
    for key, facet in types.facets.items():
        n = tally.types[key]
        for name in (facet.name, *facet.aliases) if n > 0 else ():  # each name, one shown
            out.append(VocabSuggestion(name, "type", n, types.group(key), same=f"type:{key}",
                                       synonym=name != facet.name))
    for material, n in tally.materials.items():
        facet = materials[material]
        out.append(VocabSuggestion(facet.name, "material", n, frozenset({f"material:{material}"}),
                                   ((facet.name, facet.aliases),)))
    for name, section in (("occasion", voc.lexicon.occasions), ("season", voc.lexicon.seasons)):
        for phrase, targets in _standalone_phrases(section).items():
            n = sum(tally.values[(name, v)] for v in set(targets))
            if n > 0:
                out.append(VocabSuggestion(phrase, name, n, frozenset(f"{name}:{v}" for v in targets)))
    facet_of: dict[str, Mapping[str, Facet]] = {
        "brand_type": brands, "colour_type": colours, "material_type": materials,
        "occasion_type": _value_facets(voc, "occasion", voc.lexicon.occasions),
        "season_type": _value_facets(voc, "season", voc.lexicon.seasons),
        "gender_type": {repr(g): f for g, f in genders.items()}}
    for (kind, value, key), n in tally.pairs.items():
        first = facet_of[kind].get(value)
        if first is not None and (kind not in MODIFIERS or _narrows(tally, kind, value, key, first, types)):
            out.extend(_pair(kind, value, key, n, first, types))
    for (colour, key, group), n in tally.understood.items():
        if n >= MIN_UNDERSTOOD and colour in colours:
            c, t, g = colours[colour], types.facets[key], genders[group]
            out.append(VocabSuggestion(f"{c.name} {t.name} for {g.name}", "understood", n, types.group(key),
                                       ((c.name, c.aliases), (t.name, t.aliases), (g.name, g.aliases))))
    return out


def _narrows(tally: _Tally, kind: str, value: str, key: TypeKey, facet: Facet, types: _Types) -> bool:
    """Whether an occasion or season is worth pairing with a type: not a word of the type's
    own name ("casual casual shoes"), and MIN_LIFT times more common among the type's products
    than among all of them."""
    if not _stems(facet.name).isdisjoint(_stems(types.facets[key].name)):
        return False
    n = tally.pairs[(kind, value, key)]
    return n * tally.products >= MIN_LIFT * tally.types[key] * tally.values[(MODIFIERS[kind], value)]


def _pair(kind: str, value: str, key: TypeKey, n: int, first: Facet, types: _Types) -> list[VocabSuggestion]:
    kind_facet = types.facets[key]
    slots = ((first.name, first.aliases), (kind_facet.name, kind_facet.aliases))
    group = types.group(key)
    if kind != "gender_type":
        return [VocabSuggestion(f"{first.name} {kind_facet.name}", kind, n, group, slots)]
    # "men's socks" to a shopper who starts with the gender, "socks for men" to one who starts
    # with the type: one of the two is shown
    shown = POSSESSIVE.get(first.name, first.name)
    same = f"{kind}:{value}:{key}"
    out = [VocabSuggestion(f"{shown} {kind_facet.name}", kind, n, group, ((shown, first.aliases), slots[1]),
                           same)]
    if first.name != UNISEX:  # not "socks for unisex"
        out.append(VocabSuggestion(f"{kind_facet.name} for {first.name}", kind, n, group, slots, same))
    return out
