"""Brands learned from titles that start with the brand ("Puma Men Black T-shirt").

The rule (measured in docs/understanding.md):

1. A title's *candidate* is its words before the first gender/age word ("men", "women",
   "girls", "kids", ...: ``brands.title_gender_words`` in the lexicon), with trailing
   descriptor words (``brands.descriptors``) and model codes dropped ("Turtle Check Men ..."
   -> "Turtle", "New Balance MW631 Men ..." -> "New Balance"). A brand named in
   ``brands.known`` wins when the title starts with it ("Mr. Men Men ...").
2. Spellings are merged on letters and digits alone, case-folded: "Red Tape" = "Redtape",
   "ADIDAS" = "Adidas", "Levi's" = "Levis"; the brand is shown in its most frequent spelling.
3. A candidate a single edit from a ten-times more frequent one is that one (a misspelling:
   "Filac" -> "Fila", "Levisi" -> "Levis"). Otherwise a candidate seen at least
   ``brands.min_count`` times is a brand. A rarer one (or one of more than four words) that
   extends another candidate is that candidate ("Reebok Reegame" -> "Reebok"); otherwise it
   stands as a brand of its own ("Tabac").
4. A title with no gender word takes the longest learned brand its first words spell
   ("Genesis Maroon Formal Shirt" -> "Genesis", "Newhide Vintage Wallet" -> "New Hide").
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from indexer.understanding.lexicon import Lexicon
from indexer.understanding.text import Token, edit_distance, tokens

MAX_BRAND_WORDS = 4
_SNAP_RATIO = 10  # a rare spelling snaps to a brand this many times more frequent


@dataclass(frozen=True)
class BrandList:
    """The brands of a catalog: display name and product count by squashed key."""

    names: Mapping[str, str]  # key ("redtape") -> display ("Red Tape")
    counts: Mapping[str, int]  # key -> titles carrying the brand
    resolve: Mapping[str, str]  # candidate key -> brand key (rare spellings, sub-lines)
    lexicon: Lexicon

    def brand_from_title(self, title: str) -> str | None:
        """The brand a title starts with, or None (see the module docstring for the rule)."""
        words = tokens(title)
        known = _known_prefix(words, self.lexicon)
        if known is not None:
            return known
        candidate = _candidate(words, self.lexicon)
        if candidate:
            key = self.resolve.get(_key(candidate))
            if key is not None:
                return self.names[key]
        for n in range(min(MAX_BRAND_WORDS, len(words)), 0, -1):
            key = self.resolve.get(_key(words[:n]))
            if key is not None:
                return self.names[key]
        return None


def brand_from_title(title: str, brands: BrandList) -> str | None:
    """The brand ``title`` starts with, by the brands learned from its catalog."""
    return brands.brand_from_title(title)


def learn_brands(titles: Iterable[str], lexicon: Lexicon | None = None) -> BrandList:
    """Learn a catalog's brand list from its titles (the module docstring gives the rule)."""
    lexicon = lexicon or Lexicon.load()
    counts: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = {}
    words_of: dict[str, tuple[str, ...]] = {}
    for title in titles:
        words = tokens(title)
        known = _known_prefix(words, lexicon)
        candidate = tokens(known) if known is not None else _candidate(words, lexicon)
        if not candidate:
            continue
        key = _key(candidate)
        counts[key] += 1
        spelling = known or title[candidate[0].start : candidate[-1].end]
        spellings.setdefault(key, Counter())[" ".join(spelling.split())] += 1
        words_of[key] = tuple(t.norm for t in candidate)
    known_keys = {_key(tokens(name)) for name in lexicon.known_brands}
    resolve: dict[str, str] = {}
    for key in sorted(counts, key=lambda k: len(words_of[k])):
        resolve[key] = _resolve(key, words_of, counts, resolve, known_keys, lexicon.brand_min_count)
    merged: Counter[str] = Counter()
    for key, target in resolve.items():
        merged[target] += counts[key]
    names = {key: spellings[key].most_common(1)[0][0] for key in merged}
    # Keys of the brands' own names resolve to themselves (titles with no gender word).
    resolve.update({key: key for key in merged})
    return BrandList(names=names, counts=dict(merged), resolve=resolve, lexicon=lexicon)


def _resolve(
    key: str,
    words_of: Mapping[str, tuple[str, ...]],
    counts: Mapping[str, int],
    resolved: Mapping[str, str],
    known_keys: set[str],
    min_count: int,
) -> str:
    words = words_of[key]
    if key in known_keys:
        return key
    if len(key) >= 5:
        for other, count in counts.items():
            if count >= _SNAP_RATIO * counts[key] and edit_distance(key, other, 1) <= 1:
                return resolved.get(other, other)
    if counts[key] >= min_count and len(words) <= MAX_BRAND_WORDS:
        return key
    for n in range(len(words) - 1, 0, -1):
        prefix = "".join(words[:n])
        if prefix in resolved:
            return resolved[prefix]
    return key


def _key(words: Iterable[Token]) -> str:
    return "".join(t.norm for t in words)


def _candidate(words: list[Token], lexicon: Lexicon) -> list[Token]:
    """The words before the first gender/age word, trailing descriptors dropped."""
    end = next((i for i, t in enumerate(words) if t.norm in lexicon.title_gender_words), None)
    if not end:  # no gender word, or the title starts with one
        return []
    candidate = words[:end]
    while len(candidate) > 1 and (
        candidate[-1].norm in lexicon.brand_descriptors or _model_code(candidate[-1].norm)
    ):
        candidate = candidate[:-1]
    return candidate


def _model_code(word: str) -> bool:
    """Letters and digits mixed ("MW631"): a model number, not part of the brand (whereas a
    plain number is: "Jealous 21", "Inc 5")."""
    return any(c.isdigit() for c in word) and any(c.isalpha() for c in word)


def _known_prefix(words: list[Token], lexicon: Lexicon) -> str | None:
    for name in lexicon.known_brands:
        key = _key(tokens(name))
        for n in range(1, min(MAX_BRAND_WORDS, len(words)) + 1):
            if _key(words[:n]) == key:
                return name
    return None
