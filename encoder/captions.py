"""Training captions built from a product's title and attributes, and which products they fit.

Every caption carries the attribute values it states (its *constraints*). A caption
is true of every product that has those values, so "black watches" is a correct
caption for every black watch in a batch, not only the one it was drawn for. The
training loss uses that to treat all matching products as positives instead of
pushing look-alikes apart, which is what category and colour search need.

Attributes (keys of a sample's ``attrs``): ``gender``, ``sub_category``,
``article_type``, ``colour``, ``occasion``; the title is the constraint ``title``.

Shopper words: given a table of phrases (``ShopperWords``: "sneakers" for Casual and Sports
Shoes, "office wear" for Formal), an attribute caption may say a value in a shopper's phrase
instead of the catalog's word. A phrase can mean several values ("sneakers": Casual Shoes or
Sports Shoes), so a caption's constraints may name one key several times, meaning any of those
values. The table is data passed in by the caller (the command line builds it from the query
understanding's lexicon, which the encoder may not import).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

# The keys a caption can constrain, in a fixed order (columns of the code matrix).
CONSTRAINT_KEYS = ("title", "gender", "sub_category", "article_type", "colour", "occasion")
UNCONSTRAINED = -1
MISSING = -2

GENDER_WORDS = {
    "men": ("men's", "men", "for men"),
    "women": ("women's", "women", "for women"),
    "boys": ("boys'", "boys", "for boys"),
    "girls": ("girls'", "girls", "for girls"),
    "unisex": ("unisex",),
}

# Probability that a drawn caption is the product title (instance-level), else attributes.
TITLE_SHARE = 0.4


def norm(value: object) -> str | None:
    """Attribute values compare lower-cased and trimmed; empty means missing."""
    if value is None:
        return None
    text = " ".join(str(value).split()).lower()
    return text or None


@dataclass(frozen=True)
class Caption:
    """A caption's text and the attribute values it states (a key named twice: any of them)."""

    text: str
    constraints: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ShopperPhrase:
    """A shopper's phrase and the catalog values (normalised) it means, any of them."""

    text: str
    values: tuple[str, ...]


# (attribute key, normalised catalog value) -> the phrases that can say it.
ShopperWords = Mapping[tuple[str, str], tuple[ShopperPhrase, ...]]


def shopper_words(
    entries: Iterable[tuple[str, str, Sequence[str]]],
) -> dict[tuple[str, str], tuple[ShopperPhrase, ...]]:
    """The phrase table from ``(attribute key, phrase, catalog values)`` entries.

    A phrase that only repeats its one value ("maroon" for Maroon) is left out: the captions
    already say it.
    """
    table: dict[tuple[str, str], list[ShopperPhrase]] = {}
    for key, phrase, values in entries:
        text = norm(phrase)
        meant = tuple(dict.fromkeys(v for v in (norm(x) for x in values) if v))
        if key not in CONSTRAINT_KEYS or not text or not meant or meant == (text,):
            continue
        for value in meant:
            table.setdefault((key, value), []).append(ShopperPhrase(text, meant))
    return {k: tuple(v) for k, v in table.items()}


def _say(key: str, value: str, words: ShopperWords | None, share: float,
         rng: np.random.Generator) -> tuple[str, tuple[tuple[str, str], ...]]:
    """How a caption says ``key = value``: the catalog word, or (with chance ``share``) a
    shopper's phrase for it, with the constraints that phrase states."""
    # No random draw without a table: today's recipe keeps its exact random stream.
    phrases = words.get((key, value), ()) if words and share > 0 else ()
    if phrases and rng.random() < share:
        phrase = phrases[int(rng.integers(len(phrases)))]
        return phrase.text, tuple((key, v) for v in phrase.values)
    return value, ((key, value),)


def _gender_phrase(gender: str, rng: np.random.Generator) -> tuple[str, bool]:
    """A gender word and whether it goes before the noun (True) or after (False)."""
    words = GENDER_WORDS.get(gender, (gender,))
    word = words[int(rng.integers(len(words)))]
    return word, not word.startswith("for ")


