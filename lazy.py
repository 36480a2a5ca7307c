"""Lazy package exports (PEP 562): a package names what it exports and where each name lives, and
``lazy_exports`` gives it the module ``__getattr__`` that imports a name on first use.

The packages (encoder, indexer, indexer.search, workers) export this way so that importing a
light part of one (``vitrine --help``, settings, filters) does not load torch or the Qdrant
client. This module is the bottom layer: it imports nothing of the project.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any


def lazy_exports(package: str, exports: Mapping[str, str],
                 namespace: MutableMapping[str, Any]) -> Callable[[str], Any]:
    """The ``__getattr__`` of ``package``: ``exports`` maps each exported name to its module; the
    name is imported from there on first use and kept in ``namespace`` (the package's globals),
    so later lookups do not come back here."""

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    return __getattr__
