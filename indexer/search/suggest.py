"""Search-as-you-type: the suggestions a search box offers for what has been typed so far.

Two sources, mixed in one ranked list (``SuggestIndex.lookup``):

- ``query``: what shoppers searched before (given by the caller, already filtered for privacy:
  only queries seen from enough distinct shoppers), kept only when the catalog has products
  for it, with their count;
- the catalog's vocabulary (indexer/search/suggest_vocab.py): ``brand``, ``type``,
  ``material`` and the pairs that exist on products (``brand_type`` "Puma tshirts",
  ``gender_type`` "boys tshirts", ``colour_type``, ``material_type``, ``occasion_type``,
  ``season_type``), and ``understood`` colour + type + gender ("white sneakers for women").

Every suggestion carries ``count``: products of the catalog that match it (its facets for the
vocabulary, every word in the title or attributes for past queries). Nothing with a count of
zero is ever offered.

Matching is word-wise: every typed word must start a word of the suggestion or of one of its
aliases (the lexicon's other words for what it names: "tee" finds "black tshirts"), in any
order, and a typed word of MIN_TYPO letters or more may be one edit away (an insertion,
deletion, substitution or swap).

Ranking estimates how likely the shopper means each suggestion: P = w P_log + (1 - w)
P_catalog, a past query's share of the logged searches and a vocabulary suggestion's share of
the catalog (its products, times a prior per kind, KIND_PRIOR: a pair is less likely meant
than the brand or type alone), the log weighing w = T / (T + LOG_TRUST) after T searches. On
ln P, a suggestion whose first words are what was typed gains IN_ORDER, a typed word matched
only with an edit costs TYPO (an exact prefix match always first), only by an alias ALIAS.
The list is then picked greedily with a diversity penalty (the MMR idea): each suggestion
already picked that is a variant of a candidate (of the same product type, or types one
inside the other: "black watches", "silver watches"; "black shoes", "black sneakers"; or of
the same brand) costs it SAME_GROUP, one of a sibling type (in the same sub-category:
"shirts", "tshirts") SIBLINGS times that, so that three colours of one type do not crowd
other types out of the top 3.

Built once per store generation and list of popular queries (``build_index``); a lookup is
dictionary work only.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from indexer.search.catalog_facts import CatalogFacts
from indexer.search.suggest_vocab import FAMILY, Slot, VocabSuggestion, vocabulary_suggestions
from indexer.search.suggest_words import WordIndex, entry_words, words_of
from indexer.understanding import understand
from indexer.understanding.text import key_of, tokens

MAX_SUGGESTIONS = 8
MIN_TYPO = 4
KIND_PRIOR = {"brand": 0.0, "type": 0.0, "material": -0.5, "brand_type": -0.7, "gender_type": -0.7,
              "material_type": -0.7, "colour_type": -1.0, "occasion_type": -1.2, "season_type": -1.5,
              "understood": -1.5, "occasion": -1.0, "season": -1.0}
"""ln of how much less likely a shopper means a suggestion of this kind than a brand or type
with as many products."""
KINDS = ("query", *KIND_PRIOR)
"""Every kind a suggestion can be: a past search, or one of the vocabulary's (the API documents these)."""
LOG_TRUST = 100
"""Searches in the log at which it weighs as much as the catalog: a young shop's few
searches say little, a busy shop's say more than its catalog does."""
IN_ORDER = 1.0
TYPO = 10.0
ALIAS = 0.5
SAME_GROUP = 1.0
SIBLINGS = 0.5
POOL = 48
"""Candidates the diversity pick looks at (the best by score alone)."""
CACHED = 1 << 16
"""Texts whose words are kept: they repeat from one build to the next (a rebuild for new past
queries keeps the vocabulary), so each is read once per process."""


@dataclass(frozen=True)
class Suggestion:
    text: str
    kind: str
    count: int
    popularity: float  # past searches for a query, products for the vocabulary
    group: frozenset[str] = frozenset()  # groups that meet: variants (siblings on FAMILY marks)
    slots: tuple[Slot, ...] = ()  # the facets its text names, with their aliases
    same: str = ""  # names of one meaning share this: the list shows one of them
    synonym: bool = False  # another name of a meaning ("tee" for tshirts): ranked below its own

    def alias_words(self, leading: bool) -> tuple[str, ...]:
        """The words of its aliases: those standing for its first words (``leading``) or the others."""
        return _slot_words(self.text, self.slots, leading)

    def to_json(self) -> dict[str, object]:
        return {"text": self.text, "kind": self.kind, "count": self.count}


@dataclass(frozen=True)
class PastQuery:
    """A past query as analytics knows it: how often, and by how many distinct shoppers."""

    text: str
    searches: int
    shoppers: int


def _from_vocabulary(found: VocabSuggestion) -> Suggestion:
    return Suggestion(found.text, found.kind, found.count, found.count, found.group, found.slots, found.same,
                      found.synonym)


