"""Congruence: Qdrant Edge and qdrant-client (the server API, local mode) give the same answers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from qdrant_client import QdrantClient

from encoder import Encoder
from indexer import ClientStore, EdgeStore, Query, Searcher, index_entries, parse_filters
from indexer.catalog import CatalogEntry
from indexer.search import SimilarRequest

QUERIES = [
    Query(text="black watch", k=10, exact=True),
    Query(text="blue casual shirt for men", k=10, exact=True),
    Query(text="sports shoes", filters=parse_filters({"gender": ["Men", "Unisex"]}), k=10, exact=True),
    Query(
        text="handbag", filters=parse_filters({"occasion": "Casual", "year": {"gte": 2011}}), k=10, exact=True
    ),
    Query(text="white", filters=parse_filters({"sub_category": "Topwear"}), k=10, offset=5, exact=True),
]


@pytest.fixture(scope="module")
def both(
    tmp_path_factory: pytest.TempPathFactory, encoder: Encoder, catalog_entries: list[CatalogEntry]
) -> Iterator[tuple[Searcher, Searcher]]:
    edge = EdgeStore(tmp_path_factory.mktemp("edge"))
    server = ClientStore(client=QdrantClient(":memory:"), collection="products")
    for store in (edge, server):
        index_entries(encoder, store, catalog_entries)
    yield Searcher(encoder, edge), Searcher(encoder, server)
    edge.close()
    server.close()


def test_same_counts_and_facets(both: tuple[Searcher, Searcher]) -> None:
    edge, server = both
    assert (
        edge.store.count()
        == server.store.count()
        == len({p.product_id for p in edge.store.get([str(i) for i in range(10000, 10400)])})
    )
    spec = parse_filters({"gender": "Women"})
    assert edge.store.count(spec) == server.store.count(spec) > 0
    assert edge.store.facets("sub_category", spec) == server.store.facets("sub_category", spec)


@pytest.mark.parametrize("query", QUERIES, ids=[q.text for q in QUERIES])
def test_same_top10_and_scores(both: tuple[Searcher, Searcher], query: Query) -> None:
    edge, server = both
    a, b = edge.search(query), server.search(query)
    assert [h.id for h in a.hits] == [h.id for h in b.hits]
    assert len(a.hits) == 10
    for x, y in zip(a.hits, b.hits, strict=True):
        assert abs(x.score - y.score) < 1e-4
        assert abs(x.breakdown["s_image"] - y.breakdown["s_image"]) < 1e-4
        assert abs(x.breakdown["s_text"] - y.breakdown["s_text"]) < 1e-4
        assert x.product == y.product


def test_same_similar_items(both: tuple[Searcher, Searcher]) -> None:
    edge, server = both
    for by in ("image", "text", "both"):
        a = edge.similar(SimilarRequest(product_id="10000", by=by, k=8))
        b = server.similar(SimilarRequest(product_id="10000", by=by, k=8))
        assert [h.id for h in a.hits] == [h.id for h in b.hits]
        assert "10000" not in [h.id for h in a.hits]