def attribute_caption(
    attrs: Mapping[str, str | None],
    rng: np.random.Generator,
    words: ShopperWords | None = None,
    synonym_share: float = 0.0,
) -> Caption:
    """A caption naming a random subset of the product's attributes.

    Shapes include "black watches", "a photo of topwear", "casual men's shirts",
    "red", "formal wear" and "a photo of ethnic wear": the forms shoppers type and
    the quality benchmark's prompts use. With ``words``, each attribute is said in a
    shopper's phrase with chance ``synonym_share`` ("white sneakers", "office wear").
    """
    a = {k: norm(v) for k, v in attrs.items()}
    cons: list[tuple[str, str]] = []
    # The noun: article type (fine), sub-category (coarse) or none.
    nouns = [k for k in ("article_type", "sub_category") if a.get(k)]
    noun = None
    roll = rng.random()
    if nouns and roll < 0.85:
        key = nouns[0] if (len(nouns) == 1 or rng.random() < 0.5) else nouns[1]
        noun, stated = _say(key, a[key] or "", words, synonym_share, rng)
        cons.extend(stated)
    words_before: list[str] = []
    words_after: list[str] = []
    if a.get("colour") and rng.random() < (0.6 if noun else 0.8):
        said, stated = _say("colour", a["colour"] or "", words, synonym_share, rng)
        words_before.append(said)
        cons.extend(stated)
    occasion_word = None
    if a.get("occasion") and rng.random() < 0.35:
        occasion_word, stated = _say("occasion", a["occasion"] or "", words, synonym_share, rng)
        words_before.append(occasion_word)
        cons.extend(stated)
    if a.get("gender") and rng.random() < 0.3:
        phrases = words.get(("gender", a["gender"] or ""), ()) if words and synonym_share > 0 else ()
        if phrases and rng.random() < synonym_share:
            phrase = phrases[int(rng.integers(len(phrases)))]
            words_after.append(f"for {phrase.text}")
            cons.extend(("gender", v) for v in phrase.values)
        else:
            word, before = _gender_phrase(a["gender"] or "", rng)
            (words_before if before else words_after).append(word)
            cons.append(("gender", a["gender"] or ""))
    if not cons:  # nothing drawn: fall back to whatever the product has
        for key in ("sub_category", "article_type", "colour", "occasion"):
            if a.get(key):
                cons.append((key, a[key] or ""))
                if key in ("sub_category", "article_type"):
                    noun = a[key]
                else:
                    words_before.append(a[key] or "")
                    occasion_word = a[key] if key == "occasion" else None
                break
    keys = {k for k, _ in cons}
    # "formal wear", but "office wear" and "ethnic wear" already say it.
    if noun is None and "occasion" in keys and "colour" not in keys and not (
        occasion_word or "").endswith("wear"):
        words_after.append("wear")
    body = " ".join([*words_before, *([noun] if noun else []), *words_after])
    if rng.random() < 0.35:
        body = f"a photo of {body}"
    return Caption(body, tuple(sorted(set(cons))))


def draw_caption(
    title: str,
    attrs: Mapping[str, str | None],
    rng: np.random.Generator,
    words: ShopperWords | None = None,
    synonym_share: float = 0.0,
) -> Caption:
    """One training caption: the title (sometimes with its colour) or an attribute caption."""
    if rng.random() < TITLE_SHARE or not any(norm(v) for v in attrs.values()):
        return Caption(" ".join(title.split()), (("title", norm(title) or ""),))
    return attribute_caption(attrs, rng, words, synonym_share)


class ConstraintCodes:
    """Integer codes of every product's attribute values, to test captions against a batch fast."""

    def __init__(self, titles: Sequence[str], attrs: Sequence[Mapping[str, str | None]]) -> None:
        self.vocab: list[dict[str, int]] = [{} for _ in CONSTRAINT_KEYS]
        rows = []
        for title, attr in zip(titles, attrs, strict=True):
            values = {"title": norm(title), **{k: norm(v) for k, v in attr.items()}}
            rows.append([self._code(i, values.get(k)) for i, k in enumerate(CONSTRAINT_KEYS)])
        self.products = np.asarray(rows, dtype=np.int64).reshape(len(rows), len(CONSTRAINT_KEYS))

    def _code(self, column: int, value: str | None) -> int:
        if value is None:
            return MISSING
        return self.vocab[column].setdefault(value, len(self.vocab[column]))

    def caption_codes(self, caption: Caption) -> np.ndarray:
        """The caption's constraints as rows of value codes (UNCONSTRAINED where it says
        nothing): one row, or one per combination of the values a key may take."""
        options: dict[int, list[int]] = {}
        for key, value in caption.constraints:
            column = CONSTRAINT_KEYS.index(key)
            options.setdefault(column, []).append(self.vocab[column].get(value, MISSING - 1))
        columns = sorted(options)
        combos = list(itertools.product(*(options[c] for c in columns)))
        rows = np.full((len(combos), len(CONSTRAINT_KEYS)), UNCONSTRAINED, dtype=np.int64)
        for r, combo in enumerate(combos):
            rows[r, columns] = combo
        return rows[0] if len(rows) == 1 else rows

    def caption_rows(self, captions: Sequence[Caption]) -> np.ndarray:
        """``(n, k, keys)``: every caption's rows, padded to one count by repeating its first."""
        each = [np.atleast_2d(self.caption_codes(c)) for c in captions]
        k = max((len(r) for r in each), default=1)
        out = np.empty((len(each), k, len(CONSTRAINT_KEYS)), dtype=np.int64)
        for i, rows in enumerate(each):
            out[i, : len(rows)] = rows
            out[i, len(rows) :] = rows[0]
        return out


def match_matrix(caption_codes: np.ndarray, product_codes: np.ndarray) -> np.ndarray:
    """``M[i, j]``: caption i is true of product j (every constraint it states holds).

    ``caption_codes``: ``(n, keys)``, one row per caption, or ``(n, k, keys)``, where a
    caption holds when any of its k rows does.
    """
    if caption_codes.ndim == 2:
        caption_codes = caption_codes[:, None, :]
    cap = caption_codes[:, None, :, :]
    prod = product_codes[None, :, None, :]
    return np.all((cap == UNCONSTRAINED) | (cap == prod), axis=-1).any(axis=-1)
