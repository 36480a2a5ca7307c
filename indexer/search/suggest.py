"""Search-as-you-type: the suggestions a search box offers for what has been typed so far.

Three sources, mixed in one ranked list (``SuggestIndex.lookup``):

- ``query``: what shoppers searched before (given by the caller, already filtered for privacy:
  only queries seen from enough distinct shoppers), kept only when the catalog has products
  for it, with their count;
- ``brand`` / ``type`` / ``colour_type``: the catalog's vocabulary (brands, article types and
  the lexicon's names for them, colour + type pairs that exist);
- ``understood``: colour + type + gender phrased the way query understanding reads it
  ("white sneakers for women"), where such products exist.

Every suggestion carries ``count``: products of the catalog that match it (attributes for the
vocabulary, every word in the title or attributes for past queries). Nothing with a count of
zero is ever offered.

Matching is word-wise: every typed word must start a word of the suggestion (in any order),
and a typed word of MIN_TYPO letters or more may be one edit away (an insertion, deletion,
substitution or swap). Built once per store generation and list of popular queries
(``build_index``); a lookup is dictionary work only.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from indexer.search.catalog_facts import CatalogFacts
from indexer.search.suggest_words import WordIndex, words_of
from indexer.understanding import understand
from indexer.understanding.text import tokens

MAX_SUGGESTIONS = 8
MIN_TYPO = 4
MIN_UNDERSTOOD = 3
"""An understood suggestion needs this many products: a one-off combination is noise."""
TYPE_FIELDS = ("article_type", "sub_category", "category")
GENDER_PHRASES = {"Men": "for men", "Women": "for women", "Boys": "for boys", "Girls": "for girls"}
KIND_BASE = {"query": 3.0, "brand": 1.5, "type": 1.5, "colour_type": 1.0, "understood": 1.2}
"""What shoppers actually searched ranks above what the catalog could answer."""


@dataclass(frozen=True)
class Suggestion:
    text: str
    kind: str
    count: int
    popularity: float  # past searches for a query, products for the vocabulary

    def to_json(self) -> dict[str, object]:
        return {"text": self.text, "kind": self.kind, "count": self.count}


@dataclass(frozen=True)
class PastQuery:
    """A past query as analytics knows it: how often, and by how many distinct shoppers."""

    text: str
    searches: int
    shoppers: int


def _type_meanings(facts: CatalogFacts) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Every type phrase: the catalog's article types and the lexicon's names for types."""
    voc = facts.vocabulary
    out: dict[str, tuple[str, tuple[str, ...]]] = {
        value.casefold(): ("article_type", (value,)) for value in voc.values.get("article_type", {})}
    for phrase, (field, values) in voc.lexicon.types.items():
        if field in TYPE_FIELDS and voc.count(field, values) > 0:
            out.setdefault(phrase.casefold(), (field, tuple(values)))
    return out


def _vocabulary(facts: CatalogFacts) -> list[Suggestion]:
    """Brands, types, colour + type pairs and colour + type + gender, with product counts."""
    voc = facts.vocabulary
    out = [Suggestion(b, "brand", n, n) for b, n in voc.values.get("brand", {}).items() if n > 0]
    pairs: Counter[tuple[str, str, str]] = Counter()
    triples: Counter[tuple[str, str, str, str]] = Counter()
    for product in facts.products.values():
        colour, gender = product.values.get("colour"), product.values.get("gender")
        for field in TYPE_FIELDS:
            value = product.values.get(field)
            if colour and value:
                pairs[(colour, field, value)] += 1
                if gender in GENDER_PHRASES:
                    triples[(colour, field, value, gender)] += 1
    combined: set[tuple[str, tuple[str, ...]]] = set()
    for phrase, (field, values) in _type_meanings(facts).items():
        n = voc.count(field, values)
        out.append(Suggestion(phrase, "type", n, n))
        meaning = (field, tuple(sorted(values)))
        if meaning in combined:
            continue  # one name per meaning in combinations ("sneakers", not also "kicks")
        combined.add(meaning)
        for colour in voc.values.get("colour", {}):
            n = sum(pairs[(colour, field, v)] for v in values)
            if n > 0:
                out.append(Suggestion(f"{colour.casefold()} {phrase}", "colour_type", n, n))
            for gender, words in GENDER_PHRASES.items():
                n = sum(triples[(colour, field, v, gender)] for v in values)
                if n >= MIN_UNDERSTOOD:
                    out.append(Suggestion(f"{colour.casefold()} {phrase} {words}", "understood", n, n))
    return out


class ProductMatcher:
    """Which products a past query's words find: word stem -> products with it in the title or
    an attribute value, and a word naming an attribute ("sneakers") -> products with it."""

    def __init__(self, facts: CatalogFacts) -> None:
        self.facts = facts
        self.stems: dict[str, set[str]] = {}
        self.attrs: dict[tuple[str, str], set[str]] = {}
        for pid, product in facts.products.items():
            stems = set(product.words)
            for field, value in product.values.items():
                stems.update(t.stem for t in tokens(value))
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

    def __init__(self, suggestions: Iterable[Suggestion]) -> None:
        best: dict[str, Suggestion] = {}
        for s in suggestions:
            key = " ".join(s.text.casefold().split())
            if s.count > 0 and (key not in best or KIND_BASE[s.kind] > KIND_BASE[best[key].kind]):
                best[key] = s
        self.suggestions = list(best.values())
        self.words = WordIndex([words_of(s.text) for s in self.suggestions])
        self.rank = [KIND_BASE[s.kind] + math.log1p(s.popularity) / 4 for s in self.suggestions]

    def __len__(self) -> int:
        return len(self.suggestions)

    def lookup(self, typed: str, limit: int = MAX_SUGGESTIONS) -> list[Suggestion]:
        """The ``limit`` best suggestions for ``typed`` (empty for nothing typed)."""
        words = words_of(typed)
        if not words:
            return []
        matches = self.words.match(words, MIN_TYPO)
        scored = []
        for idx, (typos, in_order) in matches.items():
            # a typo costs a little; words typed in the suggestion's own order earn a little
            scored.append((self.rank[idx] - 0.8 * typos + 0.6 * in_order, idx))
        scored.sort(key=lambda x: (-x[0], self.suggestions[x[1]].text))
        return [self.suggestions[i] for _, i in scored[:limit]]


def build_index(facts: CatalogFacts, past: Sequence[PastQuery], min_shoppers: int) -> SuggestIndex:
    """The index of one catalog and its past queries; a past query seen from fewer than
    ``min_shoppers`` distinct shoppers, or with no product for it, is never suggested."""
    suggestions = _vocabulary(facts)
    matcher = ProductMatcher(facts)
    searches: Counter[str] = Counter()
    for q in past:
        if q.shoppers < min_shoppers or not q.text.strip():
            continue
        # A popular query with a typo is offered as query understanding corrects it ("grey
        # sweatshrt" -> "grey sweatshirt"), its searches added to the corrected one's.
        corrected = understand(q.text, facts.vocabulary).corrected_text
        searches[" ".join((corrected or q.text).casefold().split())] += q.searches
    for text, n_searches in searches.items():
        n = matcher.count(text)
        if n > 0:
            suggestions.append(Suggestion(text, "query", n, n_searches))
    return SuggestIndex(suggestions)