class ProductMatcher:
    """Which products a past query's words find: word stem -> products with it in the title or
    an attribute value, and a word naming an attribute ("sneakers") -> products with it."""

    def __init__(self, facts: CatalogFacts) -> None:
        self.facts = facts
        self.stems: dict[str, set[str]] = {}
        self.attrs: dict[tuple[str, str], set[str]] = {}
        value_stems: dict[str, list[str]] = {}
        for pid, product in facts.products.items():
            stems = set(product.words)
            for field, value in product.values.items():
                if value not in value_stems:  # values repeat across products: read each once
                    value_stems[value] = [t.stem for t in tokens(value)]
                stems.update(value_stems[value])
                self.attrs.setdefault((field, value), set()).add(pid)
            for stem in stems:
                self.stems.setdefault(stem, set()).add(pid)

    def count(self, text: str) -> int:
        """Products with every word of ``text`` the catalog knows, a word standing also for what it
        names; stopwords, numbers and single letters are read past, and so is a word no product
        has, as the search reads past it (but a text with no known word at all counts 0)."""
        found: set[str] | None = None
        stop = self.facts.vocabulary.stopwords
        for token in tokens(text):
            if token.stem in stop or len(token.stem) < 2 or token.stem.isdigit():
                continue
            products = set(self.stems.get(token.stem, ()))
            meaning = self.facts.vocabulary.phrases.get((token.stem,))
            if meaning is not None:
                for value in meaning.values:
                    products |= self.attrs.get((meaning.field, value), set())
            if not products:
                continue
            found = products if found is None else found & products
            if not found:
                return 0
        return len(found or ())


class SuggestIndex:
    """The suggestions of one catalog generation, looked up by what has been typed."""

    catalog: CatalogPart | None = None  # what build_index made it from, for the next build

    def __init__(self, suggestions: Iterable[Suggestion]) -> None:
        vocabulary: dict[str, Suggestion] = {}
        searched: dict[str, Suggestion] = {}
        for s in suggestions:
            key = _same_words(s.text)
            if s.count <= 0 or not key:
                continue
            if s.kind == "query":
                searched[key] = s
            elif key not in vocabulary or _mass(s) > _mass(vocabulary[key]):
                vocabulary[key] = s
        # P(meant) = w P_log + (1 - w) P_catalog: a past query's share of the searches, a
        # vocabulary suggestion's share of the catalog (its products, times its kind's prior);
        # the log weighs w = T / (T + LOG_TRUST) after T searches.
        mass = {key: _mass(s) for key, s in vocabulary.items()}
        catalog = sum(mass.values()) or 1.0
        searches = sum(s.popularity for s in searched.values())
        trust = searches / (searches + LOG_TRUST)
        self.suggestions, self.rank = [], []
        for key, s in {**vocabulary, **searched}.items():
            p = (1 - trust) * mass.get(key, 0.0) / catalog
            if key in searched:
                p += trust * s.popularity / searches
                if key in vocabulary:  # as shoppers typed it, with the vocabulary's facets
                    known = vocabulary[key]  # (and aliases, where its text names them as they)
                    slots = known.slots if all(shown in s.text for shown, _ in known.slots) else ()
                    s = replace(known, text=s.text, kind="query", count=s.count, popularity=s.popularity,
                                slots=slots)
            self.suggestions.append(s)
            self.rank.append(math.log(p))
        self.words = WordIndex([_entry_words(s.text) for s in self.suggestions], MIN_TYPO,
                               [s.alias_words(False) for s in self.suggestions],
                               [s.alias_words(True) for s in self.suggestions])
        self.groups = [_marks(s.group) for s in self.suggestions]
        alphabetical = sorted(range(len(self.suggestions)), key=lambda e: self.suggestions[e].text)
        self.order = [0] * len(alphabetical)  # ties go to the alphabetically first
        for n, e in enumerate(alphabetical):
            self.order[e] = n

    def __len__(self) -> int:
        return len(self.suggestions)

    def lookup(self, typed: str, limit: int = MAX_SUGGESTIONS) -> list[Suggestion]:
        """The ``limit`` best suggestions for ``typed`` (empty for nothing typed)."""
        words = words_of(typed)
        if not words:
            return []
        rank, order = self.rank, self.order
        scored = [(rank[e] + IN_ORDER * in_order - TYPO * typos - ALIAS * aliased, -order[e], e, aliased)
                  for e, (typos, aliased, in_order) in self.words.match(words, MIN_TYPO).items()]
        pool = heapq.nlargest(POOL, scored)

        def shown(n: int) -> Suggestion:
            _, _, e, aliased = pool[n]
            s = self.suggestions[e]
            return _shown(s, self.words.entries[e], words) if aliased else s

        return _diverse([score for score, *_ in pool], [self.groups[e] for _, _, e, _ in pool], shown, limit)


@lru_cache(maxsize=CACHED)
def _same_words(text: str) -> str:
    """What two texts of the same words share, plurals folded ("black handbag", "Black Handbags")."""
    return " ".join(key_of(text))


