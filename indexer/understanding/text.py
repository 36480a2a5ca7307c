"""Words: tokens with their spans, a light plural stemmer, and typo look-up by edit distance."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

# A word is a run of letters/digits, with inner apostrophes and dots kept together so that
# "levi's", "men's", "u.s." and "s.oliver" stay one word; hyphens, "&" and "/" split words.
_WORD = re.compile(r"[^\W_]+(?:['’.][^\W_]+)*\.?")
_DROP = str.maketrans("", "", "'’.")


@dataclass(frozen=True)
class Token:
    """One word of a text: what was typed (``surface``), where, and its matching forms."""

    surface: str
    start: int
    end: int
    norm: str  # lower case, apostrophes and dots removed: "Men's" -> "mens"
    stem: str  # plural folded: "sneakers" -> "sneaker", "hoodies" -> "hoodi"


def normalise(word: str) -> str:
    """Lower case without apostrophes or dots: "Levi's" -> "levis", "U.S." -> "us"."""
    return word.lower().translate(_DROP)


def stem(norm: str) -> str:
    """Fold plurals (and the y/ie/ies endings) so that both sides of a match agree.

    Not a linguistic stemmer: it only has to map a word and its plural to the same key, and it
    is applied to the catalog's words and the query's words alike ("hoodie", "hoody" and
    "hoodies" all become "hoodi"; "dresses" and "dress" become "dress").
    """
    word = norm
    if len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes")):
        word = word[:-2]
    elif len(word) > 4 and word.endswith("ies"):
        word = word[:-3] + "i"
    elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us")):
        word = word[:-1]
    if len(word) > 3 and word.endswith("ie"):
        word = word[:-1]
    elif len(word) > 3 and word.endswith("y"):
        word = word[:-1] + "i"
    return word


def tokens(text: str) -> list[Token]:
    """The words of ``text`` with their spans; pure punctuation is skipped."""
    out = []
    for match in _WORD.finditer(text):
        norm = normalise(match.group())
        if norm:
            out.append(Token(match.group().rstrip("."), match.start(), match.end(), norm, stem(norm)))
    return out


def key_of(text: str) -> tuple[str, ...]:
    """The matching key of a phrase: its words' stems."""
    return tuple(t.stem for t in tokens(text))


def squash(text: str) -> str:
    """A phrase with everything but letters and digits removed, lower case: the identity
    used to merge spellings of one brand ("Red Tape" / "Redtape", "Levi's" / "Levis")."""
    return "".join(t.norm for t in tokens(text))


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance (a transposition counts as one edit), or
    ``limit + 1`` as soon as it is known to exceed ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def allowed_edits(word: str) -> int:
    """How many edits a typo may be from its correction: none under 4 letters, 1 from 4,
    2 from 8 (short words have too many neighbours to guess safely)."""
    if len(word) >= 8:
        return 2
    return 1 if len(word) >= 4 else 0


# Misspelling a word by its sound mostly gets its vowels wrong ("sandles", "jumpar"): from 6
# letters such a word may be two edits away even under 8 letters, as long as it is as long as
# the correction and its consonants, in order, are the correction's. Shorter words and words
# of another length are too often other real words ("holes" / "heels", "point" / "pant").
_SOUND_EDITS = 2
_SOUND_MIN_LENGTH = 6
_VOWELS = frozenset("aeiou")


def consonants(word: str) -> str:
    """A word's consonants in order, doubled letters once: "sandles" and "sandals" -> "sndls"."""
    out: list[str] = []
    for c in word:
        if c not in _VOWELS and (not out or out[-1] != c):
            out.append(c)
    return "".join(out)


def _reach(word: str) -> int:
    """The most edits a look-up considers: the budget, or more for a vowel misspelling."""
    limit = allowed_edits(word)
    return max(limit, _SOUND_EDITS) if len(word) >= _SOUND_MIN_LENGTH else limit


def _deletes(word: str, depth: int) -> set[str]:
    found = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        found |= frontier
    return found


class TypoIndex:
    """Symmetric-delete index (as in SymSpell) over the words a typo may be corrected to:
    a look-up costs a few dozen dict probes instead of a distance to every word."""

    def __init__(self, words: Iterable[str], weight: dict[str, int] | None = None) -> None:
        self._weight = weight or {}
        self._by_delete: dict[str, list[str]] = {}
        words = set(words)
        self._longest = max((len(w) for w in words), default=0)
        for word in words:
            # Two deletes on this side whatever the word's own length: a query word of 8+
            # letters may be two edits from a shorter indexed word.
            for variant in _deletes(word, 2 if len(word) >= 4 else 1):
                self._by_delete.setdefault(variant, []).append(word)

    def correct(self, word: str) -> str | None:
        """The closest indexed word within the allowed edits, or None. A word past the budget
        but within two edits counts when only its vowels are off (see ``consonants``); any
        word within the budget beats it. Ties go to a word the typo is a dropped-letter form
        of ("gren" is "green" rather than "grey"), then to the heavier word, then the
        alphabetically first, so the answer is stable."""
        limit, reach = allowed_edits(word), _reach(word)
        # A word longer than any indexed word by more than the edits allowed has no match;
        # stopping here also keeps a pasted 10,000-letter "word" from costing its deletes.
        if reach == 0 or len(word) > self._longest + reach:
            return None
        candidates: set[str] = set()
        for variant in _deletes(word, reach):
            candidates.update(self._by_delete.get(variant, ()))
        sound = consonants(word)
        best: tuple[int, bool, int, str] | None = None
        for candidate in candidates:
            if candidate == word or allowed_edits(candidate) == 0:
                continue
            distance = edit_distance(word, candidate, reach)
            if distance <= limit or (
                distance <= reach and len(candidate) == len(word) and consonants(candidate) == sound
            ):
                dropped = _dropped_from(word, candidate)
                rank = (distance, not dropped, -self._weight.get(candidate, 0), candidate)
                if best is None or rank < best:
                    best = rank
        return None if best is None else best[3]


def _dropped_from(typo: str, word: str) -> bool:
    """Whether ``typo`` is ``word`` with letters left out (the commonest typo)."""
    letters = iter(word)
    return all(c in letters for c in typo)
