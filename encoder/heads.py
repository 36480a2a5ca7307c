"""Attribute heads: linear classifiers over a model's image embedding, shipped beside it.

A model trained with heads (``vitrine train --heads``) writes ``heads.safetensors`` (each
attribute's ``<name>.weight`` ``(labels, dim)`` and ``<name>.bias``) and ``heads.json``
(each attribute's labels, in the catalog's spelling, and the checksum of the model weights
the heads were trained with) into its model directory. They read the L2-normalised image
vector the encoder returns (float or int8 tower alike), so a product's stored vector is
enough to predict its colour, type, gender, occasion or season: no second pass over the photo.

Heads trained with other weights describe another embedding space: a directory whose
weights changed after training keeps its heads unused (the same rule as the int8 calibration).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

HEADS_WEIGHTS = "heads.safetensors"
HEADS_CONFIG = "heads.json"


@dataclass(frozen=True)
class AttributeHeads:
    """Per-attribute linear heads over the image embedding."""

    labels: Mapping[str, tuple[str, ...]]
    weights: Mapping[str, np.ndarray]  # (labels, dim) float32
    biases: Mapping[str, np.ndarray]  # (labels,) float32

    @property
    def attributes(self) -> tuple[str, ...]:
        return tuple(self.labels)

    def probabilities(self, image_vectors: np.ndarray,
                      attributes: Sequence[str] | None = None) -> dict[str, np.ndarray]:
        """``{attribute: (n, labels)}`` softmax probabilities for ``(n, dim)`` image vectors."""
        vectors = np.atleast_2d(np.asarray(image_vectors, dtype=np.float32))
        out = {}
        for name in attributes or self.attributes:
            logits = vectors @ self.weights[name].T + self.biases[name]
            logits -= logits.max(axis=1, keepdims=True)
            exp = np.exp(logits)
            out[name] = exp / exp.sum(axis=1, keepdims=True)
        return out


def save_heads(directory: Path, heads: AttributeHeads, model_checksum: str) -> None:
    """Write ``heads`` into a model directory whose weights have ``model_checksum``."""
    from safetensors.numpy import save_file

    tensors = {}
    for name in heads.attributes:
        tensors[f"{name}.weight"] = np.ascontiguousarray(heads.weights[name], dtype=np.float32)
        tensors[f"{name}.bias"] = np.ascontiguousarray(heads.biases[name], dtype=np.float32)
    save_file(tensors, str(directory / HEADS_WEIGHTS))
    config = {"input": "image embedding (L2-normalised)", "weights": model_checksum,
              "labels": {k: list(v) for k, v in heads.labels.items()}}
    (directory / HEADS_CONFIG).write_text(json.dumps(config, indent=1), encoding="utf-8")


def load_heads(directory: Path | None, model_checksum: str) -> AttributeHeads | None:
    """The directory's heads, when it has them and they were trained with these weights."""
    if directory is None or not (directory / HEADS_CONFIG).is_file():
        return None
    from safetensors.numpy import load_file

    try:
        config = json.loads((directory / HEADS_CONFIG).read_text(encoding="utf-8"))
        tensors = load_file(str(directory / HEADS_WEIGHTS))
        labels = {str(k): tuple(str(x) for x in v) for k, v in config["labels"].items()}
        weights = {k: tensors[f"{k}.weight"].astype(np.float32) for k in labels}
        biases = {k: tensors[f"{k}.bias"].astype(np.float32) for k in labels}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        log.warning("ignoring the attribute heads in %s: %s", directory, e)
        return None
    if config.get("weights") != model_checksum:
        log.warning("ignoring %s: trained with other weights", directory / HEADS_CONFIG)
        return None
    bad = [k for k in labels if weights[k].shape[0] != len(labels[k]) or biases[k].shape != (len(labels[k]),)]
    if bad:
        log.warning("ignoring the attribute heads in %s: %s do not match their labels", directory, bad)
        return None
    return AttributeHeads(labels, weights, biases)
