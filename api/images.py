"""Query images from shoppers: accepted by content (JPEG, PNG, WEBP), decoded under the
encoder's decompression-bomb guard, and re-encoded before the model sees them."""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image

from api.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType
from encoder import ImageDecodeError, load_image

# The model looks at ~224 px; anything much larger only costs time, so re-encoding
# also scales down. 1024 leaves headroom for models with larger inputs.
MAX_SIDE = 1024

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


def accept_image(data: bytes, max_bytes: int) -> QueryImage:
    """Check and decode an uploaded or fetched image.

    Raises:
        PayloadTooLarge: more than ``max_bytes``.
        UnsupportedMediaType: not JPEG, PNG or WEBP by content.
        BadRequest: empty, corrupt, truncated, or too many pixels (a decompression bomb).
    """
    if not data:
        raise BadRequest("the image is empty")
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"the image is {len(data):,} bytes; the limit is {max_bytes:,}")
    kind = sniff(data)
    if kind is None:
        raise UnsupportedMediaType(f"the image must be {ACCEPTED} (judged by its content)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
        with probe:
            # A file that starts like a PNG but decodes as something else is a polyglot.
            if (probe.format or "").lower() != kind:
                raise UnsupportedMediaType(f"the image content is not a valid {kind.upper()} file")
        decoded = load_image(data)
    except ImageDecodeError as e:
        raise BadRequest(f"the image could not be decoded: {_reason(e)}") from e
    except _DECODE_ERRORS as e:
        raise BadRequest(f"the image could not be decoded: {e}") from e
    decoded.thumbnail((MAX_SIDE, MAX_SIDE))
    # Re-encoding drops whatever rode along in the file (metadata, trailing payloads of
    # polyglots); hashing the pixels makes the cache key independent of the container.
    clean = Image.frombytes("RGB", decoded.size, decoded.tobytes())
    digest = hashlib.sha256(f"{clean.size}".encode() + clean.tobytes()).hexdigest()
    return QueryImage(clean, digest, kind)


def _reason(e: ImageDecodeError) -> str:
    text = str(e)
    return text.replace("<bytes> ", "").replace("image <bytes>", "it")

