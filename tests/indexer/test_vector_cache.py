"""The re-rank's in-memory vectors: the same scores as the stored vectors, and never stale."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from encoder import Encoder, normalize
from indexer import EdgeStore, Hit, Query, Searcher, Settings, StoredPoint, index_entries
from indexer.catalog import CatalogEntry
from indexer.filters import FilterSpec
from indexer.schema import point_id
from indexer.store.change_log import CandidateIds
from indexer.store.vector_cache import CONTENT_HASH, PAYLOAD_BYTES, VectorCache


def _scores_from_store(store: EdgeStore, query: np.ndarray, ids: list[str]) -> dict[str, float]:
    stored = store.get(ids, with_vectors=True)
    return {p.product_id: 0.5 * float(query @ p.image) + 0.5 * float(query @ p.text)  # type: ignore[operator]
            for p in stored}


def test_cached_vectors_give_the_stored_vectors_scores(encoder: Encoder, indexed_store: EdgeStore) -> None:
    searcher = Searcher(encoder, indexed_store, Settings())
    for _ in range(2):  # the first search fills the cache, the second reads it
        result = searcher.search(Query(text="black leather watch", k=10))
        query = encoder.embed_text("black leather watch")
        expected = _scores_from_store(indexed_store, query, [h.id for h in result.hits])
        for hit in result.hits:
            assert abs(hit.score - expected[hit.id]) < 1e-5
    assert searcher.vectors.hits > 0 and len(searcher.vectors) > 0


def _searched_once(
    encoder: Encoder, catalog_entries: list[CatalogEntry], tmp_path: Path
) -> tuple[EdgeStore, Searcher, np.ndarray, Hit]:
    """A 40-product store, a searcher that has searched "red dress" once (its cache filled),
    the query's vector and the last hit."""
    store = EdgeStore(tmp_path)
    index_entries(encoder, store, catalog_entries[:40])
    searcher = Searcher(encoder, store, Settings())
    first = searcher.search(Query(text="red dress", k=40))
    return store, searcher, encoder.embed_text("red dress"), first.hits[-1]


def test_a_changed_product_is_read_again(
    encoder: Encoder, catalog_entries: list[CatalogEntry], tmp_path: Path
) -> None:
    store, searcher, query, target = _searched_once(encoder, catalog_entries, tmp_path)
    # The product changes (new photo and title): new content hash, new vectors, stored anew.
    old = store.get([target.id], with_vectors=True)[0]
    new_image = normalize(query[None, :])[0]
    store.upsert([StoredPoint(target.id, {**old.payload, CONTENT_HASH: "changed"}, new_image, new_image)])
    second = searcher.search(Query(text="red dress", k=40))
    moved = next(h for h in second.hits if h.id == target.id)
    assert abs(moved.score - 1.0) < 1e-5  # its new vectors equal the query
    assert second.hits[0].id == target.id
    store.close()


def test_a_product_deleted_after_the_candidate_search_is_left_out(
    encoder: Encoder, catalog_entries: list[CatalogEntry], tmp_path: Path
) -> None:
    store = EdgeStore(tmp_path)
    index_entries(encoder, store, catalog_entries[:30])
    searcher = Searcher(encoder, store, Settings())
    query = encoder.embed_text("shoes")
    points = store.candidates(query, searcher.canonical_filters(Query().filters), 30,
                              with_vectors=False, payload_fields=("id", CONTENT_HASH))
    gone = points[3].product_id
    store.delete([gone])
    kept, images, texts = VectorCache(1 << 20).vectors(store, points)
    assert gone not in {p.product_id for p in kept}
    assert images.shape == texts.shape == (len(points) - 1, encoder.dim)
    store.close()


def test_memory_stays_within_the_budget(encoder: Encoder, indexed_store: EdgeStore) -> None:
    row_bytes = 2 * encoder.dim * 4
    cache = VectorCache(max_bytes=10 * row_bytes)
    searcher = Searcher(encoder, indexed_store, Settings(), vectors=cache)
    result = searcher.search(Query(text="blue shirt", k=10))
    assert result.hits and len(cache) == 10
    assert cache.misses >= 10


