"""The FAISS re-ranking step equals a brute-force numpy ranking of the same candidates."""

from __future__ import annotations

import numpy as np
import pytest

from encoder import normalize
from indexer import Query, Searcher
from indexer.rerank import ranking, rerank


@pytest.mark.parametrize(("n", "dim", "w_image"), [(1, 8, 0.5), (37, 64, 0.3), (500, 512, 0.8)])
def test_faiss_equals_numpy(n: int, dim: int, w_image: float) -> None:
    rng = np.random.default_rng(n)
    query = normalize(rng.normal(size=dim))
    images = normalize(rng.normal(size=(n, dim)))
    texts = normalize(rng.normal(size=(n, dim)))
    got = rerank(query, images, texts, w_image, 1 - w_image)
    s_image, s_text = images @ query, texts @ query
    expected = w_image * s_image + (1 - w_image) * s_text
    np.testing.assert_allclose(got.s_image, s_image, atol=1e-5)
    np.testing.assert_allclose(got.s_text, s_text, atol=1e-5)
    np.testing.assert_allclose(got.score, expected, atol=1e-5)
    np.testing.assert_array_equal(ranking(got.score), np.argsort(-expected, kind="stable"))


def test_empty_candidates() -> None:
    out = rerank(np.ones(4, dtype=np.float32) / 2, np.zeros((0, 4)), np.zeros((0, 4)), 0.5, 0.5)
    assert out.score.shape == (0,)


def test_search_scores_are_the_stated_formula(indexed_store, encoder) -> None:
    searcher = Searcher(encoder, indexed_store)
    result = searcher.search(Query(text="navy blue shirt", k=20, exact=True))
    query = encoder.embed_text("navy blue shirt")
    points = {p.product_id: p for p in indexed_store.get([h.id for h in result.hits], with_vectors=True)}
    previous = np.inf
    for hit in result.hits:
        b = hit.breakdown
        p = points[hit.id]
        assert b["s_image"] == pytest.approx(float(p.image @ query), abs=1e-5)
        assert b["s_text"] == pytest.approx(float(p.text @ query), abs=1e-5)
        assert hit.score == pytest.approx(
            b["weights"]["image"] * b["s_image"] + b["weights"]["text"] * b["s_text"], abs=1e-5
        )
        assert hit.score <= previous
        previous = hit.score
    assert set(result.timings) == {"encode_ms", "candidates_ms", "rerank_ms", "total_ms"}
