"""Reading the environment: the one place the process environment is read (``environ``), and
the parsing every settings section shares."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

from errors import SettingsError


def environ() -> Mapping[str, str]:
    """The process environment; nothing else in Vitrine reads ``os.environ``."""
    return os.environ


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def parse_value(kind: Any, raw: str) -> Any:
    """One environment value as the dataclass field type ``kind`` (an annotation string).

    Raises:
        ValueError: the text is not of that type.
    """
    if kind == "int":
        return int(raw)
    if kind == "float":
        return float(raw)
    if kind == "bool":
        if raw.lower() not in _TRUE | _FALSE:
            raise SettingsError(raw)
        return raw.lower() in _TRUE
    if kind == "Path":
        return Path(raw)
    if kind == "tuple[int, ...]":
        return tuple(int(x) for x in raw.split(",") if x.strip())
    if kind == "tuple[str, ...]":
        return tuple(x.strip().rstrip("/") for x in raw.split(",") if x.strip())
    return raw


def read_env(cls: type, names: Mapping[str, str], env: Mapping[str, str]) -> dict[str, Any]:
    """The fields of settings class ``cls`` that ``env`` sets, parsed: ``names`` maps each field
    to its variable. Every settings class of the project reads the environment through this.

    Raises:
        ValueError: naming the variable, its value and the type it should have.
    """
    kinds = {f.name: f.type for f in fields(cls)}
    values: dict[str, Any] = {}
    for name, var in names.items():
        raw = env.get(var, "").strip()
        if not raw:
            continue
        try:
            values[name] = parse_value(kinds[name], raw)
        except ValueError:
            raise SettingsError(f"{var}={raw!r} is not a valid {kinds[name]}") from None
    return values
