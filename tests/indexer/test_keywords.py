"""The keyword vector: the same keyword answers from both backends and through the store host,
filters honoured, edits followed, and collections made before it still served (and upgraded)."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import qdrant_edge as qe
from qdrant_client import QdrantClient, models

from cli.doctor import keywords_notice
from encoder import Encoder
from indexer import ClientStore, EdgeStore, Query, Searcher, Settings, index_entries, parse_filters
from indexer.catalog import CatalogEntry
from indexer.live import LiveIndex
from indexer.reindex import reindex
from indexer.schema import INDEXED_FIELDS
from indexer.store.edge import META_FILE
from indexer.store.host import StoreHost
from indexer.store.keywords import KEYWORD_MODEL, keyword_document
from indexer.store.protocol import VECTOR_NAMES
from indexer.store.remote import RemoteStore

QUERIES = [
    ("puma t-shirt", None),
    ("black watch", None),
    ("sports shoes", None),
    ("blue jeans", None),
    ("women handbag", None),
    ("nike", None),
    ("casual summer shirt men", None),
    ("tshirts", {"gender": "Women"}),
    ("yellow tee for men", {"sub_category": "Topwear", "year": {"gte": 2011}}),
    ("brown shoes", {"brand": ["Clarks", "Rockport"]}),
]


@pytest.fixture(scope="module")
def both(
    tmp_path_factory: pytest.TempPathFactory, encoder: Encoder, catalog_entries: list[CatalogEntry]
) -> Iterator[tuple[EdgeStore, ClientStore]]:
    edge = EdgeStore(tmp_path_factory.mktemp("edge"))
    server = ClientStore(client=QdrantClient(":memory:"), collection="products")
    for store in (edge, server):
        index_entries(encoder, store, catalog_entries)
    yield edge, server
    edge.close()
    server.close()


def test_spellings_of_a_type_meet() -> None:
    tshirt = KEYWORD_MODEL.query("tshirts")
    for spelling in ("T-shirt", "t shirt", "T-Shirts", "Tshirt"):
        assert KEYWORD_MODEL.query(spelling) == tshirt, spelling
    # the catalog's title says "T-shirt", its type "Tshirts": one word, counted twice
    doc = KEYWORD_MODEL.document({"title": "Puma Men Black T-shirt", "article_type": "Tshirts"})
    assert dict(zip(doc.indices, doc.values, strict=True))[tshirt.indices[0]] > min(doc.values)
    assert KEYWORD_MODEL.query("the and for") == KEYWORD_MODEL.query("") and not KEYWORD_MODEL.query("")
    with pytest.raises(TypeError):
        KEYWORD_MODEL.query(None)  # type: ignore[arg-type]


def test_document_repeats_no_value_twice() -> None:
    doc = keyword_document(
        {"title": "Titan Men Watch", "brand": "Titan", "sub_category": "Watches", "article_type": "Watches",
         "gender": "Men", "price": 10.0, "id": "7"}
    )
    assert doc == "Titan Men Watch ; Titan ; Watches ; Men"


@pytest.mark.parametrize(("text", "raw"), QUERIES, ids=[q for q, _ in QUERIES])
def test_same_keyword_top10_on_both_backends(
    both: tuple[EdgeStore, ClientStore], text: str, raw: dict | None
) -> None:
    edge, server = both
    spec = parse_filters(raw)
    a, b = edge.keyword_candidates(text, spec, 10), server.keyword_candidates(text, spec, 10)
    assert len(a) == 10
    assert [i for i, _ in a] == [i for i, _ in b]
    assert all(abs(x - y) < 1e-4 for (_, x), (_, y) in zip(a, b, strict=True))
    assert [s for _, s in a] == sorted((s for _, s in a), reverse=True)


def test_keyword_hits_match_their_words_and_filters(
    both: tuple[EdgeStore, ClientStore], catalog_entries: list[CatalogEntry]
) -> None:
    edge, _ = both
    by_id = {e.product.id: e.product for e in catalog_entries}
    top = [by_id[i] for i, _ in edge.keyword_candidates("puma t-shirt", None, 5)]
    # (many rows of the real catalog lack an article type: the title carries the word then)
    assert all(p.brand == "Puma" and "tshirt" in p.title.lower().replace("-", "") for p in top)
    spec = parse_filters({"gender": "Women", "colour": ["Black", "White"]})
    hits = edge.keyword_candidates("casual tshirt", spec, 50)
    assert hits and all(spec.matches(by_id[i].to_payload()) for i, _ in hits)
    assert len(hits) <= edge.count(spec)
    assert edge.keyword_candidates("zzqx", None, 10) == [] and edge.keyword_candidates("", None, 10) == []


def test_keyword_vector_follows_a_payload_edit(
    tmp_path: Path, encoder: Encoder, catalog_entries: list[CatalogEntry]
) -> None:
    edge = EdgeStore(tmp_path)
    server = ClientStore(client=QdrantClient(":memory:"), collection="products")
    target = catalog_entries[3].product.id
    for store in (edge, server):
        index_entries(encoder, store, catalog_entries[:20])
        assert store.keyword_candidates("zanzibar", None, 5) == []
        store.set_payload(target, {"title": "Zanzibar Unisex Scarf"})
        assert [i for i, _ in store.keyword_candidates("zanzibar", None, 5)] == [target]
    edge.close()
    server.close()


def test_keywords_through_the_store_host(
    tmp_path: Path, encoder: Encoder, catalog_entries: list[CatalogEntry]
) -> None:
    edge = EdgeStore(tmp_path)
    index_entries(encoder, edge, catalog_entries[:60])
    spec = parse_filters({"gender": "Men"})
    direct = edge.keyword_candidates("black shirt", spec, 10)
    edge.close()  # the host opens the shard itself
    socket_dir = Path(tempfile.mkdtemp(prefix="vk-"))  # a socket path must be short
    host = StoreHost(tmp_path, socket_dir / "store.sock")
    host.start()
    try:
        remote = RemoteStore(socket_dir / "store.sock")
        assert remote.has_keywords() and remote.info().keywords
        assert remote.keyword_candidates("black shirt", spec, 10) == direct != []
        remote.close()
    finally:
        host.close()
        shutil.rmtree(socket_dir, ignore_errors=True)


def _legacy_edge(data_dir: Path, dim: int, model: str, spec: str) -> EdgeStore:
    """A collection as the embedded store created it before the keyword vector."""
    path = EdgeStore(data_dir).path
    path.mkdir(parents=True)
    vectors = {n: qe.EdgeVectorParams(size=dim, distance=qe.Distance.Cosine) for n in VECTOR_NAMES}
    shard = qe.EdgeShard.create(str(path), qe.EdgeConfig(vectors=vectors))
    types = {"keyword": qe.PayloadSchemaType.Keyword, "integer": qe.PayloadSchemaType.Integer,
             "float": qe.PayloadSchemaType.Float}
    for name, kind in INDEXED_FIELDS.items():
        shard.update(qe.UpdateOperation.create_field_index(name, types[kind]))
    shard.flush()
    shard.close()
    (path / META_FILE).write_text(json.dumps({"dim": dim, "model": model, "model_spec": spec}))
    return EdgeStore(data_dir)


def test_a_collection_without_the_vector_keeps_working_and_reindex_adds_it(
    tmp_path: Path, encoder: Encoder, tiny_model_dir: Path, catalog_entries: list[CatalogEntry]
) -> None:
    store = _legacy_edge(tmp_path, encoder.dim, encoder.model_id, str(tiny_model_dir))
    index_entries(encoder, store, catalog_entries[:30], spec=str(tiny_model_dir))
    assert store.count() == 30 and not store.has_keywords() and not store.info().keywords
    assert store.keyword_candidates("casual", None, 10) == []
    assert len(Searcher(encoder, store).search(Query(text="casual", k=5)).hits) == 5  # dense search as before
    notice = keywords_notice(store.info())
    assert notice is not None and f"vitrine reindex --model {tiny_model_dir}" in notice

    live = LiveIndex(Settings(data_dir=tmp_path), encoder, store)
    report = reindex(live, encoder, str(tiny_model_dir))
    upgraded = live.current().store
    assert report.copied == 30 and upgraded.physical == report.target and report.reused_vectors
    ids = [e.product.id for e in catalog_entries[:30]]
    before = {p.product_id: p for p in store.get(ids, with_vectors=True)}
    for p in upgraded.get(ids, with_vectors=True):  # the same model: its vectors copied as they were
        assert (p.image == before[p.product_id].image).all() and (p.text == before[p.product_id].text).all()
        assert p.payload == before[p.product_id].payload
    assert upgraded.has_keywords() and keywords_notice(upgraded.info()) is None
    assert upgraded.keyword_candidates("casual", None, 10)
    live.close()
    reopened = EdgeStore(tmp_path)  # a process started after the switch
    assert reopened.has_keywords() and reopened.keyword_candidates("casual", None, 10)
    reopened.close()


def test_a_server_collection_without_the_vector_keeps_working(
    encoder: Encoder, catalog_entries: list[CatalogEntry]
) -> None:
    client = QdrantClient(":memory:")
    params = {n: models.VectorParams(size=encoder.dim, distance=models.Distance.COSINE) for n in VECTOR_NAMES}
    client.create_collection("products-1", vectors_config=params,
                             metadata={"dim": encoder.dim, "model": encoder.model_id, "model_spec": None})
    alias = models.CreateAlias(collection_name="products-1", alias_name="products")
    client.update_collection_aliases(change_aliases_operations=[models.CreateAliasOperation(create_alias=alias)])
    store = ClientStore(client=client, collection="products")
    index_entries(encoder, store, catalog_entries[:10])
    assert store.count() == 10 and not store.info().keywords
    assert store.keyword_candidates("casual", None, 10) == []
    assert keywords_notice(store.info()) is not None
    assert store.physical == "products-1"
    fresh = store.sibling("products-2")
    fresh.ensure_collection(encoder.dim, encoder.model_id)
    assert fresh.has_keywords()
    store.close()


def test_keyword_document_benchmark_grades_and_runs(catalog_dir: Path, tmp_path: Path) -> None:
    from benchmarks.keyword_document import VARIANTS, grade, main, ndcg10

    watch = {"brand": "Fastrack", "article_type": "Watches"}
    assert grade(watch, {"brand": ("Fastrack",), "article_type": ("Watches",)}) == 2
    assert grade(watch, {"brand": ("Titan",), "article_type": ("Watches",)}) == 1
    assert grade(watch, {"article_type": ("Belts",)}) == 0
    assert ndcg10([2, 1, 0], [2, 1, 0, 0]) == 1.0 and ndcg10([0, 1, 2], [2, 1]) < 1.0
    assert main(["--catalog", str(catalog_dir), "--json", str(tmp_path / "out.json")]) == 0
    report = json.loads((tmp_path / "out.json").read_text())
    assert set(report["variants"]) == set(VARIANTS) and report["products"] > 2000
    # the shipped document is at least as good as the title alone, by a margin ties cannot close
    assert report["variants"]["shipped"]["ndcg10"] > report["variants"]["title"]["ndcg10"] + 0.03
