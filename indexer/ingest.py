"""The one way a product and its photo become stored points, for every ingestion path: the
catalog import (indexer/pipeline.py), the queue's workers (workers/jobs.py) and the re-index
(indexer/reindex.py).

    product + photo bytes -> decode (``ready``) -> embed both towers in one batch
    -> payload (the product, whatever the caller adds, the model and the content hash) -> points
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from PIL import Image

from encoder import Encoder, load_image
from indexer.schema import Product
from indexer.store.protocol import VERSION_FIELD, StoredPoint

Extra = Callable[[np.ndarray, np.ndarray], Sequence[dict[str, Any]]]
"""Payload fields a caller adds to each point, computed from the batch's (image, text) vectors."""


def product_text(product: Product) -> str:
    """The text embedded as a product's ``text`` vector: its title plus the attributes a
    shopper types that titles often leave out (occasion, season)."""
    extras = [v.lower() for v in (product.occasion, product.season) if v]
    return ", ".join([product.title, *extras])


def content_hash(product: Product, image_bytes: bytes) -> str:
    """Changes whenever anything embedded or stored for the product changes."""
    digest = hashlib.sha256(json.dumps(asdict(product), sort_keys=True).encode())
    digest.update(image_bytes)
    return digest.hexdigest()[:32]


@dataclass(frozen=True)
class Ready:
    """A product whose photo is read and decoded: ready to embed. ``payload``: a stored payload
    to keep (a re-index keeps what the store holds), else the product's own."""

    product: Product
    image_bytes: bytes
    image: Image.Image
    payload: dict[str, Any] | None = None


def ready(product: Product, image_bytes: bytes, payload: dict[str, Any] | None = None) -> Ready:
    """Decode the photo.

    Raises:
        ImageDecodeError: the bytes are not a readable image.
    """
    return Ready(product, image_bytes, load_image(image_bytes), payload)


def to_points(
    encoder: Encoder, items: Sequence[Ready], *, extra: Extra | None = None,
    versions: Sequence[int] | None = None,
) -> list[StoredPoint]:
    """Embed ``items`` in one batch per tower and build their stored points. ``versions``: each
    point's submission sequence number (``ingest_seq``), for versioned upserts."""
    if not items:
        return []
    images = encoder.embed_images([item.image for item in items])
    texts = encoder.embed_texts([product_text(item.product) for item in items])
    added = extra(images, texts) if extra is not None else [{} for _ in items]
    points = []
    for i, item in enumerate(items):
        base = item.payload if item.payload is not None else item.product.to_payload()
        payload = {**base, **added[i], "model": encoder.model_id,
                   "content_hash": content_hash(item.product, item.image_bytes)}
        if versions is not None:
            payload[VERSION_FIELD] = versions[i]
        points.append(StoredPoint(item.product.id, payload, images[i], texts[i]))
    return points
