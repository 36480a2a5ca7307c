"""The catalog-vocabulary suggestions (indexer/search/suggest_vocab.py) over the real sample
catalog: what they offer for a few letters, and that each count is the products it names."""

from __future__ import annotations

import pytest

from indexer.catalog import read_catalog
from indexer.search.catalog_facts import CatalogFacts, ProductFacts
from indexer.search.suggest import MAX_SUGGESTIONS, SuggestIndex, Suggestion, build_index
from indexer.search.suggest_vocab import MIN_LIFT, vocabulary_suggestions
from indexer.understanding.text import key_of


@pytest.fixture(scope="module")
def facts(catalog_dir: object) -> CatalogFacts:
    entries = read_catalog(str(catalog_dir)).entries[:2000]
    return CatalogFacts.from_payloads([e.product.to_payload() for e in entries])


@pytest.fixture(scope="module")
def index(facts: CatalogFacts) -> SuggestIndex:
    return build_index(facts, [], min_shoppers=3)  # no query log: the vocabulary alone


def products(facts: CatalogFacts, **values: str) -> list[ProductFacts]:
    return [p for p in facts.products.values() if all(p.values.get(k) == v for k, v in values.items())]


def with_words(product: ProductFacts, phrase: str) -> bool:
    """Whether the product's title has the words of ``phrase`` in a row (plurals folded)."""
    key = key_of(phrase)
    return any(product.title[i : i + len(key)] == key for i in range(len(product.title)))


def kinds(found: list[Suggestion]) -> set[str]:
    return {s.kind for s in found}


def test_gender_words_complete_to_the_types_that_gender_has(index: SuggestIndex, facts: CatalogFacts) -> None:
    boys = index.lookup("boys")
    assert boys and kinds(boys) == {"gender_type"}
    assert all(s.text.startswith("boys ") and 0 < s.count <= len(products(facts, gender="Boys"))
               for s in boys)
    shirts = next(s for s in index.lookup("men's shirts") if s.kind == "gender_type")
    assert shirts.text == "men's shirts"
    # "men" means Men and Unisex products, as query understanding reads it; the article type
    # or, where a product has none, the type its title names within its sub-category (a
    # "T-Shirt" title names tshirts, not shirts: hence the range)
    men = [p for p in facts.products.values() if p.values.get("gender") in ("Men", "Unisex")]
    typed = sum(1 for p in men if p.values.get("article_type") == "Shirts")
    untyped = sum(1 for p in men if not p.values.get("article_type")
                  and p.values.get("sub_category") == "Topwear" and with_words(p, "shirts"))
    assert typed < shirts.count <= typed + untyped
    # typed type first, the same pair reads type first
    socks = index.lookup("socks f")[0]
    assert (socks.text, socks.kind) == ("socks for men", "gender_type")


def test_a_brand_completes_to_its_own_product_types(index: SuggestIndex, facts: CatalogFacts) -> None:
    found = index.lookup("puma")
    assert len(found) == MAX_SUGGESTIONS
    puma = products(facts, brand="Puma")
    assert (found[0].text, found[0].kind, found[0].count) == ("Puma", "brand", len(puma))
    pairs = [s for s in found if s.kind == "brand_type"]
    assert len(pairs) >= 3 and all(s.text.startswith("Puma ") and 0 < s.count < found[0].count for s in pairs)
    tshirts = next(s for s in pairs if s.text == "Puma tshirts")
    named = [p for p in puma if p.values.get("article_type") == "Tshirts" or (
        not p.values.get("article_type") and (with_words(p, "tshirt") or with_words(p, "t shirt")))]
    assert len(named) <= tshirts.count <= len([p for p in puma if p.values.get("sub_category") == "Topwear"])


def test_types_a_title_names_count_where_the_catalog_has_no_article_type(facts: CatalogFacts,
                                                                         index: SuggestIndex) -> None:
    untyped = [p for p in products(facts, sub_category="Bottomwear")
               if not p.values.get("article_type") and with_words(p, "track pants")]
    typed = products(facts, article_type="Track Pants")
    assert untyped  # the sample catalog has products without an article type
    track = next(s for s in index.lookup("track pants") if s.kind == "type")
    assert track.text == "track pants" and track.count >= len(typed) + len(untyped)


def test_materials_and_the_types_made_of_them(index: SuggestIndex, facts: CatalogFacts) -> None:
    found = index.lookup("leat")
    assert found[0].kind == "material" and found[0].text == "leather"
    assert found[0].count == sum(1 for p in facts.products.values() if "leather" in p.words)
    pairs = [s for s in found if s.kind == "material_type"]
    assert pairs and all(s.text.startswith("leather ") and 0 < s.count <= found[0].count for s in pairs)


def test_synonyms_find_and_show_in_the_shoppers_words(index: SuggestIndex) -> None:
    black_tee = index.lookup("black tee")[0]
    black_tshirts = next(s for s in index.lookup("black tshirts") if s.kind == "colour_type")
    assert (black_tee.text, black_tee.kind) == ("black tee", "colour_type")
    assert black_tee.count == black_tshirts.count
    gents = index.lookup("gent")  # the lexicon's "gents" is "men"
    assert gents and all(s.text.startswith("gents ") and s.kind == "gender_type" for s in gents)
    assert index.lookup("benetton")[0].text == "benetton"  # the brand's alias
    # one name per meaning in one list: "tee", not also "tees" and "tee shirt"
    tee = [s for s in index.lookup("tee") if s.kind == "type"]
    assert [s.text for s in tee] == ["tee"]


def test_the_top_three_are_not_variants_of_one_type(index: SuggestIndex) -> None:
    for typed in ("blac", "whit", "leat", "gent"):
        top = index.lookup(typed)[:3]
        assert len(top) == 3 and len({s.group for s in top}) == 3, [s.text for s in top]


def test_an_exact_prefix_before_a_typo(index: SuggestIndex) -> None:
    found = index.lookup("cott")  # "cotton", and "coat" one letter away
    first_typo = next(i for i, s in enumerate(found) if not s.text.startswith("cott"))
    assert first_typo > 0 and all(s.text.startswith("cott") for s in found[:first_typo])
    assert index.lookup("pumz")[0].text == "Puma"  # a typo alone still finds it


def test_occasions_pair_only_where_they_narrow_the_type(facts: CatalogFacts) -> None:
    found = vocabulary_suggestions(facts)
    share = len(products(facts, occasion="Casual")) / len(facts.products)
    assert share * MIN_LIFT > 1  # the catalog's default occasion: never narrows a type
    assert not [s for s in found if s.kind == "occasion_type" and s.text.startswith("casual ")]
    formal = [s for s in found if s.kind == "occasion_type" and s.text.startswith("formal ")]
    assert formal and all(s.count > 0 for s in found)
    assert {s.text for s in found if s.kind == "occasion"} >= {"office wear", "ethnic wear"}
