"""Search-as-you-type suggestions over the real sample catalog's products."""

from __future__ import annotations

import pytest

from indexer.catalog import read_catalog
from indexer.search.catalog_facts import CatalogFacts
from indexer.search.suggest import MAX_SUGGESTIONS, PastQuery, ProductMatcher, SuggestIndex, build_index
from indexer.search.suggest_words import one_edit


@pytest.fixture(scope="module")
def facts(catalog_dir: object) -> CatalogFacts:
    entries = read_catalog(str(catalog_dir)).entries[:2000]
    return CatalogFacts.from_payloads([e.product.to_payload() for e in entries])


PAST = [
    PastQuery("white sneakers", searches=40, shoppers=12),
    PastQuery("ladies purse", searches=9, shoppers=5),
    PastQuery("my secret present for anna", searches=30, shoppers=1),  # one shopper: private
    PastQuery("unicorn saddle", searches=25, shoppers=9),  # nothing in the catalog
]


@pytest.fixture(scope="module")
def index(facts: CatalogFacts) -> SuggestIndex:
    return build_index(facts, PAST, min_shoppers=3)


def texts(index: SuggestIndex, typed: str) -> list[str]:
    return [s.text.casefold() for s in index.lookup(typed)]


def test_prefix_offers_past_queries_and_vocabulary(index: SuggestIndex) -> None:
    assert texts(index, "whi")[0] == "white sneakers"
    assert "white sneakers" in texts(index, "white sn")
    assert "nike" in texts(index, "nik")
    kinds = {s.kind for s in index.lookup("white")}
    assert {"query", "colour_type", "understood"} <= kinds
    assert any(t.endswith("for women") or t.endswith("for men") for t in texts(index, "white sneakers"))
    assert len(index.lookup("b")) == MAX_SUGGESTIONS
    assert index.lookup("") == [] and index.lookup("  ,. ") == []


def test_one_typo_from_four_letters(index: SuggestIndex) -> None:
    assert "white sneakers" in texts(index, "sneakrs")  # a letter left out
    assert "adidas" in texts(index, "addidas")  # one too many
    assert any("watch" in t for t in texts(index, "wacth"))  # swapped
    assert "puma" in texts(index, "pumz")  # changed, at four letters
    assert "puma" not in texts(index, "pzm")  # below four letters a typo is not forgiven
    assert texts(index, "qqqqzz") == []
    assert one_edit("watch", "wacth") and not one_edit("watch", "wtcah")


def test_privacy_threshold(facts: CatalogFacts) -> None:
    assert not [s for s in build_index(facts, PAST, 3).lookup("my secret") if s.kind == "query"]
    assert "ladies purse" in texts(build_index(facts, PAST, 5), "ladies")
    assert "ladies purse" not in texts(build_index(facts, PAST, 6), "ladies")
    opened = build_index(facts, PAST, 1)
    assert "my secret present for anna" not in texts(opened, "my secret")  # no product for it either
    assert texts(opened, "unicorn") == []


def test_every_suggestion_has_results(index: SuggestIndex, facts: CatalogFacts) -> None:
    matcher = ProductMatcher(facts)
    assert all(s.count > 0 for s in index.suggestions)
    assert matcher.count("unicorn saddle") == 0
    # words the catalog does not know are read past, as the search reads past them
    assert matcher.count("gym wear for men under 40") == matcher.count("gym men") > 0
    sneakers = next(s for s in index.lookup("white sneakers") if s.kind == "query")
    assert sneakers.count == matcher.count("white sneakers") > 0
    # a colour + type pair's count is its products', exactly ("watches" is the sub-category, the
    # widest meaning of the word: article type Watches is inside it)
    pair = next(s for s in index.lookup("black watches") if s.kind == "colour_type")
    black_watches = [p for p in facts.products.values()
                     if p.values.get("colour") == "Black" and p.values.get("sub_category") == "Watches"]
    assert pair.count == len(black_watches) > 0


def test_a_popular_typo_is_offered_corrected(facts: CatalogFacts) -> None:
    past = [PastQuery("blak watch", searches=7, shoppers=4), PastQuery("black watch", searches=2, shoppers=3)]
    queries = {s.text: s for s in build_index(facts, past, 3).suggestions if s.kind == "query"}
    assert "blak watch" not in queries and queries["black watch"].popularity == 9


def test_a_rebuild_for_new_queries_keeps_the_catalogs_part(facts: CatalogFacts, index: SuggestIndex) -> None:
    past = [*PAST, PastQuery("black wallet", searches=5, shoppers=4)]
    rebuilt = build_index(facts, past, 3, index.catalog)
    assert rebuilt.catalog is index.catalog  # same facts: the vocabulary is not read again
    fresh = build_index(facts, past, 3)
    assert [s.to_json() for s in rebuilt.lookup("black wal")] == [s.to_json()
                                                                 for s in fresh.lookup("black wal")]
    assert "black wallet" in texts(rebuilt, "black wal")
    some = list(facts.products.items())[:50]
    other = CatalogFacts.from_payloads({"id": pid} | dict(p.values) for pid, p in some)
    assert build_index(other, past, 3, index.catalog).catalog is not index.catalog  # other facts: rebuilt
