"""More like this, less like that: Qdrant's recommendation query on both backends."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from qdrant_client import QdrantClient

from encoder import Encoder
from indexer import ClientStore, EdgeStore, index_entries, parse_filters
from indexer.catalog import CatalogEntry
from indexer.errors import NotFoundError, QueryError
from indexer.search.encoding import DirectEncoder
from indexer.search.recommend import RecommendRequest, recommend
from indexer.store.protocol import StoredPoint, VectorStore

NEGATIVE = "10005"


def near_copies(store: VectorStore, product_id: str, n: int, seed: int = 0) -> list[str]:
    """``n`` near-duplicates of a product (the same photo from other sellers): image cosine > 0.98."""
    rng = np.random.default_rng(seed)
    (point,) = store.get([product_id], with_vectors=True)
    assert point.image is not None and point.text is not None
    copies = []
    for i in range(n):
        image = point.image + rng.normal(0, 0.004, point.image.shape).astype(np.float32)
        image /= np.linalg.norm(image)
        assert float(image @ point.image) > 0.98
        pid = f"{product_id}{90 + i}"
        payload = {**point.payload, "id": pid, "title": f"{point.payload['title']} (seller {i})"}
        copies.append(StoredPoint(pid, payload, image, point.text.copy()))
    store.upsert(copies)
    return [c.product_id for c in copies]


@pytest.fixture(scope="module")
def both(
    tmp_path_factory: pytest.TempPathFactory, encoder: Encoder, catalog_entries: list[CatalogEntry]
) -> Iterator[tuple[EdgeStore, ClientStore, list[str]]]:
    edge = EdgeStore(tmp_path_factory.mktemp("edge"))
    server = ClientStore(client=QdrantClient(":memory:"), collection="products")
    copies: list[str] = []
    for store in (edge, server):
        index_entries(encoder, store, catalog_entries)
        copies = near_copies(store, NEGATIVE, 4)
    yield edge, server, copies
    edge.close()
    server.close()


def test_negative_examples_near_duplicates_never_appear(
    both: tuple[EdgeStore, ClientStore, list[str]], encoder: Encoder
) -> None:
    edge, _, copies = both
    plain = recommend(edge, DirectEncoder(encoder), RecommendRequest(positive=(NEGATIVE,), k=10))
    # Liked, its copies come first; disliked, none of them may show.
    assert set(copies) <= {h.id for h in plain[:5]}
    for positive in ("10000", "10001", "10011"):
        hits = recommend(edge, DirectEncoder(encoder),
                         RecommendRequest(positive=(positive,), negative=(NEGATIVE,), k=20))
        assert len(hits) == 20
        assert not set(copies) & {h.id for h in hits}
        assert NEGATIVE not in {h.id for h in hits} and positive not in {h.id for h in hits}
        for h in hits:
            assert h.breakdown["pulled_by"] == positive
            assert h.breakdown["s_pulled"] > h.breakdown["s_pushed"]
            assert h.breakdown["pushed_by"] == NEGATIVE


def test_filters_are_honoured(both: tuple[EdgeStore, ClientStore, list[str]], encoder: Encoder) -> None:
    edge, _, _ = both
    spec = parse_filters({"gender": "Women"})
    hits = recommend(edge, DirectEncoder(encoder), RecommendRequest(positive=("10000",), filters=spec, k=15))
    assert hits and all(h.product.gender == "Women" for h in hits)


def test_text_example_is_named(both: tuple[EdgeStore, ClientStore, list[str]], encoder: Encoder) -> None:
    edge, _, _ = both
    hits = recommend(edge, DirectEncoder(encoder), RecommendRequest(text="black watch", k=5))
    assert [h.breakdown["pulled_by"] for h in hits] == ["[text]"] * 5


def test_same_answers_embedded_and_server(
    both: tuple[EdgeStore, ClientStore, list[str]], encoder: Encoder
) -> None:
    edge, server, _ = both
    enc = DirectEncoder(encoder)
    requests = [
        RecommendRequest(positive=("10000", "10003"), negative=(NEGATIVE,), k=10),
        RecommendRequest(positive=("10001",), negative=("10002", "10004"), text="shirt", k=10,
                         filters=parse_filters({"sub_category": "Topwear"})),
    ]
    for req in requests:
        a, b = recommend(edge, enc, req), recommend(server, enc, req)
        assert [h.id for h in a] == [h.id for h in b] and len(a) == 10
        for x, y in zip(a, b, strict=True):
            assert abs(x.score - y.score) < 1e-4
            assert x.breakdown["pulled_by"] == y.breakdown["pulled_by"]


def test_bad_requests_are_refused(both: tuple[EdgeStore, ClientStore, list[str]], encoder: Encoder) -> None:
    edge, _, _ = both
    enc = DirectEncoder(encoder)
    with pytest.raises(QueryError, match="positive"):
        recommend(edge, enc, RecommendRequest(negative=("10000",)))
    with pytest.raises(QueryError, match="both"):
        recommend(edge, enc, RecommendRequest(positive=("10000",), negative=("10000",)))
    with pytest.raises(NotFoundError, match="nope"):
        recommend(edge, enc, RecommendRequest(positive=("nope",)))
