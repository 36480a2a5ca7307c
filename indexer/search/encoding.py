"""Turning a query into one vector: the encoder the search is given, and fusion.

The search takes any ``QueryEncoder``: the model itself (``DirectEncoder``), or a wrapper
around it such as the API's embedding cache. The search only ever calls down into it.
A query-understanding step (rewriting or expanding the text before it is embedded) belongs
in front of ``encode_query``, as another wrapper or a step the service runs first.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from encoder import Encoder, fuse
from indexer.media import QueryImage
from indexer.search.model import Query, QueryImageSource


class QueryEncoder(Protocol):
    """What a search needs from a model: the model's identity and one vector per query part."""

    @property
    def model_id(self) -> str: ...

    def embed_text(self, text: str) -> np.ndarray: ...

    def embed_image(self, image: QueryImageSource) -> np.ndarray: ...


class DirectEncoder:
    """The model itself, with no cache in front."""

    def __init__(self, encoder: Encoder) -> None:
        self.encoder = encoder

    @property
    def model_id(self) -> str:
        return self.encoder.model_id

    def embed_text(self, text: str) -> np.ndarray:
        return self.encoder.embed_text(text)

    def embed_image(self, image: QueryImageSource) -> np.ndarray:
        return self.encoder.embed_image(image.image if isinstance(image, QueryImage) else image)


def encode_query(encoder: QueryEncoder, query: Query, alpha: float) -> tuple[np.ndarray, float]:
    """The fused query vector, and the alpha actually applied (0 or 1 for one modality)."""
    e_text = encoder.embed_text(query.text) if query.text else None
    e_image = encoder.embed_image(query.image) if query.image is not None else None
    if e_image is None:
        alpha = 0.0
    elif e_text is None:
        alpha = 1.0
    return fuse(e_image, e_text, alpha), alpha
