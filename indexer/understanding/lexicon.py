"""The shopper-word lexicon: loaded from ``lexicon.json`` (or another file) and checked."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as _field
from pathlib import Path
from typing import Any

DEFAULT_PATH = Path(__file__).with_name("lexicon.json")
TYPE_FIELDS = ("article_type", "sub_category", "category")
_SECTIONS = ("colours", "types", "genders", "occasions", "seasons", "materials", "brands", "stopwords")


class LexiconError(ValueError):
    """The lexicon file is missing, not JSON, or has an entry of the wrong shape."""


@dataclass(frozen=True)
class Lexicon:
    """Shopper phrases and what they mean in catalog terms (see the package docstring)."""

    colours: Mapping[str, tuple[str, ...]]
    types: Mapping[str, tuple[str, tuple[str, ...]]]  # phrase -> (field, values)
    genders: Mapping[str, tuple[str, ...]]
    occasions: Mapping[str, tuple[str, ...]]
    seasons: Mapping[str, tuple[str, ...]]
    materials: Mapping[str, str]
    brand_aliases: Mapping[str, str]
    known_brands: tuple[str, ...]
    separate_brands: tuple[str, ...]  # not a sub-line of the brand their name starts with
    title_gender_words: frozenset[str]
    brand_descriptors: frozenset[str]
    brand_min_count: int
    stopwords: frozenset[str]
    # field -> value -> the value one level up (article_type -> sub_category -> category): where
    # a type belongs when the catalog has none of it to say so ("Earrings" -> "Jewellery")
    parents: Mapping[str, Mapping[str, str]] = _field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path | None = None) -> Lexicon:
        """Read and check a lexicon file (the shipped one when ``path`` is None).

        Raises:
            LexiconError: unreadable file or a malformed entry, named in the message.
        """
        source = Path(path) if path is not None else DEFAULT_PATH
        try:
            data = json.loads(source.read_text(encoding="utf-8"))
        except OSError as exc:
            raise LexiconError(f"cannot read the lexicon {source}: {exc.strerror or exc}") from None
        except json.JSONDecodeError as exc:
            raise LexiconError(f"{source} is not valid JSON: {exc}") from None
        try:
            return cls.from_dict(data)
        except LexiconError as exc:
            raise LexiconError(f"{source}: {exc}") from None

    @classmethod
    def from_dict(cls, data: Any) -> Lexicon:
        """Build a lexicon from the parsed JSON object; raises LexiconError on a bad shape."""
        if not isinstance(data, dict):
            raise LexiconError("the lexicon must be a JSON object")
        missing = [name for name in _SECTIONS if name not in data]
        if missing:
            raise LexiconError(f"missing section(s): {', '.join(missing)}")
        brands = _mapping(data, "brands")
        min_count = brands.get("min_count", 2)
        if not isinstance(min_count, int) or isinstance(min_count, bool) or min_count < 1:
            raise LexiconError(f"brands.min_count must be a whole number >= 1, got {min_count!r}")
        return cls(
            colours=_value_lists(data, "colours"),
            types=_types(data),
            genders=_value_lists(data, "genders"),
            occasions=_value_lists(data, "occasions"),
            seasons=_value_lists(data, "seasons"),
            materials=_strings_by_phrase(data, "materials"),
            brand_aliases=_strings_by_phrase(brands, "aliases", "brands.aliases"),
            known_brands=_string_list(brands, "known", "brands."),
            separate_brands=_string_list(brands, "separate", "brands."),
            title_gender_words=frozenset(_string_list(brands, "title_gender_words", "brands.")),
            brand_descriptors=frozenset(_string_list(brands, "descriptors", "brands.")),
            brand_min_count=min_count,
            stopwords=frozenset(_string_list(data, "stopwords", "")),
            parents=_parents(data),
        )


def _mapping(data: Mapping[str, Any], name: str, where: str | None = None) -> dict[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise LexiconError(f"{where or name} must be an object")
    return value


def _value_lists(data: Mapping[str, Any], name: str) -> dict[str, tuple[str, ...]]:
    out = {}
    for phrase, values in _mapping(data, name).items():
        if not (isinstance(values, list) and values and all(isinstance(v, str) and v for v in values)):
            raise LexiconError(f"{name}[{phrase!r}] must be a non-empty list of catalog values")
        out[phrase] = tuple(values)
    return out


def _types(data: Mapping[str, Any]) -> dict[str, tuple[str, tuple[str, ...]]]:
    out = {}
    for phrase, target in _mapping(data, "types").items():
        if not (isinstance(target, dict) and len(target) == 1):
            raise LexiconError(f"types[{phrase!r}] must be an object with exactly one field")
        (field, values), = target.items()
        if field not in TYPE_FIELDS:
            raise LexiconError(f"types[{phrase!r}]: field must be one of {', '.join(TYPE_FIELDS)}")
        if not (isinstance(values, list) and values and all(isinstance(v, str) and v for v in values)):
            raise LexiconError(f"types[{phrase!r}].{field} must be a non-empty list of values")
        out[phrase] = (field, tuple(values))
    return out


def _parents(data: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """The optional ``parents`` section: {"article_type": {value: sub_category}, "sub_category":
    {value: category}}."""
    parents = _mapping(data, "parents")
    out = {}
    for level in parents:
        if level not in TYPE_FIELDS[:2]:
            raise LexiconError(f"parents: level must be one of {', '.join(TYPE_FIELDS[:2])}, got {level!r}")
        out[level] = _strings_by_phrase(parents, level, f"parents.{level}")
    return out


def _strings_by_phrase(data: Mapping[str, Any], name: str, where: str | None = None) -> dict[str, str]:
    out = {}
    for phrase, value in _mapping(data, name, where).items():
        if not (isinstance(value, str) and value):
            raise LexiconError(f"{where or name}[{phrase!r}] must be a non-empty string")
        out[phrase] = value
    return out


def _string_list(data: Mapping[str, Any], name: str, prefix: str) -> tuple[str, ...]:
    value = data.get(name, [])
    if not (isinstance(value, list) and all(isinstance(v, str) and v for v in value)):
        raise LexiconError(f"{prefix}{name} must be a list of non-empty strings")
    return tuple(value)
