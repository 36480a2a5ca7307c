"""Strict parsing of request parameters: wrong types and unknown keys are 400s that say
what is expected, never a 500 and never silently ignored."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from api.errors import BadRequest
from indexer import FilterSpec, parse_filters
from indexer.filters import hide_out_of_stock
from indexer.search.model import SORTS, SearchRequest
from indexer.search.reading import KINDS, UNDERSTAND_MODES

SEARCH_KEYS = ("text", "image_url", "alpha", "filters", "k", "offset", "sort", "facets", "exact",
               "understand", "ignore", "diversity", "include_out_of_stock", "group")
DEFAULT_K = 10


def parse_json(data: bytes | str, what: str = "the body") -> Any:
    """Parse JSON text, turning every way it can fail into a 400.

    Python's parser raises RecursionError (not ValueError) on deeply nested input, and
    accepts NaN and Infinity; numbers are checked for finiteness where they are used.
    """
    try:
        return json.loads(data)
    except RecursionError:
        raise BadRequest(f"{what} is nested too deeply") from None
    except UnicodeDecodeError:
        raise BadRequest(f"{what} is not UTF-8 text") from None
    except ValueError as e:
        raise BadRequest(f"{what} is not valid JSON: {e}") from None


def as_whole(name: str, value: Any) -> int:
    """A whole number, from JSON or from a query/form string (its range is the caller's to check)."""
    if isinstance(value, str):
        text = value.strip()
        if not text.lstrip("-").isdigit() or len(text) > 12:
            raise BadRequest(f"{name} must be a whole number, got {value!r}")
        value = int(text)
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest(f"{name} must be a whole number, got {value!r}")
    return value


def as_int(name: str, value: Any, low: int, high: int) -> int:
    """A whole number in [low, high], from JSON or from a query/form string."""
    value = as_whole(name, value)
    if not low <= value <= high:
        raise BadRequest(f"{name} must be between {low} and {high}, got {value}")
    return value


def as_number(name: str, value: Any) -> float:
    """A finite number (NaN and infinities are refused), kept as given: its range is the
    caller's to check, and an out-of-range 2 is reported as 2."""
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise BadRequest(f"{name} must be a number, got {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise BadRequest(f"{name} must be a finite number, got {value!r}")
    return value


def as_bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "1", "false", "0"}:
        return value.strip().lower() in {"true", "1"}
    raise BadRequest(f"{name} must be true or false, got {value!r}")


def as_text(name: str, value: Any, max_len: int | None = None) -> str | None:
    """Stripped text (None when empty); ``max_len``: refuse longer text here."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadRequest(f"{name} must be a string, got {type(value).__name__}")
    value = value.strip()
    if max_len is not None and len(value) > max_len:
        raise BadRequest(f"{name} is longer than {max_len} characters")
    if "\x00" in value:
        raise BadRequest(f"{name} must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates, which JSON's \\u escapes can smuggle in
        raise BadRequest(f"{name} is not valid Unicode text") from None
    return value or None


def as_filters(value: Any) -> FilterSpec:
    """Filters as a JSON object, or (in forms and query strings) its JSON text."""
    if value is None or value == "":
        return FilterSpec()
    if isinstance(value, str):
        value = parse_json(value, "filters")
    return parse_filters(value)  # FilterError (400) names the valid fields


def stock_filter(spec: FilterSpec, include_out_of_stock: Any) -> FilterSpec:
    """Search hides out-of-stock products unless ``include_out_of_stock`` (or an ``in_stock``
    filter says otherwise); they stay readable by id."""
    if include_out_of_stock not in (None, "") and as_bool("include_out_of_stock", include_out_of_stock):
        return spec
    return hide_out_of_stock(spec)


def as_understand(value: Any) -> str | None:
    """``understand``: boost, filter or off (None: the server's default)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or value not in UNDERSTAND_MODES:
        raise BadRequest(f"understand must be one of {', '.join(UNDERSTAND_MODES)}, got {value!r}")
    return value


def as_ignore(value: Any, form: bool = False) -> tuple[str, ...]:
    """``ignore``: understood kinds to leave out, a JSON list (in forms: its JSON text or the kinds
    separated by commas)."""
    if value is None or value == "":
        return ()
    if isinstance(value, str) and form:
        value = parse_json(value, "ignore") if value.lstrip().startswith("[") else value.split(",")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadRequest(f"ignore must be a list of kinds ({', '.join(KINDS)})")
    if len(value) > 2 * len(KINDS):
        raise BadRequest(f"ignore lists at most {2 * len(KINDS)} kinds")
    return tuple(v.strip() for v in value if v.strip())


def parse_search(raw: Mapping[str, Any], *, form: bool = False) -> SearchRequest:
    """Read a search body: a JSON object, or (``form``) multipart fields, which are all text.
    Types and names are checked here; ranges and combinations by the search service."""
    if not form:
        # JSON has types: "k": "5" is a client bug worth reporting, not guessing around.
        json_types: tuple[tuple[str, tuple[type, ...], str], ...] = (
            ("k", (int,), "int"), ("offset", (int,), "int"), ("alpha", (int, float), "number"),
            ("facets", (bool,), "bool"), ("exact", (bool,), "bool"),
            ("diversity", (int, float), "number"), ("include_out_of_stock", (bool,), "bool"),
            ("group", (bool,), "bool"))
        for name, kinds, kind_name in json_types:
            if name in raw and raw[name] is not None and not isinstance(raw[name], kinds):
                raise BadRequest(f"{name} must be a JSON {kind_name}, got {raw[name]!r}")
            if name in ("k", "offset") and isinstance(raw.get(name), bool):
                raise BadRequest(f"{name} must be a whole number, got {raw[name]!r}")
        if "filters" in raw and raw["filters"] is not None and not isinstance(raw["filters"], dict):
            raise BadRequest("filters must be a JSON object")
    if "image" in raw:
        raise BadRequest("send the photo as a multipart file field named 'image', or give an image_url")
    unknown = sorted(set(raw) - set(SEARCH_KEYS))
    if unknown:
        raise BadRequest(f"unknown field(s) {', '.join(unknown)}; a search takes {', '.join(SEARCH_KEYS)}")
    sort = raw.get("sort", "relevance")
    if not isinstance(sort, str):
        raise BadRequest(f"sort must be one of {', '.join(SORTS)}, got {sort!r}")
    alpha = raw.get("alpha")
    return SearchRequest(
        text=as_text("text", raw.get("text")),
        image_url=as_text("image_url", raw.get("image_url"), 2048),
        alpha=None if alpha is None or alpha == "" else as_number("alpha", alpha),
        filters=stock_filter(as_filters(raw.get("filters")), raw.get("include_out_of_stock")),
        k=as_whole("k", raw.get("k", DEFAULT_K)),
        offset=as_whole("offset", raw.get("offset", 0)),
        sort=sort,
        facets=as_bool("facets", raw.get("facets", True)),
        exact=as_bool("exact", raw.get("exact", False)),
        understand=as_understand(raw.get("understand")),
        ignore=as_ignore(raw.get("ignore"), form),
        diversity=None if raw.get("diversity") in (None, "") else as_number("diversity", raw["diversity"]),
        group=as_bool("group", raw.get("group", True)),
    )
