"""Decoded product photos at training resolution, cached as one uint8 tensor.

Decoding 8,000 JPEGs takes longer than a whole training epoch of a small model on
two cores, so the photos are decoded once, resized exactly as the inference
preprocessing does (bicubic resize of the short side, centre crop), and kept in
a ``.pt`` file keyed by the file list and the size.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from pathlib import Path

import torch
from PIL import Image
from tqdm import tqdm

from encoder.images import load_image

log = logging.getLogger(__name__)


def to_square(img: Image.Image, size: int) -> Image.Image:
    """Resize the short side to ``size`` (bicubic) and centre-crop, like open_clip's eval transform."""
    width, height = img.size
    scale = size / min(width, height)
    new_w, new_h = max(size, round(width * scale)), max(size, round(height * scale))
    img = img.resize((new_w, new_h), Image.Resampling.BICUBIC)
    left, top = (new_w - size) // 2, (new_h - size) // 2
    return img.crop((left, top, left + size, top + size))


def _cache_key(paths: Sequence[str], size: int) -> str:
    digest = hashlib.sha256(str(size).encode())
    for path in paths:
        digest.update(str(path).encode())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def decode_pixels(
    paths: Sequence[str | Path],
    size: int,
    *,
    cache_dir: str | Path | None = None,
    progress: bool = False,
) -> torch.Tensor:
    """Decode ``paths`` into a ``(n, 3, size, size)`` uint8 tensor, reusing a cache when given.

    Raises:
        ImageDecodeError: a photo cannot be read.
    """
    names = [str(p) for p in paths]
    cache_file = None
    if cache_dir is not None:
        cache_file = Path(cache_dir) / f"pixels-{size}-{_cache_key(names, size)}.pt"
        if cache_file.is_file():
            log.info("using decoded photos from %s", cache_file)
            return torch.load(cache_file)
    out = torch.empty((len(names), 3, size, size), dtype=torch.uint8)
    for i, name in enumerate(tqdm(names, desc="decoding photos", disable=not progress)):
        img = to_square(load_image(name), size)
        out[i] = torch.frombuffer(bytearray(img.tobytes()), dtype=torch.uint8).view(
            size, size, 3
        ).permute(2, 0, 1)
    if cache_file is not None:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache_file.with_suffix(".tmp")
        torch.save(out, tmp)
        tmp.replace(cache_file)
    return out
