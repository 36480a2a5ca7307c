"""Helpers for the API tests that parametrize needs at collection time."""

from __future__ import annotations

import io

from PIL import Image


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (40, 40), colour: str = "red") -> bytes:
    """A small real image file in ``fmt``."""
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, fmt)
    return out.getvalue()
