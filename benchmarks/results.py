"""Writing a benchmark's results where ``--json`` points."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def write_json(path: Path | None, results: Any) -> None:
    """Write ``results`` as indented JSON to ``path`` (creating its folder); nothing when None."""
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2))
