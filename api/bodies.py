"""Reading JSON request bodies with their own, small size cap.

Uploads justify a request cap of megabytes; a JSON search or token request is a few
hundred bytes, so JSON bodies get a much lower one and are never read past it.
"""

from __future__ import annotations

from typing import Any

from flask import request

from api.errors import PayloadTooLarge
from api.params import parse_json

MAX_JSON_BYTES = 64 * 1024


def json_body(max_bytes: int = MAX_JSON_BYTES) -> Any:
    """The parsed JSON body (any JSON value; callers check its shape).

    Raises:
        PayloadTooLarge: over ``max_bytes``.
        BadRequest: not valid JSON.
    """
    if request.content_length is not None and request.content_length > max_bytes:
        raise PayloadTooLarge(f"a JSON body may be at most {max_bytes:,} bytes")
    data = request.stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"a JSON body may be at most {max_bytes:,} bytes")
    return parse_json(data)
