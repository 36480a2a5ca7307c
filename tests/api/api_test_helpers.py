"""Helpers for the API tests that parametrize needs at collection time."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image

SECRET = "test-secret-" + "x" * 40


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (40, 40), colour: str = "red") -> bytes:
    """A small real image file in ``fmt``."""
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, fmt)
    return out.getvalue()


def settle(app: Any) -> None:
    """Write an app's deferred Redis writes now, before the test's Redis client is closed: a
    timer firing later would open a new connection on the closed client and leak it."""
    from api.context import EXTENSION

    state = app.extensions[EXTENSION]
    state.analytics.flush()
    cache = getattr(state.live.current().searcher, "cache", None)
    if cache is not None:
        cache.flush()
