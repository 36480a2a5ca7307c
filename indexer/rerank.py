"""The FAISS re-ranking step: exact inner products over the candidates' stored vectors."""

from __future__ import annotations

from dataclasses import dataclass

import faiss
import numpy as np


@dataclass(frozen=True)
class RerankScores:
    """Per-candidate similarities and the combined score, in the candidates' input order."""

    s_image: np.ndarray
    s_text: np.ndarray
    score: np.ndarray


def _inner_products(query: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """cos(query, each vector) for unit vectors, through a FAISS flat inner-product index."""
    # One OpenMP thread, set in the calling thread (OpenMP's thread count is per thread, so a
    # process-wide call at start-up does not reach request threads): a few hundred dot
    # products gain nothing from a second thread, which spin-waits after every call and so
    # burns a core the request threads need.
    faiss.omp_set_num_threads(1)
    n = vectors.shape[0]
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    distances, ids = index.search(np.ascontiguousarray(query[None, :], dtype=np.float32), n)
    out = np.empty(n, dtype=np.float32)
    out[ids[0]] = distances[0]
    return out


def rerank(
    query: np.ndarray,
    image_vectors: np.ndarray,
    text_vectors: np.ndarray,
    w_image: float,
    w_text: float,
) -> RerankScores:
    """Score candidates by ``w_image * cos(q, image) + w_text * cos(q, text)``.

    Vectors are L2-normalised (Qdrant's cosine distance stores them so), so the
    inner product is the cosine.
    """
    if image_vectors.shape[0] == 0:
        empty = np.zeros(0, dtype=np.float32)
        return RerankScores(empty, empty, empty)
    s_image = _inner_products(query, image_vectors)
    s_text = _inner_products(query, text_vectors)
    return RerankScores(s_image, s_text, (w_image * s_image + w_text * s_text).astype(np.float32))


def ranking(scores: np.ndarray) -> np.ndarray:
    """Indices from best to worst; ties keep input order so results are deterministic."""
    return np.argsort(-scores, kind="stable")
