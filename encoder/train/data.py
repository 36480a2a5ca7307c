"""The training data: products as samples, the id-stable train/validation split, each epoch's
captions and the article labels of the image-image term."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from encoder.captions import (
    CONSTRAINT_KEYS,
    MISSING,
    Caption,
    ConstraintCodes,
    ShopperWords,
    draw_caption,
)

SPLIT_FILE = "split.json"
ATTRIBUTE_KEYS = ("gender", "sub_category", "article_type", "colour", "occasion")
# What the attribute heads predict (encoder/train/heads.py): the captions' attributes and season.
HEAD_KEYS = ("colour", "article_type", "sub_category", "gender", "occasion", "season")


@dataclass(frozen=True, kw_only=True)
class Sample:
    """One training product: a photo and what the catalog says about it.

    ``attrs`` holds any of ``gender``, ``sub_category``, ``article_type``, ``colour``,
    ``occasion`` and ``season`` (missing or None when unknown).
    """

    id: str
    image: str
    title: str
    attrs: Mapping[str, str | None] = field(default_factory=dict)


def sample_from_product(product: Any) -> Sample:
    """A Sample from any object with a catalog product's fields (``indexer.schema.Product``).

    Duck-typed so that the encoder does not import the indexer.
    """
    return Sample(
        id=str(product.id),
        image=str(product.image),
        title=str(product.title),
        attrs={k: getattr(product, k, None) for k in dict.fromkeys([*ATTRIBUTE_KEYS, *HEAD_KEYS])},
    )


def split_ids(
    ids: Iterable[str], val_size: float = 0.15, seed: int = 0
) -> tuple[list[str], list[str]]:
    """Split product ids into (train, validation), each in input order.

    A product's side depends only on its id and ``seed`` (a SHA-256 of both), so
    the split does not move when products are added or removed, and a new product
    always lands on the same side.

    Raises:
        ValueError: ``val_size`` is not a fraction in (0, 1).
    """
    if not 0.0 < val_size < 1.0:
        raise ValueError(f"val_size is the validation fraction, in (0, 1); got {val_size}")
    train_ids: list[str] = []
    val_ids: list[str] = []
    for pid in ids:
        digest = hashlib.sha256(f"{seed}:{pid}".encode()).digest()
        bucket = int.from_bytes(digest[:8], "big") / 2.0**64
        (val_ids if bucket < val_size else train_ids).append(str(pid))
    return train_ids, val_ids


def held_out_ids(model_dir: Path) -> set[str] | None:
    """The product ids a trained model directory held out (its ``split.json``; empty for a model
    trained on the whole catalog), or None when it has no split file (a model from elsewhere)."""
    path = Path(model_dir) / SPLIT_FILE
    if not path.is_file():
        return None
    return set(json.loads(path.read_text(encoding="utf-8")).get("val_ids", []))


def article_labels(codes: ConstraintCodes) -> np.ndarray:
    """One label per product: (sub-category, article type), -1 where the sub-category is unknown."""
    sub = codes.products[:, CONSTRAINT_KEYS.index("sub_category")]
    art = codes.products[:, CONSTRAINT_KEYS.index("article_type")]
    labels = np.where(sub >= 0, sub * 100_000 + np.maximum(art, MISSING) + 2, -1)
    return labels


def epoch_captions(
    samples: Sequence[Sample], seed: int, epoch: int, words: ShopperWords | None = None,
    synonym_share: float = 0.0,
) -> list[Caption]:
    """Every sample's caption of this epoch (``words``: shopper phrases, said with chance
    ``synonym_share``)."""
    rng = np.random.default_rng([seed, epoch, 1])
    return [draw_caption(s.title, {k: s.attrs.get(k) for k in ATTRIBUTE_KEYS}, rng, words, synonym_share)
            for s in samples]


def type_key(attrs: Mapping[str, str | None]) -> str | None:
    """A product's finest known type: its article type, else its sub-category (two thirds of
    the sample catalog has no article type)."""
    for key in ("article_type", "sub_category"):
        value = attrs.get(key)
        if value and value.strip():
            return f"{key}:{' '.join(value.split()).lower()}"
    return None


