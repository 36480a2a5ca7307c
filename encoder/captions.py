"""Training captions built from a product's title and attributes, and which products they fit.

Every caption carries the attribute values it states (its *constraints*). A caption
is true of every product that has those values, so "black watches" is a correct
caption for every black watch in a batch, not only the one it was drawn for. The
training loss uses that to treat all matching products as positives instead of
pushing look-alikes apart, which is what category and colour search need.

Attributes (keys of a sample's ``attrs``): ``gender``, ``sub_category``,
``article_type``, ``colour``, ``occasion``; the title is the constraint ``title``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
    """A caption's text and the attribute values it states."""

    text: str
    constraints: tuple[tuple[str, str], ...]


def _gender_phrase(gender: str, rng: np.random.Generator) -> tuple[str, bool]:
    """A gender word and whether it goes before the noun (True) or after (False)."""
    words = GENDER_WORDS.get(gender, (gender,))
    word = words[int(rng.integers(len(words)))]
    return word, not word.startswith("for ")


def attribute_caption(attrs: Mapping[str, str | None], rng: np.random.Generator) -> Caption:
    """A caption naming a random subset of the product's attributes.

    Shapes include "black watches", "a photo of topwear", "casual men's shirts",
    "red", "formal wear" and "a photo of ethnic wear": the forms shoppers type and
    the quality benchmark's prompts use.
    """
    a = {k: norm(v) for k, v in attrs.items()}
    cons: dict[str, str] = {}
    # The noun: article type (fine), sub-category (coarse) or none.
    nouns = [k for k in ("article_type", "sub_category") if a.get(k)]
    noun = None
    roll = rng.random()
    if nouns and roll < 0.85:
        key = nouns[0] if (len(nouns) == 1 or rng.random() < 0.5) else nouns[1]
        noun = a[key]
        cons[key] = noun
    words_before: list[str] = []
    words_after: list[str] = []
    if a.get("colour") and rng.random() < (0.6 if noun else 0.8):
        words_before.append(a["colour"])
        cons["colour"] = a["colour"]
    if a.get("occasion") and rng.random() < 0.35:
        words_before.append(a["occasion"])
        cons["occasion"] = a["occasion"]
    if a.get("gender") and rng.random() < 0.3:
        word, before = _gender_phrase(a["gender"], rng)
        (words_before if before else words_after).append(word)
        cons["gender"] = a["gender"]
    if not cons:  # nothing drawn: fall back to whatever the product has
        for key in ("sub_category", "article_type", "colour", "occasion"):
            if a.get(key):
                cons[key] = a[key]
                if key in ("sub_category", "article_type"):
                    noun = a[key]
                else:
                    words_before.append(a[key])
                break
    if noun is None and "occasion" in cons and "colour" not in cons:
        words_after.append("wear")
    body = " ".join([*words_before, *([noun] if noun else []), *words_after])
    if rng.random() < 0.35:
        body = f"a photo of {body}"
    return Caption(body, tuple(sorted(cons.items())))


def draw_caption(title: str, attrs: Mapping[str, str | None], rng: np.random.Generator) -> Caption:
    """One training caption: the title (sometimes with its colour) or an attribute caption."""
    if rng.random() < TITLE_SHARE or not any(norm(v) for v in attrs.values()):
        return Caption(" ".join(title.split()), (("title", norm(title) or ""),))
    return attribute_caption(attrs, rng)


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
        """The caption's constraints as one row: a value code, or UNCONSTRAINED."""
        row = np.full(len(CONSTRAINT_KEYS), UNCONSTRAINED, dtype=np.int64)
        for key, value in caption.constraints:
            column = CONSTRAINT_KEYS.index(key)
            row[column] = self.vocab[column].get(value, MISSING - 1)
        return row


def match_matrix(caption_codes: np.ndarray, product_codes: np.ndarray) -> np.ndarray:
    """``M[i, j]``: caption i is true of product j (every constraint it states holds)."""
    cap = caption_codes[:, None, :]
    prod = product_codes[None, :, :]
    return np.all((cap == UNCONSTRAINED) | (cap == prod), axis=-1)