def _mass(s: Suggestion) -> float:
    """A vocabulary suggestion's weight in the catalog's share: products times its kind's prior."""
    return math.exp(KIND_PRIOR[s.kind] - ALIAS * s.synonym) * s.count


def _starts(typed: str, word: str) -> bool:
    return word.startswith(typed) or (len(typed) >= MIN_TYPO and WordIndex.starts_within_one(typed, word))


@lru_cache(maxsize=4096)
def _alias_words(alias: str) -> tuple[str, ...]:
    return words_of(alias)


@lru_cache(maxsize=CACHED)
def _slot_words(text: str, slots: tuple[Slot, ...], leading: bool) -> tuple[str, ...]:
    chosen = [aliases for shown, aliases in slots if text.startswith(shown) == leading]
    return tuple(dict.fromkeys(w for aliases in chosen for a in aliases for w in _alias_words(a)))


@lru_cache(maxsize=CACHED)
def _entry_words(text: str) -> tuple[str, ...]:
    return entry_words(text)


def _shown(s: Suggestion, own: Sequence[str], typed: Sequence[str]) -> Suggestion:
    """``s`` in the words the shopper typed: a facet found only by one of its aliases is shown
    by that alias ("gent" -> "gents shirts" rather than "men's shirts")."""
    text = s.text
    for word in typed:
        if any(_starts(word, w) for w in own):
            continue
        for shown, aliases in s.slots:
            alias = next((a for a in aliases if any(_starts(word, w) for w in _alias_words(a))), None)
            if alias is not None:
                text = text.replace(shown, alias, 1)
                break
    return s if text == s.text else replace(s, text=text)


@lru_cache(maxsize=CACHED)
def _marks(group: frozenset[str]) -> tuple[frozenset[str], frozenset[str]]:
    """A group's marks of variants (a type, a brand) and of siblings (FAMILY: a sub-category)."""
    return (frozenset(m for m in group if not m.startswith(FAMILY)),
            frozenset(m for m in group if m.startswith(FAMILY)))


def _diverse(scores: Sequence[float], groups: Sequence[tuple[frozenset[str], frozenset[str]]],
             shown: Callable[[int], Suggestion], limit: int) -> list[Suggestion]:
    """Greedy pick by score (the MMR idea, with "variant of" for similarity): each suggestion
    already picked costs a candidate SAME_GROUP if the two are variants (their groups share a
    type or brand), SIBLINGS times that if siblings (a sub-category). A picked one is
    ``shown(n)`` (in the shopper's words), and skipped when its text or meaning is already in."""
    picked: list[Suggestion] = []
    seen: set[str] = set()
    left = dict(enumerate(scores))  # candidate -> score less its penalty so far
    while left and len(picked) < limit:
        n = max(left, key=left.__getitem__)
        del left[n]
        s = shown(n)
        keys = {_same_words(s.text), s.same} - {""}
        if keys & seen:
            continue
        seen |= keys
        picked.append(s)
        variants, siblings = groups[n]
        for m in left:
            if not variants.isdisjoint(groups[m][0]):
                left[m] -= SAME_GROUP
            elif not siblings.isdisjoint(groups[m][1]):
                left[m] -= SAME_GROUP * SIBLINGS
    return picked


@dataclass(frozen=True)
class CatalogPart:
    """What an index takes from the catalog alone, kept across the rebuilds that only bring
    new past queries (the vocabulary is most of a build's time)."""

    facts: CatalogFacts
    vocabulary: tuple[Suggestion, ...]
    matcher: ProductMatcher


def catalog_part(facts: CatalogFacts) -> CatalogPart:
    return CatalogPart(facts, tuple(_from_vocabulary(s) for s in vocabulary_suggestions(facts)),
                       ProductMatcher(facts))


def build_index(facts: CatalogFacts, past: Sequence[PastQuery], min_shoppers: int,
                catalog: CatalogPart | None = None) -> SuggestIndex:
    """The index of one catalog and its past queries; a past query seen from fewer than
    ``min_shoppers`` distinct shoppers, or with no product for it, is never suggested.
    ``catalog``: a previous index's ``catalog``, reused when it is of these same facts."""
    part = catalog if catalog is not None and catalog.facts is facts else catalog_part(facts)
    suggestions = list(part.vocabulary)
    searches: Counter[str] = Counter()
    for q in past:
        if q.shoppers < min_shoppers or not q.text.strip():
            continue
        # A popular query with a typo is offered as query understanding corrects it ("grey
        # sweatshrt" -> "grey sweatshirt"), its searches added to the corrected one's.
        corrected = understand(q.text, facts.vocabulary).corrected_text
        searches[" ".join((corrected or q.text).casefold().split())] += q.searches
    for text, n_searches in searches.items():
        n = part.matcher.count(text)
        if n > 0:
            suggestions.append(Suggestion(text, "query", n, n_searches))
    index = SuggestIndex(suggestions)
    index.catalog = part
    return index
