"""Helpers for the API tests that parametrize needs at collection time."""

from __future__ import annotations

import io

from PIL import Image

REDIS_URL = "redis://127.0.0.1:6379/15"  # a database of its own, flushed around each test
SECRET = "test-secret-" + "x" * 40


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (40, 40), colour: str = "red") -> bytes:
    """A small real image file in ``fmt``."""
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, fmt)
    return out.getvalue()
