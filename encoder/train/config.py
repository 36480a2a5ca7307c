"""What defines a training run besides the data, epochs and seed: the variants and architectures."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from encoder.augment import AugmentConfig

CONFIGS_DIR = Path(__file__).resolve().parents[1] / "configs"

@dataclass(frozen=True, kw_only=True)
class TrainConfig:
    """Everything that defines a training run besides the data, epochs and seed."""

    variant: str = "scratch"  # "scratch": both towers trained; "minilm": locked MiniLM text
    architecture: str = "vitrine-rn64"  # a JSON file in encoder/configs/
    batch_size: int = 128
    lr: float = 1e-3
    weight_decay: float = 0.05
    warmup_steps: int = 100
    image_loss_weight: float = 0.3  # supervised image-image term (same article type)
    label_aware: bool = True  # all products a caption is true of are positives
    half: bool = True  # export float16 weights (the shipped model must stay small)
    threads: int | None = None  # torch CPU threads; None leaves torch's default
    cache_dir: str | None = None  # where decoded photos are cached; None: no cache
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    # Options of model v2 (issue 18); the defaults are the shipped model's recipe.
    hard_negative_anchors: int = 0  # anchors per batch, each joined by its look-alikes (sampler.py)
    head_weight: float = 0.0  # weight of the attribute heads' cross-entropy; 0: no heads
    head_min_count: int = 5  # a label needs this many training products to get a class
    synonym_share: float = 0.0  # chance a caption word is said in a shopper's phrase instead


VARIANTS: dict[str, TrainConfig] = {
    "scratch": TrainConfig(),
    "minilm": TrainConfig(variant="minilm", architecture="vitrine-rn64-minilm"),
}

# The recipe options of model v2 as `vitrine train` turns them on (--hard-negatives,
# --heads, --synonyms): the strengths the ablation in docs/model-v2.md used.
HARD_NEGATIVE_ANCHORS = 32  # of a 128 batch: up to 96 products in look-alike triples
HEAD_WEIGHT = 0.5
SYNONYM_SHARE = 0.5


def load_architecture(name: str) -> dict[str, Any]:
    """The model config ``encoder/configs/<name>.json`` (or a path to a JSON file)."""
    path = Path(name)
    if not path.is_file():
        path = CONFIGS_DIR / f"{name}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        known = ", ".join(sorted(p.stem for p in CONFIGS_DIR.glob("*.json")))
        raise ValueError(f"unknown architecture {name!r}; known: {known}") from e


def with_overrides(config: TrainConfig, **changes: Any) -> TrainConfig:
    """A copy of ``config`` with some fields changed (None values are ignored)."""
    return replace(config, **{k: v for k, v in changes.items() if v is not None})
