"""The packages' lazy exports (lazy.py): a name is imported on first use and kept, an unknown
name is an AttributeError, and importing a package alone loads none of the heavy libraries."""

from __future__ import annotations

import subprocess
import sys

import pytest

from lazy import lazy_exports


def test_a_name_is_imported_on_first_use_and_kept() -> None:
    namespace: dict[str, object] = {}
    getattr_ = lazy_exports("pkg", {"sqrt": "math"}, namespace)
    import math

    assert getattr_("sqrt") is math.sqrt
    assert namespace == {"sqrt": math.sqrt}
    with pytest.raises(AttributeError, match="module 'pkg' has no attribute 'cos'"):
        getattr_("cos")


def test_importing_the_packages_loads_no_heavy_library() -> None:
    probe = ("import sys, encoder, indexer, indexer.search, workers\n"
             "print(sorted(m for m in ('torch', 'qdrant_client', 'qdrant_edge', 'rq') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
