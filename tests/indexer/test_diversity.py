"""Diverse first pages: near-duplicate photos and one product's variants do not fill them."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import combinations

import numpy as np
import pytest

from encoder import Encoder
from indexer import EdgeStore, Searcher, index_entries
from indexer.catalog import CatalogEntry
from indexer.errors import QueryError
from indexer.search import SearchRequest, SearchService
from indexer.search.diversity import mmr_order
from indexer.store.protocol import StoredPoint
from tests.indexer.test_recommend import near_copies

DUPLICATED = ("10000", "10001", "10002")


def variants(store: EdgeStore, product_id: str, n: int) -> list[str]:
    """``n`` colour variants of one product: their own photos (cosine well under 0.98), the
    same title and the same ``item_group_id``."""
    rng = np.random.default_rng(7)
    (point,) = store.get([product_id], with_vectors=True)
    assert point.image is not None and point.text is not None
    out = []
    for i in range(n):
        image = point.image + rng.normal(0, 0.03, point.image.shape).astype(np.float32)
        image /= np.linalg.norm(image)
        assert float(image @ point.image) < 0.98
        pid = f"{product_id}7{i}"
        payload = {**point.payload, "id": pid, "item_group_id": f"g{product_id}"}
        out.append(StoredPoint(pid, payload, image, point.text.copy()))
    store.upsert(out)
    store.set_payload(product_id, {"item_group_id": f"g{product_id}"})
    return [p.product_id for p in out]


@pytest.fixture(scope="module")
def service(
    tmp_path_factory: pytest.TempPathFactory, catalog_entries: list[CatalogEntry]
) -> Iterator[SearchService]:
    # The shipped model: the tiny random test model puts most photos above 0.98 of each other,
    # so a page without near-duplicates would not exist there; this one's photos spread out.
    encoder = Encoder.load("default", device="cpu")
    store = EdgeStore(tmp_path_factory.mktemp("diverse"))
    index_entries(encoder, store, catalog_entries)
    for pid in DUPLICATED:
        near_copies(store, pid, 4)
    variants(store, "10003", 4)
    yield SearchService(Searcher(encoder, store))
    store.close()


def _images(service: SearchService, ids: list[str]) -> np.ndarray:
    points = service.store.get(ids, with_vectors=True)
    return np.stack([np.asarray(p.image) / np.linalg.norm(np.asarray(p.image)) for p in points])


@pytest.mark.parametrize("pid", [*DUPLICATED, "10003"])
def test_first_page_has_no_near_duplicates_or_variants(service: SearchService, pid: str) -> None:
    title = service.store.get([pid])[0].payload["title"]
    plain = service.search(SearchRequest(text=title, k=10, facets=False, diversity=0.0)).result.hits
    crowded = _images(service, [h.id for h in plain])
    assert max(float(a @ b) for a, b in combinations(crowded, 2)) > 0.98 or pid == "10003"
    if pid == "10003":  # without diversity, the variants crowd the page
        plain_groups = [p.payload.get("item_group_id") for p in service.store.get([h.id for h in plain])]
        assert plain_groups.count("g10003") > 1
    for diversity in (0.05, 0.3):
        hits = service.search(SearchRequest(text=title, k=10, facets=False, diversity=diversity)).result.hits
        assert len(hits) == 10
        vectors = _images(service, [h.id for h in hits])
        assert max(float(a @ b) for a, b in combinations(vectors, 2)) <= 0.98
        groups = [p.payload.get("item_group_id") for p in service.store.get([h.id for h in hits])]
        named = [g for g in groups if g]
        assert len(named) == len(set(named))
        if pid == "10003":
            assert named == ["g10003"]  # the product or one of its variants, once
        assert hits[0].breakdown["relevance_rank"] == 1 and hits[0].breakdown["diversity_penalty"] == 0
        for h in hits:
            penalty = diversity * h.breakdown["s_similar"]
            assert h.breakdown["diversity_penalty"] == pytest.approx(penalty, abs=1e-5)


def test_deep_and_sorted_pages_keep_the_core_order(service: SearchService) -> None:
    deep = service.search(SearchRequest(text="shirt", k=10, offset=95, facets=False, diversity=0.5))
    assert deep.page.returned == 10 and "diversity" not in deep.result.hits[0].breakdown
    newest = service.search(SearchRequest(text="shirt", k=5, sort="newest", diversity=0.5, facets=False))
    years = [h.product.year or 0 for h in newest.result.hits]
    assert years == sorted(years, reverse=True) and "diversity" not in newest.result.hits[0].breakdown
    with pytest.raises(QueryError, match="diversity"):
        service.search(SearchRequest(text="shirt", diversity=1.5))


def test_mmr_formula() -> None:
    vectors = np.array([[1.0, 0.0], [0.999, 0.045], [0.0, 1.0]])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    scores = np.array([1.0, 0.9, 0.5])
    assert mmr_order(scores, vectors, 0.0)[0] == [0, 2, 1]  # the near-duplicate waits even so
    order, similar = mmr_order(scores, np.array([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0]]), 0.6)
    # 1 - 0.6 = 0.4 relevance weight: item 2 (unlike item 0) beats item 1 (cos 0.8 to item 0)
    assert order == [0, 2, 1] and similar[0] == 0.0 and similar[1] == pytest.approx(0.8)
