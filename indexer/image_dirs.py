"""The local folders whose photos ``GET /products/{id}/image`` may serve, and nothing else.

A product's ``image`` payload is a URL or a local path. A local path is served only when the
file, with every symlink resolved, lies directly in one of:

- the media dir (uploads and queued catalog photos, stored there by content hash), or
- a folder registered by ``vitrine index --catalog``: the import records the folders that
  hold the catalog's photos (``register_image_dirs``) in ``<data dir>/image-dirs.json``, so
  the sample catalog's photos are served in place instead of copied.

The path in a payload is never trusted on its own: ``/etc/passwd``, ``../..`` or a link out
of a registered folder resolve to a file outside them and are refused. Folders are matched
exactly (a registered folder's subfolders are not served unless registered too), and the
file is re-checked after it is opened, so swapping it for a link in between does not help.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

FILE = "image-dirs.json"


def _is_url(ref: str) -> bool:
    return ref.startswith(("http://", "https://"))


def register_image_dirs(data_dir: Path, images: Iterable[str]) -> list[Path]:
    """Record the folders holding the local ``images`` of an imported catalog (resolved),
    beside those recorded before; returns every registered folder."""
    new = set()
    for image in images:
        if image and not _is_url(image):
            new.add(Path(image).resolve().parent)
    path = data_dir / FILE
    known = set(read_image_dirs(data_dir))
    if new <= known:
        return sorted(known)
    dirs = sorted(known | new)
    data_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"dirs": [str(d) for d in dirs]}, indent=1))
    tmp.replace(path)
    return dirs


def read_image_dirs(data_dir: Path) -> list[Path]:
    """The registered folders (none when nothing was imported, or the file is unreadable)."""
    try:
        raw = json.loads((data_dir / FILE).read_text())
    except (OSError, ValueError):
        return []
    dirs = raw.get("dirs") if isinstance(raw, dict) else None
    if not isinstance(dirs, list):
        return []
    return [Path(d) for d in dirs if isinstance(d, str) and Path(d).is_absolute()]


class ImageDirs:
    """The folders one API serves photos from; re-reads the registry when an import changed it."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._stamp: float | None = None
        self._dirs: frozenset[Path] = frozenset()
        self._lock = threading.Lock()

    def registered(self) -> frozenset[Path]:
        try:
            stamp: float | None = (self.data_dir / FILE).stat().st_mtime
        except OSError:
            stamp = None
        with self._lock:
            if stamp != self._stamp:
                self._dirs = frozenset(read_image_dirs(self.data_dir))
                self._stamp = stamp
            return self._dirs

    def allowed(self, path: Path, media_dir: Path) -> bool:
        parent = path.parent
        return parent == media_dir.resolve() or parent in self.registered()

    def open(self, source: str, media_dir: Path) -> BinaryIO | None:
        """The photo ``source`` names, opened, when it is a file directly in the media dir or
        a registered folder (after resolving links, checked again once open); else None."""
        if not source or _is_url(source) or "\x00" in source:
            return None
        try:
            resolved = Path(source).resolve(strict=True)
        except (OSError, RuntimeError):  # missing, or a loop of links
            return None
        if not self.allowed(resolved, media_dir) or not resolved.is_file():
            return None
        try:
            fd = os.open(resolved, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            return None
        # Unbuffered: a server's sendfile starts at the descriptor's own offset, which a
        # buffered reader leaves past whatever it read ahead (a caller that sniffs the first
        # bytes and seeks back would send the photo without its head).
        handle = os.fdopen(fd, "rb", buffering=0)
        try:
            # The file opened is the one checked: not swapped for another since.
            same = os.path.samestat(os.fstat(fd), os.stat(resolved))
            if same and Path(os.path.realpath(resolved)) == resolved:
                return handle
        except OSError:
            pass
        handle.close()
        return None
