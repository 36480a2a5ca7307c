"""Contrastive (CLIP) training of a compact open_clip model (see ``encoder.train.loop``)."""

from encoder.train.loop import (
    VARIANTS,
    Sample,
    TrainConfig,
    sample_from_product,
    soft_clip_loss,
    split_ids,
    train,
    with_overrides,
)

__all__ = [
    "VARIANTS",
    "Sample",
    "TrainConfig",
    "sample_from_product",
    "soft_clip_loss",
    "split_ids",
    "train",
    "with_overrides",
]
