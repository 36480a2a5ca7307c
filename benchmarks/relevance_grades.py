"""Relevance grades of the relevance benchmark: queries as data, graded from catalog fields.

A query (one line of ``benchmarks/queries/*.jsonl``)::

    {"id": "ct-white-sneakers-w", "kind": "colour_type", "text": "white sneakers for ladies",
     "conditions": {"article_type": ["Casual Shoes", "Sports Shoes"], "colour": ["White"],
                    "gender": ["Women", "Unisex"]},
     "type": ["article_type"]}

Grades: 2 when every condition holds, 1 when the ``type`` conditions hold (the right kind of
product; ``type`` defaults to whichever of article_type, sub_category and category the
conditions name), 0 otherwise. Condition keys:

- ``gender``, ``category``, ``sub_category``, ``article_type``, ``colour``, ``season``,
  ``occasion``: the product's value is one of the listed ones (case-insensitive).
- ``article_type`` reads the catalog's value; where a product has none (two thirds of the
  sample catalog), the type its title names (``TypeInference``, learned from the catalog).
- ``brand``: the title starts with one of the values (case-insensitive, whole words): the
  sample catalog has no brand column and its titles begin with the brand.
- ``title``: one of the phrases appears in the title as whole words (materials, styles).
- ``price_max`` / ``price_min``: applied to products with a price; a product without one
  passes (the sample catalog has no prices, so there a price query is graded on the rest).

Optional keys: ``twin`` (typo queries: the correctly spelled text), ``note`` (what a query
without an exact match is graded against), ``brand_check`` (brand values for the
"named brand at rank 1" figure; defaults to ``conditions.brand``).
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from indexer.schema import Product

QUERIES_DIR = Path(__file__).resolve().parent / "queries"
FIELD_KEYS = ("gender", "category", "sub_category", "article_type", "colour", "season", "occasion")
TYPE_KEYS = ("article_type", "sub_category", "category")
CONDITION_KEYS = (*FIELD_KEYS, "brand", "title", "price_max", "price_min")
QUERY_KEYS = {"id", "kind", "text", "conditions", "type", "twin", "note", "brand_check"}
KINDS = (
    "colour_type", "brand", "brand_type", "synonym", "gender_type", "occasion", "season",
    "material", "typo", "price", "no_exact",
)
# A title's last word names the type when labelled products show it does so this reliably.
LAST_WORD_MIN = 3
LAST_WORD_SHARE = 0.6


class QueryFileError(ValueError):
    """A query file that does not follow the schema (the message names the line)."""


@dataclass(frozen=True)
class RelevanceQuery:
    id: str
    kind: str
    text: str
    conditions: dict[str, Any]
    type_keys: tuple[str, ...]
    twin: str | None = None
    note: str | None = None
    brand_check: tuple[str, ...] = ()
    source: str = ""


def normalise(text: str) -> str:
    """Lower case, hyphens and apostrophes dropped, one space between words, each word
    singular by a trailing-s rule (enough to line titles up with type names)."""
    # "T-shirt" is one word, "Flip-Flops" two
    words = re.sub(r"\b([a-z])-(?=[a-z])|['’]", r"\1", text.lower())
    words = re.sub(r"[^a-z0-9.&]+", " ", words).split()
    return " ".join(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w
                    for w in words)


def _phrase_in(phrase: str, text: str) -> bool:
    return f" {phrase} " in f" {text} "


def load_queries(directory: Path = QUERIES_DIR) -> list[RelevanceQuery]:
    """Every query of ``directory/*.jsonl``, checked against the schema.

    Raises:
        QueryFileError: a malformed line, an unknown key, kind or condition, a duplicate id.
    """
    files = sorted(directory.glob("*.jsonl"))
    if not files:
        raise QueryFileError(f"no query files (*.jsonl) in {directory}")
    out: list[RelevanceQuery] = []
    seen: set[str] = set()
    for path in files:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            where = f"{path.name}:{n}"
            try:
                raw = json.loads(line)
            except ValueError as e:
                raise QueryFileError(f"{where}: not JSON ({e})") from e
            query = _parse(raw, where)
            if query.id in seen:
                raise QueryFileError(f"{where}: duplicate query id {query.id!r}")
            seen.add(query.id)
            out.append(query)
    return out


def _parse(raw: Any, where: str) -> RelevanceQuery:
    if not isinstance(raw, dict):
        raise QueryFileError(f"{where}: a query is a JSON object")
    missing = {"id", "kind", "text", "conditions"} - raw.keys()
    if missing:
        raise QueryFileError(f"{where}: missing {', '.join(sorted(missing))}")
    if unknown := set(raw) - QUERY_KEYS:
        raise QueryFileError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    if raw["kind"] not in KINDS:
        raise QueryFileError(f"{where}: kind {raw['kind']!r} is not one of {', '.join(KINDS)}")
    text, conditions = raw["text"], raw["conditions"]
    if not isinstance(text, str) or not text.strip():
        raise QueryFileError(f"{where}: text must be a non-empty string")
    if not isinstance(conditions, dict) or not conditions:
        raise QueryFileError(f"{where}: conditions must be a non-empty object")
    for key, value in conditions.items():
        if key not in CONDITION_KEYS:
            raise QueryFileError(f"{where}: unknown condition {key!r}")
        if key.startswith("price_"):
            if not isinstance(value, int | float):
                raise QueryFileError(f"{where}: {key} must be a number")
        elif not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            raise QueryFileError(f"{where}: {key} must be a non-empty list of strings")
    type_keys = raw.get("type", [k for k in TYPE_KEYS if k in conditions])
    if not isinstance(type_keys, list) or any(k not in conditions for k in type_keys):
        raise QueryFileError(f"{where}: type must list condition keys of this query")
    if raw["kind"] == "typo" and not raw.get("twin"):
        raise QueryFileError(f"{where}: a typo query needs its correctly spelled twin")
    brand_check = raw.get("brand_check", conditions.get("brand", []))
    return RelevanceQuery(
        id=str(raw["id"]), kind=raw["kind"], text=text, conditions=conditions,
        type_keys=tuple(type_keys), twin=raw.get("twin"), note=raw.get("note"),
        brand_check=tuple(brand_check), source=where,
    )


@dataclass
class TypeInference:
    """The article type a product's title names, learned from the labelled products."""

    phrases: list[tuple[str, str]] = field(default_factory=list)  # (normalised name, type)
    last_words: dict[str, str] = field(default_factory=dict)

    @classmethod
    def learn(cls, products: Iterable[Product]) -> TypeInference:
        labelled = [p for p in products if p.article_type]
        names = {normalise(p.article_type): p.article_type for p in labelled}  # type: ignore[arg-type]
        phrases = sorted(names.items())
        by_word: dict[str, Counter[str]] = defaultdict(Counter)
        for p in labelled:
            words = normalise(p.title).split()
            if words:
                by_word[words[-1]][p.article_type] += 1  # type: ignore[index]
        last_words = {}
        for word, counts in by_word.items():
            top, n = counts.most_common(1)[0]
            if n >= LAST_WORD_MIN and n / sum(counts.values()) >= LAST_WORD_SHARE:
                last_words[word] = top
        return cls(phrases, last_words)

    def infer(self, title: str) -> str | None:
        """The type name the title contains nearest its end (titles end with the type: "Nike
        Men Football Tshirt"), the longer on a tie; else its last word's usual type."""
        text = f" {normalise(title)} "
        found = [(text.rfind(f" {phrase} ") + len(phrase), len(phrase), name)
                 for phrase, name in self.phrases if f" {phrase} " in text]
        if found:
            return max(found)[2]
        words = text.split()
        return self.last_words.get(words[-1]) if words else None


class Grader:
    """Grades products of one catalog for queries; built once per catalog."""

    def __init__(self, products: Sequence[Product], inference: TypeInference | None = None) -> None:
        self.products = list(products)
        self.inference = inference or TypeInference.learn(self.products)
        self._titles = [normalise(p.title) for p in self.products]
        self._raw_titles = [" ".join(p.title.lower().split()) for p in self.products]
        self._types = [p.article_type or self.inference.infer(p.title) for p in self.products]

    def holds(self, i: int, key: str, value: Any) -> bool:
        """Whether product ``i`` meets one condition."""
        p = self.products[i]
        if key == "brand":
            return any(self._raw_titles[i].startswith(b.lower()) and
                       (len(self._raw_titles[i]) == len(b) or not self._raw_titles[i][len(b)].isalnum())
                       for b in value)
        if key == "title":
            return any(_phrase_in(normalise(phrase), self._titles[i]) for phrase in value)
        if key in ("price_max", "price_min"):
            if p.price is None:
                return True
            return p.price <= value if key == "price_max" else p.price >= value
        actual = self._types[i] if key == "article_type" else getattr(p, key)
        return actual is not None and actual.casefold() in {v.casefold() for v in value}

    def grade(self, query: RelevanceQuery, i: int) -> int:
        if all(self.holds(i, k, v) for k, v in query.conditions.items()):
            return 2
        if query.type_keys and all(self.holds(i, k, query.conditions[k]) for k in query.type_keys):
            return 1
        return 0

    def grades(self, query: RelevanceQuery) -> list[int]:
        """The grade of every product, in catalog order."""
        return [self.grade(query, i) for i in range(len(self.products))]

    def has_brand(self, brands: Sequence[str], i: int) -> bool:
        return self.holds(i, "brand", list(brands))
