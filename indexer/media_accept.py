"""Accepting an uploaded or fetched image (``accept_image``): by content (JPEG, PNG, WEBP), at
most so many pixels judged from the header, decoded under the encoder's decompression-bomb guard
and a bound on decodes at once, and re-encoded before the model sees it.

Every refusal is an ``indexer.errors.MediaError``; the API maps each kind to its status.
``indexer.media`` (the safe URL fetch) exports these names too.
"""

from __future__ import annotations

import hashlib
import io
import os
import threading
import warnings
from dataclasses import dataclass

from PIL import Image

from encoder import MAX_PIXELS
from indexer.errors import BadImage, ImageTooLarge, UnsupportedImage

# The model looks at ~224 px; anything much larger only costs time, so re-encoding
# also scales down. 1024 leaves headroom for models with larger inputs.
MAX_SIDE = 1024
# A query photo needs no more than a phone camera's 12 MP; a 40 MP PNG is a few KB to send and
# a second of CPU and hundreds of MB to decode (a pixel flood), so queries stop well below the
# encoder's MAX_PIXELS.
QUERY_MAX_PIXELS = 16_000_000
# Decodes at once per process: more only share the same cores and add up their memory.
_DECODES = threading.BoundedSemaphore(max(2, os.cpu_count() or 2))

ACCEPTED = "JPEG, PNG or WEBP"
_DECODE_ERRORS = (
    OSError, ValueError, SyntaxError, Image.DecompressionBombError, Image.DecompressionBombWarning,
)


def sniff(data: bytes) -> str | None:
    """The image format by its magic bytes (never by file name or declared type)."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


@dataclass(frozen=True)
class QueryImage:
    """A decoded, re-encoded query image and the hash its embedding is cached under."""

    image: Image.Image
    digest: str
    format: str


def accept_image(data: bytes, max_bytes: int, max_pixels: int = QUERY_MAX_PIXELS) -> QueryImage:
    """Check and decode an uploaded or fetched image: at most ``max_pixels`` (judged from
    the header, before decoding), JPEGs decoded at a reduced scale near MAX_SIDE (draft mode),
    a bounded number of decodes at once.

    Raises:
        ImageTooLarge: more than ``max_bytes``.
        UnsupportedImage: not JPEG, PNG or WEBP by content.
        BadImage: empty, corrupt, truncated, or too many pixels (a decompression bomb).
    """
    if not data:
        raise BadImage("the image is empty")
    if len(data) > max_bytes:
        raise ImageTooLarge(f"the image is {len(data):,} bytes; the limit is {max_bytes:,}")
    kind = sniff(data)
    if kind is None:
        raise UnsupportedImage(f"the image must be {ACCEPTED} (judged by its content)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
        with probe:
            # A file that starts like a PNG but decodes as something else is a polyglot.
            if (probe.format or "").lower() != kind:
                raise UnsupportedImage(f"the image content is not a valid {kind.upper()} file")
            width, height = probe.size
            if width * height > min(max_pixels, MAX_PIXELS):
                raise BadImage(f"the image is {width}x{height} pixels; the limit is "
                               f"{min(max_pixels, MAX_PIXELS):,} pixels")
            with _DECODES:
                if kind == "jpeg":
                    probe.draft("RGB", (MAX_SIDE, MAX_SIDE))  # decode at 1/2, 1/4 or 1/8 scale
                probe.load()
                decoded = probe.convert("RGB")
    except _DECODE_ERRORS as e:
        raise BadImage(f"the image could not be decoded: {e}") from e
    decoded.thumbnail((MAX_SIDE, MAX_SIDE))
    # Re-encoding drops whatever rode along in the file (metadata, trailing payloads of
    # polyglots); hashing the pixels makes the cache key independent of the container.
    clean = Image.frombytes("RGB", decoded.size, decoded.tobytes())
    digest = hashlib.sha256(f"{clean.size}".encode() + clean.tobytes()).hexdigest()
    return QueryImage(clean, digest, kind)
