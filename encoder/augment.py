"""Batch augmentations for product photos, on uint8 tensors, with a seeded generator.

Product photos are centred objects on a plain background, so the augmentations
are mild geometric ones (crop-and-zoom, small shifts, mirror) plus small changes
of brightness and contrast. Hue and saturation are never touched: the colour of
the product is a label the model must learn to read.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

OPENAI_MEAN = (0.48145466, 0.4578275, 0.40821073)
OPENAI_STD = (0.26862954, 0.26130258, 0.27577711)


@dataclass(frozen=True, kw_only=True)
class AugmentConfig:
    """How strong each augmentation is."""

    min_scale: float = 0.75  # smallest crop side, as a fraction of the photo side
    max_shift: float = 0.08  # largest translation, as a fraction of the side
    flip: float = 0.5  # probability of a horizontal mirror
    brightness: float = 0.1  # multiplicative, +-
    contrast: float = 0.1  # around the mean, +-


def normalize_pixels(
    pixels: torch.Tensor,
    mean: tuple[float, float, float] = OPENAI_MEAN,
    std: tuple[float, float, float] = OPENAI_STD,
) -> torch.Tensor:
    """uint8 ``(n, 3, h, w)`` to the float input the model expects."""
    x = pixels.float().div_(255.0)
    m = torch.tensor(mean, dtype=x.dtype).view(1, 3, 1, 1)
    s = torch.tensor(std, dtype=x.dtype).view(1, 3, 1, 1)
    return (x - m) / s


def augment(
    pixels: torch.Tensor,
    generator: torch.Generator,
    config: AugmentConfig = AugmentConfig(),
    mean: tuple[float, float, float] = OPENAI_MEAN,
    std: tuple[float, float, float] = OPENAI_STD,
) -> torch.Tensor:
    """Augment a uint8 batch and return it normalised for the model."""
    n = pixels.shape[0]
    x = pixels.float().div_(255.0)

    def uniform(low: float, high: float) -> torch.Tensor:
        return torch.rand(n, generator=generator) * (high - low) + low

    # One affine map per photo: zoom into a crop (scale <= 1), shift, and maybe mirror.
    scale = uniform(config.min_scale, 1.0)
    aspect = torch.exp(uniform(-0.08, 0.08))
    sx, sy = scale * aspect.sqrt(), scale / aspect.sqrt()
    sx, sy = sx.clamp(max=1.0), sy.clamp(max=1.0)
    tx = uniform(-1.0, 1.0) * ((1.0 - sx) + config.max_shift)
    ty = uniform(-1.0, 1.0) * ((1.0 - sy) + config.max_shift)
    mirror = torch.where(torch.rand(n, generator=generator) < config.flip, -1.0, 1.0)
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0] = sx * mirror
    theta[:, 0, 2] = tx
    theta[:, 1, 1] = sy
    theta[:, 1, 2] = ty
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    # Photos sit on a white background: out-of-frame pixels are white, not black.
    x = F.grid_sample(x - 1.0, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    x = x + 1.0

    bright = uniform(1.0 - config.brightness, 1.0 + config.brightness).view(n, 1, 1, 1)
    contrast = uniform(1.0 - config.contrast, 1.0 + config.contrast).view(n, 1, 1, 1)
    mean_level = x.mean(dim=(1, 2, 3), keepdim=True)
    x = ((x - mean_level) * contrast + mean_level) * bright
    x = x.clamp_(0.0, 1.0)
    m = torch.tensor(mean, dtype=x.dtype).view(1, 3, 1, 1)
    s = torch.tensor(std, dtype=x.dtype).view(1, 3, 1, 1)
    return (x - m) / s