def test_warming_reads_every_products_vectors_and_the_next_search_reads_none(
    encoder: Encoder, indexed_store: EdgeStore
) -> None:
    searcher = Searcher(encoder, indexed_store, Settings())
    added = searcher.vectors.warm(indexed_store, batch_size=64)
    assert added == indexed_store.count() == len(searcher.vectors)
    result = searcher.search(Query(text="black leather watch", k=10))
    assert result.hits and searcher.vectors.misses == 0 and searcher.vectors.hits > 0
    query = encoder.embed_text("black leather watch")
    expected = _scores_from_store(indexed_store, query, [h.id for h in result.hits])
    assert all(abs(h.score - expected[h.id]) < 1e-5 for h in result.hits)


def test_warming_stops_when_full_and_keeps_what_searches_put_there(
    encoder: Encoder, indexed_store: EdgeStore
) -> None:
    # The embedded store tracks its changes, so warming keeps each product's payload too.
    row_bytes = 2 * encoder.dim * 4
    cache = VectorCache(max_bytes=10 * (row_bytes + PAYLOAD_BYTES))
    point = next(indexed_store.scroll(batch_size=1))[0]
    cache.vectors(indexed_store, [point])  # a search's entry (vectors only), there first
    assert cache.warm(indexed_store, batch_size=4) == 9  # room for nine more, then it stops
    assert len(cache) == 10 and cache._bytes <= cache.max_bytes
    assert len(cache._payloads) == 9 and point.product_id not in cache._payloads
    cache.vectors(indexed_store, [point])
    assert cache.hits == 1  # still there: warming never evicts


def test_a_rewrite_with_the_same_content_hash_is_seen_through_the_change_log(
    encoder: Encoder, catalog_entries: list[CatalogEntry], tmp_path: Path
) -> None:
    store, searcher, query, target = _searched_once(encoder, catalog_entries, tmp_path)
    assert searcher.vectors.mark == store.changes.mark()
    # Same payload, hash included: only the store's own record of the write can tell.
    old = store.get([target.id], with_vectors=True)[0]
    store.upsert([StoredPoint(target.id, old.payload, query, query)])
    second = searcher.search(Query(text="red dress", k=40))
    assert second.hits[0].id == target.id and abs(second.hits[0].score - 1.0) < 1e-5
    assert searcher.vectors.mark == store.changes.mark()
    store.close()


def test_vectors_read_while_a_newer_change_was_applied_are_used_once_not_kept(
    encoder: Encoder, indexed_store: EdgeStore
) -> None:
    cache = VectorCache(1 << 20)
    query = encoder.embed_text("blue shirt")
    found = indexed_store.candidate_ids(query, FilterSpec(), 10, since=None)
    ids, images, _ = cache.by_point(indexed_store, found)
    assert len(ids) == len(found.point_ids) == len(cache) and images.shape[0] == len(ids)
    epoch, count = found.mark
    # Another thread has applied a later change than this (older) answer knew of.
    cache.mark = (epoch, count + 5)
    stale = CandidateIds(found.point_ids, (epoch, count), [found.point_ids[0]])
    ids, _, _ = cache.by_point(indexed_store, stale)
    assert len(ids) == len(found.point_ids)  # answered in full...
    assert len(cache) == len(found.point_ids) - 1  # ...but the re-read row is not kept
    assert cache.mark == (epoch, count + 5)  # and the mark never goes back
    reset = CandidateIds(found.point_ids[:2], ("another-epoch", 0), None)
    cache.by_point(indexed_store, reset)
    assert cache.mark == ("another-epoch", 0) and len(cache) == 2  # forgot everything first


