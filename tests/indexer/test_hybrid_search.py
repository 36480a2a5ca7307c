"""Hybrid search through the SearchService on the real sample catalog: products of the project's
validation split indexed with the shipped default model into an embedded store, with the keyword
vector. No Redis, no mocks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from encoder import Encoder
from encoder.train.data import split_ids
from indexer import EdgeStore, Searcher, Settings, index_entries, read_catalog
from indexer.errors import QueryError
from indexer.schema import Product
from indexer.search import SearchRequest, SearchService
from indexer.search.reading import read_query

SLICE = 500


@pytest.fixture(scope="module")
def products_and_store(catalog_dir: Path, tmp_path_factory: pytest.TempPathFactory
                       ) -> Iterator[tuple[list[Product], EdgeStore, Encoder]]:
    everything = read_catalog(catalog_dir).entries
    val = set(split_ids([e.product.id for e in everything])[1])
    entries = [e for e in everything if e.product.id in val][:SLICE]
    encoder = Encoder.load("default", device="cpu")
    store = EdgeStore(tmp_path_factory.mktemp("hybrid"), "hybrid")
    index_entries(encoder, store, entries, batch_size=64)
    store.optimize()
    yield [e.product for e in entries], store, encoder
    store.close()


@pytest.fixture(scope="module")
def service(products_and_store: tuple[list[Product], EdgeStore, Encoder]) -> SearchService:
    _, store, encoder = products_and_store
    return SearchService(Searcher(encoder, store, Settings()))


def search(service: SearchService, text: str, k: int = 10, **kw: object) -> list[Product]:
    return [h.product for h in service.search(SearchRequest(text=text, k=k, facets=False, **kw)).result.hits]


def is_type(p: Product, *types: str) -> bool:
    """The product is of one of ``types``: its article type, or (without one) its title says so."""
    if p.article_type:
        return p.article_type in types
    title = p.title.lower().replace("-", "")
    return any(t.lower().rstrip("s") in title for t in types)


def test_the_slice_has_what_the_queries_ask_for(products_and_store: tuple[list[Product], EdgeStore, Encoder]
                                                ) -> None:
    products, store, _ = products_and_store
    assert store.has_keywords()
    assert sum(p.brand == "Puma" for p in products) >= 3
    assert sum(p.brand == "ADIDAS" for p in products) >= 3
    assert sum(is_type(p, "Casual Shoes", "Sports Shoes") for p in products) >= 3


def test_a_brand_query_puts_the_brand_first(service: SearchService) -> None:
    for text, brand in (("puma", "Puma"), ("adidas", "ADIDAS")):
        top = search(service, text, 3)
        assert [p.brand for p in top] == [brand] * 3, (text, [p.title for p in top])


def test_a_shopper_synonym_finds_the_catalog_type(service: SearchService) -> None:
    top = search(service, "sneakers", 3)
    assert all(is_type(p, "Casual Shoes", "Sports Shoes") for p in top), [p.title for p in top]
    top = search(service, "tees for men", 3)
    assert all(is_type(p, "Tshirts") and p.gender in ("Men", "Unisex") for p in top), [p.title for p in top]


def test_a_typo_is_corrected_and_said_so(service: SearchService) -> None:
    found = service.search(SearchRequest(text="addidas", k=3, facets=False))
    assert [h.product.brand for h in found.result.hits] == ["ADIDAS"] * 3
    assert found.did_you_mean == "adidas"
    assert "showing results for 'adidas'" in found.notices
    top = search(service, "sneekers", 3)
    assert all(is_type(p, "Casual Shoes", "Sports Shoes") for p in top), [p.title for p in top]


def _violates(p: Product, field: str, values: list[str]) -> bool:
    """A product states a value for the field and it is not one asked for (title aside)."""
    value = getattr(p, field)
    return value is not None and value not in values


@pytest.mark.parametrize("text", ["white shoes", "black watch for men", "puma tshirt", "blue jeans",
                                  "women handbags", "casual shirts"])
def test_filter_mode_never_returns_a_product_without_an_understood_attribute(
    service: SearchService, text: str
) -> None:
    found = service.search(SearchRequest(text=text, k=20, facets=False, understand="filter"))
    assert found.result.hits and not found.notices, found.notices
    applied = [a for a in found.understood["attributes"] if a["applied"]]  # type: ignore[index]
    assert applied
    for hit in found.result.hits:
        for attr in applied:
            field = attr["field"]
            if field == "article_type" and hit.product.article_type is None:
                assert is_type(hit.product, *attr["values"]), hit.product.title
            else:
                assert not _violates(hit.product, field, attr["values"]), (hit.product, attr)
        assert len(hit.breakdown["understood"]) == len(applied)


def test_filter_mode_relaxes_an_impossible_combination_and_says_so(service: SearchService) -> None:
    found = service.search(SearchRequest(text="pink formal shoes for boys", k=10, facets=False,
                                         understand="filter"))
    assert found.result.hits
    assert any(n.startswith("no product matches all of") for n in found.notices), found.notices


@pytest.mark.parametrize("text", ["earrings", "purple tuxedo for kids under 30", "party dress",
                                  "zzzq", "gold necklace"])
def test_soft_mode_never_answers_with_nothing(service: SearchService, text: str) -> None:
    assert search(service, text)


def test_understood_and_notices_have_their_shape(service: SearchService) -> None:
    found = service.search(SearchRequest(text="white sneekers under 50", k=5, facets=False))
    understood = found.understood
    assert understood is not None and understood["mode"] == "boost"
    kinds = {a["kind"]: a for a in understood["attributes"]}
    assert kinds["colour"]["values"] == ["White"] and kinds["colour"]["words"] == ["white"]
    assert kinds["colour"]["applied"] and not kinds["colour"]["ignored"]
    assert kinds["type"]["words"] == ["sneekers"] and kinds["type"]["applied"]
    assert understood["price"]["max"] == 50 and not understood["price"]["applied"]
    assert found.notices == ("showing results for 'white sneakers under 50'",
                             "no prices in this catalog, the price condition was ignored")
    assert found.did_you_mean == "white sneakers under 50"
    none = service.search(SearchRequest(text="earrings", k=5, facets=False))
    assert none.notices == ("no earrings in this catalog, showing the closest items",)
    assert none.understood["attributes"][0]["products"] == 0  # type: ignore[index]
    assert not none.understood["attributes"][0]["applied"]  # type: ignore[index]


@pytest.mark.parametrize(("text", "field", "value"), [("earrings", "category", "Accessories"),
                                                    ("boots for men", "sub_category", "Shoes")])
def test_a_type_the_catalog_lacks_shows_the_level_above_it(service: SearchService, text: str, field: str,
                                                           value: str) -> None:
    """No earrings or boots here: the closest items are accessories and shoes, not whatever
    the words happen to match, and each hit says why it is there."""
    found = service.search(SearchRequest(text=text, k=5, facets=False))
    assert found.notices and found.notices[0].endswith("in this catalog, showing the closest items")
    assert [getattr(h.product, field) for h in found.result.hits] == [value] * 5
    words = text.split()[0]
    assert all(f"{field}={value} from '{words}'" in h.breakdown["understood"] for h in found.result.hits)
    if "men" in text:
        assert all(h.product.gender in ("Men", "Unisex") for h in found.result.hits)


def test_every_hit_explains_each_term_of_its_score(service: SearchService) -> None:
    hit = service.search(SearchRequest(text="white shoes", k=1, facets=False)).result.hits[0]
    b = hit.breakdown
    for term in ("s_image", "s_text", "s_keyword", "s_attributes"):
        assert isinstance(b[term], float)
    assert set(b["weights"]) == {"image", "text", "keyword", "attributes"}
    assert b["fusion"] in ("weighted", "rrf") and "s_keyword" in b["formula"]
    assert "colour=White from 'white'" in b["understood"]


def test_ignoring_an_attribute_turns_it_and_its_words_off(service: SearchService) -> None:
    asked = search(service, "white shoes", 10)
    assert sum(p.colour == "White" for p in asked) >= 8
    found = service.search(SearchRequest(text="white shoes", k=10, facets=False, ignore=("colour",)))
    colour = next(a for a in found.understood["attributes"] if a["kind"] == "colour")  # type: ignore[index]
    assert colour["ignored"] and not colour["applied"]
    assert sum(h.product.colour == "White" for h in found.result.hits) < 8
    assert all(is_type(h.product, "Casual Shoes", "Sports Shoes", "Formal Shoes", "Heels", "Flats",
                       "Shoes") or h.product.sub_category == "Shoes" for h in found.result.hits)


def test_understanding_off_reads_nothing(service: SearchService) -> None:
    found = service.search(SearchRequest(text="addidas", k=3, facets=False, understand="off"))
    assert found.understood is None and found.notices == () and found.did_you_mean is None
    assert all(h.breakdown["s_attributes"] == 0.0 for h in found.result.hits)


def test_bad_understanding_parameters_are_refused(service: SearchService) -> None:
    with pytest.raises(QueryError, match="understand must be one of boost, filter, off"):
        service.search(SearchRequest(text="shoes", understand="maybe"))
    with pytest.raises(QueryError, match="ignore takes the kinds"):
        service.search(SearchRequest(text="shoes", ignore=("size",)))


def test_the_vocabulary_follows_the_catalog(products_and_store: tuple[list[Product], EdgeStore, Encoder],
                                            catalog_dir: Path) -> None:
    _, store, encoder = products_and_store
    searcher = Searcher(encoder, store, Settings())
    searcher.facts.check_every_s = 0.0
    before = searcher.facts.get()
    newcomer = next(e for e in read_catalog(catalog_dir).entries if e.product.brand == "Reebok"
                    and e.product.id not in before.products)
    index_entries(encoder, store, [newcomer], batch_size=8)
    searcher.facts.get()  # notices the change and rebuilds in the background
    searcher.facts.wait_rebuilt()
    after = searcher.facts.get()
    assert newcomer.product.id in after.products and after is not before
    was = before.vocabulary.values["brand"].get("Reebok", 0)
    assert after.vocabulary.values["brand"]["Reebok"] == was + 1
    reading = read_query("reebok", after)
    assert reading.attributes and reading.attributes[0].field == "brand"
