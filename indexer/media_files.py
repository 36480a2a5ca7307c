"""Local image files an ingested product may use, and nothing else on the server's disk.

A product's image is either an http(s) URL (fetched through ``indexer.media``) or the name of
a file in the media dir, where uploads and imported catalog photos are stored by content hash.
A path in a feed (``/etc/...``, ``../..``) is refused without touching the disk, and refusals
never name a server path, so they cannot tell a caller whether a file exists.

Catalog photos reach the media dir only through ``import_catalog_image``, which the CLI calls
for the catalog folder it is importing: the path is resolved (symlinks followed), must lie
inside that folder, and is re-checked after reading.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from indexer.errors import MediaError
from indexer.media import sniff

# A plain file name: no separators, no leading dot (so never "." or "..").
MEDIA_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}")
EXTENSIONS = {"jpeg": "jpg", "png": "png", "webp": "webp"}


class LocalImageRefused(MediaError):
    """A local image reference that is not a file in the media dir (or the catalog folder)."""


def is_url(ref: str) -> bool:
    return ref.startswith(("http://", "https://"))


def media_file(media_dir: Path, name: str) -> Path:
    """The file ``name`` in ``media_dir``, resolved and checked to be inside it.

    Raises:
        LocalImageRefused: not a plain name, missing, or (through a link) outside the media dir.
    """
    if not MEDIA_NAME.fullmatch(name):
        raise LocalImageRefused("the image must be an http(s) URL or the name of an uploaded image")
    root = media_dir.resolve()
    try:
        path = (root / name).resolve(strict=True)
    except OSError:
        raise LocalImageRefused(f"the uploaded image {name} is missing") from None
    if not path.is_relative_to(root) or not path.is_file():
        raise LocalImageRefused(f"the uploaded image {name} is missing")
    return path


def inside(path: Path, root: Path) -> Path | None:
    """``path`` resolved (symlinks followed) when it is a file inside ``root``, else None."""
    try:
        resolved = path.resolve(strict=True)
    except OSError:
        return None
    return resolved if resolved.is_relative_to(root.resolve()) and resolved.is_file() else None


def store_media(data: bytes, media_dir: Path) -> str:
    """Store image bytes under their content hash in ``media_dir``; returns the file name."""
    kind = sniff(data)
    if kind is None:
        raise LocalImageRefused("the image must be JPEG, PNG or WEBP")
    name = f"{hashlib.sha256(data).hexdigest()[:40]}.{EXTENSIONS[kind]}"
    target = media_dir / name
    if not target.exists():
        media_dir.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(target)
    return name


def import_catalog_image(path: Path, catalog_root: Path, media_dir: Path) -> str:
    """Copy a photo of the catalog being imported into the media dir; returns its media name.

    Raises:
        LocalImageRefused: the file is not inside ``catalog_root`` (after following links),
            is missing, or changed place while being read.
    """
    where = inside(path, catalog_root)
    if where is None:
        raise LocalImageRefused(f"image {path.name} is not a file inside the catalog folder")
    data = where.read_bytes()
    if inside(path, catalog_root) != where:  # swapped for a link while it was read
        raise LocalImageRefused(f"image {path.name} changed while it was read")
    return store_media(data, media_dir)
