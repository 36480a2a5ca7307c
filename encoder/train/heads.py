"""Training the attribute heads (``encoder/heads.py``) jointly with the contrastive loss.

One linear head per attribute (``HEAD_KEYS``) reads the normalised image embedding; its
cross-entropy is added to the CLIP loss with weight ``head_weight``, so the image tower is
pushed to keep colour, type, gender, occasion and season readable in the embedding itself.
Products without a value for an attribute sit out of that head's loss. A label needs
``head_min_count`` training products to get a class (rarer ones sit out too: a head cannot
learn, and the benchmarks cannot measure, a class of three products).

Occasion is class-balanced (each class weighted by its inverse frequency): three quarters of
the catalog is Casual, and the figure the project is judged on is the balanced accuracy.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from encoder.heads import AttributeHeads
from encoder.train.data import HEAD_KEYS, Sample

BALANCED = ("occasion",)
# The embedding is unit length, so a plain linear head needs large weights to be confident;
# a fixed input scale lets it reach useful logits within a short schedule. It is folded into
# the exported weights (``to_attribute_heads``), so inference reads the plain embedding.
INPUT_SCALE = 10.0


def _spelling(value: str | None) -> str | None:
    return " ".join(value.split()) if value and value.strip() else None


class HeadTargets:
    """Each attribute's labels (the catalog's spelling) and every sample's class, -1 if none."""

    def __init__(self, samples: Sequence[Sample], min_count: int, keys: Sequence[str] = HEAD_KEYS):
        self.labels: dict[str, tuple[str, ...]] = {}
        self.classes: dict[str, torch.Tensor] = {}
        self.class_weights: dict[str, torch.Tensor | None] = {}
        for key in keys:
            values = [_spelling(s.attrs.get(key)) for s in samples]
            counts = Counter(v.casefold() for v in values if v)
            spelling: dict[str, str] = {}
            for v in values:
                if v:
                    spelling.setdefault(v.casefold(), v)
            kept = sorted(k for k, c in counts.items() if c >= min_count)
            if len(kept) < 2:  # nothing to tell apart
                continue
            index = {k: i for i, k in enumerate(kept)}
            self.labels[key] = tuple(spelling[k] for k in kept)
            self.classes[key] = torch.tensor([index.get(v.casefold(), -1) if v else -1 for v in values])
            if key in BALANCED:
                freq = torch.tensor([counts[k] for k in kept], dtype=torch.float32)
                self.class_weights[key] = freq.sum() / (len(kept) * freq)
            else:
                self.class_weights[key] = None


class AttributeHeadModule(nn.Module):
    """One linear layer per attribute over the image embedding."""

    def __init__(self, labels: Mapping[str, Sequence[str]], dim: int) -> None:
        super().__init__()
        self.heads = nn.ModuleDict({k: nn.Linear(dim, len(v)) for k, v in labels.items()})

    def forward(self, features: torch.Tensor) -> dict[str, torch.Tensor]:
        return {k: head(features * INPUT_SCALE) for k, head in self.heads.items()}


def heads_loss(module: AttributeHeadModule, features: torch.Tensor, targets: HeadTargets,
               idx: np.ndarray) -> torch.Tensor:
    """Mean over attributes of each head's cross-entropy on the batch ``idx``."""
    logits = module(features)
    losses = []
    for key, out in logits.items():
        y = targets.classes[key][idx].to(features.device)
        if not bool((y >= 0).any()):
            continue
        weight = targets.class_weights[key]
        losses.append(F.cross_entropy(out, y, ignore_index=-1,
                                      weight=None if weight is None else weight.to(features.device)))
    return torch.stack(losses).mean() if losses else features.new_zeros(())


def to_attribute_heads(module: AttributeHeadModule, labels: Mapping[str, Sequence[str]]) -> AttributeHeads:
    """The trained heads as the exported, torch-free ``AttributeHeads``."""
    weights, biases = {}, {}
    for key, head in module.heads.items():
        assert isinstance(head, nn.Linear)
        weights[key] = (head.weight.detach().float().cpu() * INPUT_SCALE).numpy()
        biases[key] = head.bias.detach().float().cpu().numpy()
    return AttributeHeads({k: tuple(labels[k]) for k in module.heads}, weights, biases)
