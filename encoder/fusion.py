"""Query fusion: one vector from an image embedding, a text embedding, or both."""

from __future__ import annotations

import numpy as np


def normalize(x: np.ndarray) -> np.ndarray:
    """L2-normalise the last axis; zero vectors stay zero instead of becoming NaN."""
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    return (x / np.maximum(norms, 1e-12)).astype(np.float32)


def fuse(
    e_image: np.ndarray | None, e_text: np.ndarray | None, alpha: float
) -> np.ndarray:
    """Return ``normalize(alpha * e_image + (1 - alpha) * e_text)``.

    ``alpha = 0`` is text only and ``alpha = 1`` image only. When only one of the
    two embeddings is given, it is returned normalised whatever ``alpha`` says:
    a missing modality cannot be weighted.

    Raises:
        ValueError: neither embedding given, alpha outside [0, 1], or shapes differ.
    """
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be within [0, 1], got {alpha}")
    if e_image is None and e_text is None:
        raise ValueError("fuse needs an image embedding, a text embedding, or both")
    if e_image is None:
        return normalize(e_text)  # type: ignore[arg-type]
    if e_text is None:
        return normalize(e_image)
    e_image = normalize(e_image)
    e_text = normalize(e_text)
    if e_image.shape != e_text.shape:
        raise ValueError(f"shape mismatch: image {e_image.shape} vs text {e_text.shape}")
    return normalize(alpha * e_image + (1.0 - alpha) * e_text)
