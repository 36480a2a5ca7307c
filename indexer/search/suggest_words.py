"""Word-prefix matching with one edit, for suggestions (indexer/search/suggest.py).

Each distinct word of the suggestions is indexed by its prefixes, and by the one-letter
deletions of its prefixes from MIN_TYPO - 1 letters on (the symmetric-delete idea): a typed word
of n letters is one edit from the start of a word when one of them, with at most one letter
deleted, equals the other. Candidates found so are confirmed with ``one_edit``.

An entry has its own words (what the shopper reads) and, optionally, alias words: other
shoppers' names for what it means ("tee" for "tshirts", "gents" for "men's"), matched as well
but reported as such so that the caller can rank its own words first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from indexer.understanding.text import tokens

MAX_PREFIX = 14
MIN_ALIAS = 3
"""Letters a typed word needs to find an entry by an alias word (one or two letters would find
entries by words the shopper never reads)."""
_PIECE = re.compile(r"[0-9a-z]+")


def words_of(text: str) -> tuple[str, ...]:
    """Lower-cased words as query understanding reads them, apostrophes and dots dropped
    ("Levi's" -> "levis", "U.S. Polo" -> "us", "polo", "T-shirts" -> "t", "shirts")."""
    return tuple(t.norm for t in tokens(text))


def entry_words(text: str) -> tuple[str, ...]:
    """The words an entry is found by: ``words_of`` and, for a word with inner dots or
    apostrophes, its pieces too ("s.Oliver" is found by "soliver" and by "oliver")."""
    words = words_of(text)
    pieces = [p for p in _PIECE.findall(text.casefold()) if p not in words]
    return (*words, *pieces)


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def one_edit(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` are at most one insertion, deletion, substitution or swap apart."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


ALIAS_WORD, FIRST_WORD = 1, 2  # how an entry holds a word: only as an alias; as its first word


class WordIndex:
    """The words of many entries, for "which entries have a word starting with this"."""

    def __init__(self, entries: Sequence[tuple[str, ...]], min_typo: int = 4,
                 aliases: Sequence[tuple[str, ...]] | None = None,
                 leading: Sequence[tuple[str, ...]] | None = None) -> None:
        """``aliases``: each entry's alias words; ``leading``: those of them that stand for the
        entry's first word ("gents" for "men's" in "men's shirts")."""
        self.entries = entries
        alias_words = aliases or [() for _ in entries]
        leading_words = leading or [() for _ in entries]
        vocabulary = sorted({w for words in (*entries, *alias_words, *leading_words) for w in words})
        self.word_id = {w: i for i, w in enumerate(vocabulary)}
        self.vocabulary = vocabulary
        # word -> entries with it -> ALIAS_WORD | FIRST_WORD flags (an entry's own word wins)
        self.holders: list[dict[int, int]] = [{} for _ in vocabulary]
        for flags, lists in ((ALIAS_WORD, alias_words), (ALIAS_WORD | FIRST_WORD, leading_words)):
            for e, words in enumerate(lists):
                for w in words:
                    self.holders[self.word_id[w]][e] = flags
        for e, words in enumerate(entries):
            for n, w in enumerate(words):
                held = self.holders[self.word_id[w]]
                held[e] = FIRST_WORD if n == 0 or held.get(e) == FIRST_WORD else 0
        self.prefixes: dict[str, set[int]] = {}
        self.deleted: dict[str, set[int]] = {}
        for i, w in enumerate(vocabulary):
            for n in range(1, min(len(w), MAX_PREFIX) + 1):
                self.prefixes.setdefault(w[:n], set()).add(i)
                if n >= min_typo - 1:
                    for d in _deletions(w[:n]):
                        self.deleted.setdefault(d, set()).add(i)

    def words_for(self, typed: str, min_typo: int) -> dict[int, bool]:
        """Word ids that ``typed`` starts (True when only with one edit)."""
        typed = typed[:MAX_PREFIX]
        exact = {i: False for i in self.prefixes.get(typed, ())}
        if len(typed) < min_typo:
            return exact
        near: set[int] = set(self.deleted.get(typed, ()))  # a letter left out
        for d in _deletions(typed):
            near |= self.prefixes.get(d, set())  # a letter too many
            near |= self.deleted.get(d, set())  # a letter changed or swapped
        for i in near:
            if i not in exact and self.starts_within_one(typed, self.vocabulary[i]):
                exact[i] = True
        return exact

    @staticmethod
    def starts_within_one(typed: str, word: str) -> bool:
        return any(one_edit(typed, word[:n]) for n in (len(typed) - 1, len(typed), len(typed) + 1)
                   if 0 < n <= len(word))

    def match(self, typed: Sequence[str], min_typo: int) -> dict[int, tuple[int, int, bool]]:
        """Entries every typed word starts a word of (its own or, from MIN_ALIAS letters, an
        alias word): entry -> (typed words matched only with one edit, typed words matched only
        by an alias, whether the words came in the entry's own order from its first word)."""
        found: dict[int, tuple[int, int, bool]] = {}
        for k, word in enumerate(typed):
            short = len(word) < MIN_ALIAS
            here: dict[int, tuple[int, int, bool]] = {}
            for wid, typo in self.words_for(word, min_typo).items():
                for e, flags in self.holders[wid].items():
                    alias = flags & ALIAS_WORD
                    if (k and e not in found) or (alias and short):
                        continue
                    cost = (int(typo), alias, bool(flags & FIRST_WORD))
                    best = here.get(e)
                    if best is None or cost[:2] < best[:2] or (cost[:2] == best[:2] and cost[2] > best[2]):
                        here[e] = cost
            if k:
                here = {e: (t + found[e][0], a + found[e][1], found[e][2]) for e, (t, a, _) in here.items()}
            found = here
            if not found:
                return {}
        if len(typed) > 1:  # the order of several words, checked on the few entries left
            found = {e: (t, a, first and self._in_order(typed, self.entries[e]))
                     for e, (t, a, first) in found.items()}
        return found

    @staticmethod
    def _in_order(typed: Sequence[str], words: tuple[str, ...]) -> bool:
        return len(typed) <= len(words) and all(
            w.startswith(t) or one_edit(t, w[: len(t)]) for t, w in zip(typed[:-1], words, strict=False)
        ) and words[len(typed) - 1].startswith(typed[-1][:2])
