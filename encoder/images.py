"""Image decoding with limits: what a shopper uploads is untrusted input."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from encoder.errors import ImageDecodeError

# A 224 px product photo is ~50k pixels; 40 Mpx leaves room for camera photos
# while refusing decompression bombs long before they allocate gigabytes.
MAX_PIXELS = 40_000_000

ImageSource = Image.Image | str | Path | bytes


def load_image(source: ImageSource) -> Image.Image:
    """Open ``source`` (PIL image, path or raw bytes) as a decoded RGB image.

    Raises:
        ImageDecodeError: the file is missing, truncated, not an image, or too large.
    """
    if isinstance(source, Image.Image):
        return source.convert("RGB")
    name = "<bytes>" if isinstance(source, bytes) else str(source)
    try:
        handle = io.BytesIO(source) if isinstance(source, bytes) else open(source, "rb")  # noqa: SIM115
    except OSError as e:
        raise ImageDecodeError(f"cannot open image {name}: {e.strerror or e}") from e
    try:
        with handle, warnings.catch_warnings():
            # Pillow warns (rather than fails) between MAX_IMAGE_PIXELS and twice that;
            # we turn the warning into a refusal so the limit is one number.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(handle)
            width, height = img.size
            if width * height > MAX_PIXELS:
                raise ImageDecodeError(
                    f"image {name} is {width}x{height} pixels; the limit is {MAX_PIXELS:,}"
                )
            img.load()
            return img.convert("RGB")
    except ImageDecodeError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise ImageDecodeError(f"{name} is not a readable image: {e}") from e
    except (OSError, ValueError, SyntaxError) as e:
        # Truncated or corrupt files surface as OSError/ValueError/SyntaxError from the decoders.
        raise ImageDecodeError(f"{name} could not be decoded: {e}") from e
