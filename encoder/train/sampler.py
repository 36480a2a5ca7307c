"""Batches with hard negatives: look-alikes of sampled anchors in the same batch.

A random batch of 128 from a catalog of 30 sub-categories rarely holds a white shirt beside
a blue shirt, so the contrastive loss seldom has to tell colours apart within one type
("white sneakers" found white bags, a colour + category P@10 of 0.74). This sampler puts,
for ``anchors`` products of every batch, one product of the same type in another colour and
one of the same colour in another type beside them. With the label-aware targets those are
true negatives of the anchor's captions ("white shirts" is false of the blue shirt), so the
loss has to read colour and type together.

An epoch keeps its number of batches and its size, and every product still comes about once
per epoch: partners are taken from the products not yet used this epoch when there are any
(a look-alike already used is taken again only when none is left). The type is the article
type, else the sub-category (``encoder.train.data.type_key``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


def _codes(values: Sequence[str | None]) -> np.ndarray:
    index: dict[str, int] = {}
    return np.asarray([-1 if v is None else index.setdefault(v, len(index)) for v in values],
                      dtype=np.int64)


def _groups(codes: np.ndarray) -> list[np.ndarray]:
    return [np.nonzero(codes == c)[0] for c in range(int(codes.max(initial=-1)) + 1)]


@dataclass(frozen=True)
class HardBatches:
    """One epoch's batches (indices into the samples) and each batch's anchors."""

    batches: list[np.ndarray]
    anchors: list[np.ndarray]


def hard_negative_batches(
    types: Sequence[str | None],
    colours: Sequence[str | None],
    batch_size: int,
    steps: int,
    anchors: int,
    rng: np.random.Generator,
) -> HardBatches:
    """``steps`` batches of ``batch_size`` distinct products with look-alike triples.

    Args:
        types: each product's type (None: unknown; it is never a type partner).
        colours: each product's colour (None: unknown; it is never a colour partner).
        batch_size: products per batch (``steps * batch_size`` must not exceed the products).
        steps: batches in the epoch.
        anchors: anchors per batch; each brings up to two partners, so at most
            ``batch_size // 3`` are used.
        rng: draws the order and the partners.
    """
    n = len(types)
    if steps * batch_size > n:
        raise ValueError(f"{steps} batches of {batch_size} need more than the {n} products")
    type_code, colour_code = _codes(types), _codes(colours)
    by_type, by_colour = _groups(type_code), _groups(colour_code)
    order = rng.permutation(n)
    used = np.zeros(n, dtype=bool)
    in_batch = np.zeros(n, dtype=bool)
    cursor = 0

    def next_unused() -> int:
        nonlocal cursor
        while used[order[cursor]]:
            cursor += 1
        return int(order[cursor])

    def pick(members: np.ndarray, allowed: np.ndarray) -> int | None:
        candidates = members[allowed & ~in_batch[members]]
        fresh = candidates[~used[candidates]]
        pool = fresh if len(fresh) else candidates
        return int(pool[rng.integers(len(pool))]) if len(pool) else None

    def add(batch: list[int], i: int) -> None:
        batch.append(i)
        used[i] = in_batch[i] = True

    batches: list[np.ndarray] = []
    batch_anchors: list[np.ndarray] = []
    per_batch = min(anchors, batch_size // 3)
    for _ in range(steps):
        batch: list[int] = []
        chosen: list[int] = []
        for _ in range(per_batch):
            anchor = next_unused()
            add(batch, anchor)
            chosen.append(anchor)
            t, c = type_code[anchor], colour_code[anchor]
            if t >= 0 and c >= 0:
                members = by_type[t]
                other_colour = pick(members, (colour_code[members] != c) & (colour_code[members] >= 0))
                if other_colour is not None:
                    add(batch, other_colour)
                members = by_colour[c]
                other_type = pick(members, (type_code[members] != t) & (type_code[members] >= 0))
                if other_type is not None:
                    add(batch, other_type)
        while len(batch) < batch_size:
            add(batch, next_unused())
        batch_array = np.asarray(batch, dtype=np.int64)
        in_batch[batch_array] = False
        batches.append(batch_array)
        batch_anchors.append(np.asarray(chosen, dtype=np.int64))
    return HardBatches(batches, batch_anchors)
