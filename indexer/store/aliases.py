"""Collection aliases for the embedded store: a logical name pointing at a physical shard.

The Qdrant server has aliases of its own; for Qdrant Edge the same idea is a small
JSON file beside the shards, replaced atomically (write, fsync, rename), so a reader
sees either the old target or the new one and never a half-written file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

ALIAS_FILE = "aliases.json"


def edge_root(data_dir: str | Path) -> Path:
    return Path(data_dir) / "edge"


def read_edge_aliases(data_dir: str | Path) -> dict[str, str]:
    path = edge_root(data_dir) / ALIAS_FILE
    if not path.is_file():
        return {}
    return dict(json.loads(path.read_text(encoding="utf-8")))


def resolve_edge_alias(data_dir: str | Path, name: str) -> str:
    """The physical shard a logical collection name points at (itself when no alias exists)."""
    return read_edge_aliases(data_dir).get(name, name)


def write_edge_alias(data_dir: str | Path, name: str, target: str) -> None:
    """Point ``name`` at ``target`` atomically."""
    root = edge_root(data_dir)
    root.mkdir(parents=True, exist_ok=True)
    aliases = read_edge_aliases(data_dir)
    aliases[name] = target
    tmp = root / f".{ALIAS_FILE}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(aliases, f)
        f.flush()
        os.fsync(f.fileno())
    tmp.replace(root / ALIAS_FILE)
    dir_fd = os.open(root, os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # make the rename itself durable
    finally:
        os.close(dir_fd)
