"""The training losses: CLIP's symmetric loss with label-aware targets, and the supervised
image-image term."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def soft_clip_loss(logits: torch.Tensor, match: torch.Tensor) -> torch.Tensor:
    """Symmetric CLIP loss with multi-positive targets.

    Args:
        logits: ``(n, n)`` scaled similarities, rows images, columns captions.
        match: ``(n, n)`` bool, ``match[i, j]``: caption i is true of image j
            (the diagonal must be true).
    """
    m = match.float()
    # caption -> image: each caption's row of targets over images.
    t2i = -(F.log_softmax(logits.t(), dim=1) * (m / m.sum(1, keepdim=True))).sum(1).mean()
    # image -> caption: each image's targets over the captions true of it.
    mt = m.t()
    i2t = -(F.log_softmax(logits, dim=1) * (mt / mt.sum(1, keepdim=True))).sum(1).mean()
    return 0.5 * (t2i + i2t)


def image_label_loss(features: torch.Tensor, labels: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """Supervised contrastive term: photos with one label are positives (unknown labels sit out)."""
    n = features.shape[0]
    logits = scale * features @ features.t()
    eye = torch.eye(n, dtype=torch.bool, device=features.device)
    logits = logits.masked_fill(eye, -1e4)
    pos = (labels[:, None] == labels[None, :]) & ~eye & (labels[:, None] >= 0)
    anchors = pos.any(1)
    if not anchors.any():
        return logits.new_zeros(())
    target = pos.float() / pos.float().sum(1, keepdim=True).clamp(min=1.0)
    loss = -(F.log_softmax(logits, dim=1) * target).sum(1)
    return loss[anchors].mean()


