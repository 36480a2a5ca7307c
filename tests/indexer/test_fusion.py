"""The fused score of a text query, and the hybrid path on a store that does not track its
writes (a Qdrant server; here ``QdrantClient(":memory:")``)."""

from __future__ import annotations

import numpy as np
import pytest
from qdrant_client import QdrantClient

from encoder import Encoder
from indexer import ClientStore, Searcher, Settings, index_entries
from indexer.catalog import CatalogEntry
from indexer.errors import QueryError
from indexer.search import SearchRequest, SearchService
from indexer.search.fusion import Fusion

EVEN = {"image": 0.25, "text": 0.25, "keyword": 0.25, "attributes": 0.25}


def terms(**values: list[float]) -> dict[str, np.ndarray]:
    return {name: np.asarray(values[name], dtype=np.float32) for name in EVEN}


def test_weighted_fusion_scales_each_term_so_that_no_scale_wins() -> None:
    # BM25 scores in the tens must not drown cosines a few hundredths apart
    t = terms(image=[0.30, 0.32], text=[0.50, 0.54], keyword=[40.0, 30.0], attributes=[0.0, 0.0])
    score = Fusion("weighted", EVEN).fuse(t)
    assert score[1] > score[0]
    np.testing.assert_allclose(score, [0.25 * 1.0, 0.25 * (1 + 1 + 0.75)], rtol=1e-5)


def test_weighted_fusion_without_keyword_hits_ignores_the_term() -> None:
    t = terms(image=[0.1, 0.2], text=[0.1, 0.2], keyword=[0.0, 0.0], attributes=[1.0, 0.0])
    assert np.all(np.isfinite(Fusion("weighted", EVEN).fuse(t)))


def test_rrf_gives_nothing_for_a_missing_keyword_hit_and_shares_ranks_on_ties() -> None:
    t = terms(image=[0.3, 0.2, 0.1], text=[0.3, 0.2, 0.1], keyword=[0.0, 5.0, 0.0],
              attributes=[1.0, 1.0, 0.0])
    fusion = Fusion("rrf", EVEN, rrf_k=10)
    score = fusion.fuse(t)
    expected = [0.25 * (1 / 11 + 1 / 11 + 0 + 1 / 11), 0.25 * (1 / 12 + 1 / 12 + 1 / 11 + 1 / 11),
                0.25 * (1 / 13 + 1 / 13)]
    np.testing.assert_allclose(score, expected, rtol=1e-5)


@pytest.mark.parametrize("method, weights, k, message", [
    ("sum", EVEN, 60, "fusion must be one of weighted, rrf"),
    ("rrf", {"image": 1.0}, 60, "one non-negative number for each of"),
    ("rrf", {**EVEN, "text": -1.0}, 60, "one non-negative number"),
    ("rrf", EVEN, 0, "rrf_k must be at least 1"),
])
def test_a_bad_fusion_is_refused(method: str, weights: dict[str, float], k: int, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        Fusion(method, weights, k)


def test_a_bad_setting_is_refused_when_the_searcher_starts(encoder: Encoder,
                                                           catalog_entries: list[CatalogEntry]) -> None:
    store = ClientStore(client=QdrantClient(":memory:"), collection="products")
    index_entries(encoder, store, catalog_entries[:5], batch_size=8)
    with pytest.raises(QueryError, match="VITRINE_UNDERSTAND"):
        Searcher(encoder, store, Settings(understand="always"))
    with pytest.raises(QueryError, match="fusion must be one of"):
        Searcher(encoder, store, Settings(fusion="max"))


def test_the_hybrid_runs_on_a_server_store_and_follows_its_writes(
    encoder: Encoder, catalog_entries: list[CatalogEntry]
) -> None:
    store = ClientStore(client=QdrantClient(":memory:"), collection="products")
    index_entries(encoder, store, catalog_entries[:120], batch_size=32)
    searcher = Searcher(encoder, store, Settings())
    service = SearchService(searcher)
    brand = catalog_entries[0].product.brand
    assert brand and store.has_keywords()
    found = service.search(SearchRequest(text=brand.lower(), k=3, facets=False))
    first = found.result.hits[0]
    assert first.product.brand == brand and first.breakdown["s_keyword"] > 0
    assert found.understood is not None and found.understood["attributes"][0]["kind"] == "brand"
    # a product written after the vocabulary was read is matched from its payload
    newcomer = next(e for e in catalog_entries[120:] if e.product.brand and e.product.brand != brand)
    index_entries(encoder, store, [newcomer], batch_size=8)
    hit = service.search(SearchRequest(text=newcomer.product.title, k=20, facets=False)).result.hits
    assert newcomer.product.id in [h.id for h in hit]
    searcher.facts.check_every_s = 0.0
    searcher.facts.get()
    searcher.facts.wait_rebuilt()
    assert newcomer.product.id in searcher.facts.get().products
