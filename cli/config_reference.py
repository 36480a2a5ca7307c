"""The configuration reference (every environment variable, its default, who reads it), generated
from the settings classes themselves so that docs/configuration.md cannot drift from the code.

    python -m cli.config_reference
"""

from __future__ import annotations

import ast
import inspect
import itertools
import re
from dataclasses import MISSING, fields
from typing import Any

from settings.api import ApiSettings
from settings.core import Settings
from settings.merch import MerchSettings
from settings.queue import QueueSettings
from settings.shared import SharedSettings

READERS: list[tuple[type, str]] = [
    (Settings, "search core: CLI, API, workers"),
    (ApiSettings, "API"),
    (QueueSettings, "workers, ingestion CLI"),
    (MerchSettings, "API (merchandising)"),
]
_VAR = re.compile(r"\[([A-Z][A-Z0-9_]*)\]\.?\s*$")


def _docstrings(cls: type) -> dict[str, str]:
    """Attribute docstrings (the string literal after each field) of a dataclass."""
    tree = ast.parse(inspect.getsource(cls))
    body = tree.body[0].body  # type: ignore[attr-defined]
    out: dict[str, str] = {}
    for node, following in itertools.pairwise(body):
        is_field = isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
        if is_field and isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant):
            out[node.target.id] = " ".join(str(following.value.value).split())
    return out


def _default(value: Any) -> str:
    if value is None or value == ():
        return "(unset)"
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    return str(value)


def _shared_readers(name: str) -> str:
    """The sections that take the shared field ``name`` (their SHARED maps), as "read by" text."""
    return "; ".join(reader for cls, reader in READERS if name in getattr(cls, "SHARED", {}).values())


def rows() -> list[tuple[str, str, str, str]]:
    """(variable, default, read by, meaning) for every setting, sorted by variable."""
    seen: dict[str, tuple[str, str, str, str]] = {}
    for cls, reader in [*READERS, (SharedSettings, "")]:
        docs = _docstrings(cls)
        for f in fields(cls):
            doc = docs.get(f.name, "")
            match = _VAR.search(doc)
            if not match:
                continue
            var = match.group(1)
            factory = f.default_factory
            default = f.default if f.default is not MISSING else factory() if callable(factory) else None
            meaning = _VAR.sub("", doc).strip()
            # A variable has one home (tests/settings checks it); a shared one names every reader.
            seen[var] = (var, _default(default), reader or _shared_readers(f.name), meaning)
    return [seen[k] for k in sorted(seen)]


def markdown() -> str:
    lines = ["| variable | default | read by | meaning |", "|---|---|---|---|"]
    lines += [f"| `{v}` | `{d}` | {r} | {m} |" for v, d, r, m in rows()]
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown())
