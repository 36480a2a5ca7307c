"""Word-prefix matching with one edit, for suggestions (indexer/search/suggest.py).

Each distinct word of the suggestions is indexed by its prefixes, and by the one-letter
deletions of its prefixes from MIN_TYPO - 1 letters on (the symmetric-delete idea): a typed word
of n letters is one edit from the start of a word when one of them, with at most one letter
deleted, equals the other. Candidates found so are confirmed with ``one_edit``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

MAX_PREFIX = 14
_WORD = re.compile(r"[0-9a-z]+")


def words_of(text: str) -> tuple[str, ...]:
    """Lower-cased words of letters and digits ("T-shirts" -> "t", "shirts")."""
    return tuple(_WORD.findall(text.casefold()))


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


class WordIndex:
    """The words of many entries, for "which entries have a word starting with this"."""

    def __init__(self, entries: Sequence[tuple[str, ...]], min_typo: int = 4) -> None:
        self.entries = entries
        vocabulary = sorted({w for words in entries for w in words})
        self.word_id = {w: i for i, w in enumerate(vocabulary)}
        self.vocabulary = vocabulary
        self.holders: list[set[int]] = [set() for _ in vocabulary]  # word -> entries with it
        for e, words in enumerate(entries):
            for w in words:
                self.holders[self.word_id[w]].add(e)
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
            if i not in exact and self._starts_within_one(typed, self.vocabulary[i]):
                exact[i] = True
        return exact

    @staticmethod
    def _starts_within_one(typed: str, word: str) -> bool:
        return any(one_edit(typed, word[:n]) for n in (len(typed) - 1, len(typed), len(typed) + 1)
                   if 0 < n <= len(word))

    def match(self, typed: Sequence[str], min_typo: int) -> dict[int, tuple[int, bool]]:
        """Entries every typed word starts a word of: entry -> (words typed with an edit,
        whether the words came in the entry's own order from its first word)."""
        found: dict[int, int] | None = None
        for word in typed:
            here: dict[int, int] = {}
            for wid, typo in self.words_for(word, min_typo).items():
                for e in self.holders[wid]:
                    if found is None or e in found:
                        here[e] = min(here.get(e, 1), int(typo))
            found = {e: t + (found[e] if found is not None else 0) for e, t in here.items()}
            if not found:
                return {}
        return {e: (t, self._in_order(typed, self.entries[e])) for e, t in (found or {}).items()}

    @staticmethod
    def _in_order(typed: Sequence[str], words: tuple[str, ...]) -> bool:
        return len(typed) <= len(words) and all(
            w.startswith(t) or one_edit(t, w[: len(t)]) for t, w in zip(typed[:-1], words, strict=False)
        ) and words[len(typed) - 1].startswith(typed[-1][:2])