class _WritesDuringScroll:
    """The indexed store, with a product rewritten while a warm-up scrolls through it."""

    def __init__(self, store: EdgeStore, product: StoredPoint, vector: np.ndarray) -> None:
        self.store, self.product, self.vector = store, product, vector

    def scroll(self, batch_size: int = 256, with_vectors: bool = False):  # type: ignore[no-untyped-def]
        for n, batch in enumerate(self.store.scroll(batch_size, with_vectors)):
            yield batch
            if n == 0:
                self.store.upsert([replace(self.product, image=self.vector, text=self.vector)])

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self.store, name)

    def candidate_ids(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return self.store.candidate_ids(*args, **kwargs)

    def get_points(self, point_ids):  # type: ignore[no-untyped-def]
        return self.store.get_points(point_ids)

    def changes_since(self, mark):  # type: ignore[no-untyped-def]
        return self.store.changes_since(mark)


def test_a_product_rewritten_during_the_warm_up_is_not_kept_stale(
    encoder: Encoder, catalog_entries: list[CatalogEntry], tmp_path: Path
) -> None:
    store = EdgeStore(tmp_path)
    index_entries(encoder, store, catalog_entries[:30])
    first = next(store.scroll(batch_size=8, with_vectors=True))[0]
    vector = encoder.embed_text("green kurta")
    cache = VectorCache(1 << 20)
    cache.warm(_WritesDuringScroll(store, first, vector), batch_size=8)  # type: ignore[arg-type]
    assert first.product_id not in cache._rows  # read before the write: dropped
    assert len(cache) == 29
    found = store.candidate_ids(vector, FilterSpec(), 30, since=cache.mark)
    ids, images, _ = cache.by_point(store, found)
    row = images[ids.index(first.product_id)]
    assert np.allclose(row, vector, atol=1e-6)  # read again, as rewritten
    store.close()


def _watch_gets(store: EdgeStore, monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The product ids of each ``store.get`` from now on (the real reads still happen)."""
    reads: list[list[str]] = []
    real_get = store.get
    monkeypatch.setattr(store, "get", lambda ids, with_vectors=False: reads.append(list(ids))
                        or real_get(ids, with_vectors))
    return reads


def test_a_shown_page_is_kept_and_a_payload_update_replaces_it(
    encoder: Encoder, catalog_entries: list[CatalogEntry], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = EdgeStore(tmp_path)
    index_entries(encoder, store, catalog_entries[:30])
    searcher = Searcher(encoder, store, Settings())
    first = searcher.search(Query(text="black shoes", k=5))
    reads = _watch_gets(store, monkeypatch)
    again = searcher.search(Query(text="black shoes", k=5))
    assert [h.id for h in again.hits] == [h.id for h in first.hits] and reads == []  # from memory
    target = first.hits[0].id
    store.set_payload(target, {"price": 12.5})  # a price change: same vectors, new payload
    third = searcher.search(Query(text="black shoes", k=5))
    assert next(h for h in third.hits if h.id == target).product.price == 12.5
    assert reads == [[target]]  # only the changed product was read again
    store.close()


def test_a_warmed_page_needs_no_store_read_and_a_payload_update_replaces_it(
    encoder: Encoder, catalog_entries: list[CatalogEntry], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = EdgeStore(tmp_path)
    index_entries(encoder, store, catalog_entries[:30])
    searcher = Searcher(encoder, store, Settings())
    assert searcher.vectors.warm(store) == 30
    reads = _watch_gets(store, monkeypatch)
    first = searcher.search(Query(text="black shoes", k=5))
    assert len(first.hits) == 5 and reads == []  # the warm-up kept the payloads
    target = first.hits[0].id
    store.set_payload(target, {"price": 7.25})
    again = searcher.search(Query(text="black shoes", k=5))
    assert next(h for h in again.hits if h.id == target).product.price == 7.25
    assert reads == [[target]]
    store.close()


def test_a_write_that_fails_part_way_is_still_in_the_change_log(
    encoder: Encoder, catalog_entries: list[CatalogEntry], tmp_path: Path
) -> None:
    store = EdgeStore(tmp_path)
    index_entries(encoder, store, catalog_entries[:5])
    point = store.get([catalog_entries[0].product.id], with_vectors=True)[0]
    before = store.changes.mark()
    real = store._shard

    class Failing:
        def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
            return getattr(real, name)

        def update(self, operation: object) -> None:
            real.update(operation)  # applied, then the call fails (a flush error, say)
            raise RuntimeError("disk full")

    store._shard = Failing()  # type: ignore[assignment]
    with pytest.raises(RuntimeError):
        store.upsert([point])
    store._shard = real
    _, changed = store.changes.since(before)
    assert changed == [point_id(point.product_id)]
    store.close()
