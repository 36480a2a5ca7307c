"""Query understanding against the real sample catalog's vocabulary."""

from __future__ import annotations

import csv
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer import read_catalog
from indexer.understanding import (
    Lexicon,
    LexiconError,
    Vocabulary,
    brand_from_title,
    learn_brands,
    parse_price,
    understand,
)
from indexer.understanding.lexicon import DEFAULT_PATH

ADIDAS = ("ADIDAS", "ADIDAS Originals")
MEN, WOMEN, KIDS = ("Men", "Unisex"), ("Women", "Unisex"), ("Boys", "Girls")
SNEAKERS = ("Casual Shoes", "Sports Shoes")

# query -> expected {field: values} (exactly these, nothing else), then optional extras:
# price (min, max, currency), corrected text, free words.
TABLE: list[tuple[str, dict[str, tuple[str, ...]], dict[str, Any]]] = [
    # colours, types, genders, and shopper words for them
    ("white sneakers", {"colour": ("White",), "article_type": SNEAKERS}, {}),
    ("trainers", {"article_type": ("Sports Shoes", "Casual Shoes")}, {}),
    ("green tee", {"colour": ("Green",), "article_type": ("Tshirts",)}, {}),
    ("tee shirt", {"article_type": ("Tshirts",)}, {}),
    ("puma t-shirt", {"brand": ("Puma",), "article_type": ("Tshirts",)}, {}),
    ("ladies purse", {"gender": WOMEN, "article_type": ("Handbags", "Clutches", "Wallets")}, {}),
    ("ladies bag", {"gender": WOMEN, "sub_category": ("Bags",)}, {}),
    ("gents wallet", {"gender": MEN, "sub_category": ("Wallets",)}, {}),
    ("womens black kurti", {"gender": WOMEN, "colour": ("Black",), "article_type": ("Kurtis",)}, {}),
    ("men's watches", {"gender": MEN, "sub_category": ("Watches",)}, {}),
    ("kids shoes", {"gender": KIDS, "sub_category": ("Shoes",)}, {}),
    ("boys tshirt", {"gender": ("Boys",), "article_type": ("Tshirts",)}, {}),
    ("girls dress", {"gender": ("Girls",), "sub_category": ("Dress",)}, {}),
    ("unisex backpack", {"gender": ("Unisex",), "article_type": ("Backpacks",)}, {}),
    ("watch for her", {"sub_category": ("Watches",), "gender": WOMEN}, {}),
    ("flats", {"article_type": ("Flats",)}, {}),
    ("high heels", {"article_type": ("Heels",)}, {}),
    ("joggers", {"article_type": ("Track Pants",)}, {}),
    ("track pants", {"article_type": ("Track Pants",)}, {}),
    ("jumper", {"article_type": ("Sweaters",)}, {}),
    ("hoodie for winter", {"article_type": ("Sweatshirts",), "season": ("Winter",)}, {}),
    ("sweater for winter", {"article_type": ("Sweaters",), "season": ("Winter",)}, {}),
    ("saree", {"sub_category": ("Saree",)}, {}),
    ("sari", {"sub_category": ("Saree",)}, {}),
    ("kurta", {"article_type": ("Kurtas",)}, {}),
    ("perfume for men", {"sub_category": ("Fragrance",), "gender": MEN}, {}),
    ("chinos", {"article_type": ("Trousers",)}, {}),
    ("navy shorts", {"colour": ("Navy Blue",), "article_type": ("Shorts",)}, {}),
    ("gray hoodie", {"colour": ("Grey", "Grey Melange"), "article_type": ("Sweatshirts",)}, {}),
    ("golden heels", {"colour": ("Gold",), "article_type": ("Heels",)}, {}),
    ("maroon kurta", {"colour": ("Maroon",), "article_type": ("Kurtas",)}, {}),
    ("multicolour bag", {"colour": ("Multi",), "sub_category": ("Bags",)}, {}),
    ("black & white shirt", {"colour": ("Black", "White"), "article_type": ("Shirts",)}, {}),
    ("silver watch for women", {"colour": ("Silver",), "sub_category": ("Watches",), "gender": WOMEN}, {}),
    ("earrings", {"article_type": ("Earrings",)}, {}),
    ("polo shirt", {"article_type": ("Tshirts",)}, {}),
    ("black dress shoes", {"colour": ("Black",), "article_type": ("Formal Shoes",)}, {}),
    # plurals and spellings of one value
    ("tshirts", {"article_type": ("Tshirts",)}, {}),
    ("t-shirts", {"article_type": ("Tshirts",)}, {}),
    ("sandals", {"sub_category": ("Sandal",)}, {}),
    ("flip-flops", {"sub_category": ("Flip Flops",)}, {}),
    ("flipflops", {"sub_category": ("Flip Flops",)}, {}),
    ("flip flop", {"sub_category": ("Flip Flops",)}, {}),
    ("kurtas", {"article_type": ("Kurtas",)}, {}),
    ("formal shoe", {"article_type": ("Formal Shoes",)}, {}),
    # multi-word values, and colour words inside brand or product names
    ("navy blue shirt", {"colour": ("Navy Blue",), "article_type": ("Shirts",)}, {}),
    ("sea green kurta", {"colour": ("Sea Green",), "article_type": ("Kurtas",)}, {}),
    ("off-white shirt", {"colour": ("Off White",), "article_type": ("Shirts",)}, {}),
    ("grey melange tshirt", {"colour": ("Grey Melange",), "article_type": ("Tshirts",)}, {}),
    ("red tape shoes", {"brand": ("Red Tape",), "sub_category": ("Shoes",)}, {}),
    ("REDTAPE", {"brand": ("Red Tape",)}, {}),
    ("orange flip flops", {"colour": ("Orange",), "sub_category": ("Flip Flops",)}, {}),
    ("black coffee shirt", {"brand": ("Black Coffee",), "article_type": ("Shirts",)}, {}),
    ("pink floyd tshirt", {"brand": ("Pink Floyd",), "article_type": ("Tshirts",)}, {}),
    ("indigo nation shirt", {"brand": ("Indigo Nation",), "article_type": ("Shirts",)}, {}),
    ("united colors of benetton", {"brand": ("United Colors of Benetton",)}, {}),
    ("palm tree girls dress",
     {"brand": ("Palm Tree",), "gender": ("Girls",), "sub_category": ("Dress",)}, {}),
    ("sports shoes", {"article_type": ("Sports Shoes",)}, {}),
    ("casual shoes", {"article_type": ("Casual Shoes",)}, {}),
    ("running shoes for women", {"article_type": ("Sports Shoes",), "gender": WOMEN}, {}),
    # brands and their aliases
    ("nike shoes", {"brand": ("Nike",), "sub_category": ("Shoes",)}, {}),
    ("fastrack watch", {"brand": ("Fastrack",), "sub_category": ("Watches",)}, {}),
    ("us polo tshirt", {"brand": ("U.S. Polo Assn.",), "article_type": ("Tshirts",)}, {}),
    ("benetton tshirt", {"brand": ("United Colors of Benetton",), "article_type": ("Tshirts",)}, {}),
    ("levi's jeans", {"brand": ("Levis",), "article_type": ("Jeans",)}, {}),
    ("lee jeans", {"brand": ("Lee",), "article_type": ("Jeans",)}, {}),
    ("lee cooper shoes", {"brand": ("Lee Cooper",), "sub_category": ("Shoes",)}, {}),
    ("wrangler jeans", {"brand": ("Wrangler",), "article_type": ("Jeans",)}, {}),
    ("jealous 21 top", {"brand": ("Jealous 21",), "article_type": ("Tops",)}, {}),
    # occasions, seasons, materials
    ("festive kurta for women", {"occasion": ("Ethnic",), "article_type": ("Kurtas",), "gender": WOMEN}, {}),
    ("office wear for ladies", {"occasion": ("Formal",), "gender": WOMEN}, {}),
    ("gym wear", {"occasion": ("Sports",)}, {}),
    ("trainers for gym", {"article_type": ("Sports Shoes", "Casual Shoes"), "occasion": ("Sports",)}, {}),
    ("party dress", {"occasion": ("Party",), "sub_category": ("Dress",)}, {}),
    ("wedding saree", {"occasion": ("Ethnic",), "sub_category": ("Saree",)}, {}),
    ("smart casual shirt", {"occasion": ("Smart Casual",), "article_type": ("Shirts",)}, {}),
    ("autumn jacket", {"season": ("Fall",), "article_type": ("Jackets",)}, {}),
    ("summer tops", {"season": ("Summer",), "article_type": ("Tops",)}, {}),
    ("leather wallet", {"title": ("leather",), "sub_category": ("Wallets",)}, {}),
    ("woolen sweater", {"title": ("wool",), "article_type": ("Sweaters",)}, {}),
    ("denim jacket", {"title": ("denim",), "article_type": ("Jackets",)}, {}),
    ("suede loafers", {"title": ("suede",), "article_type": ("Casual Shoes",)}, {}),
    ("monsoon jacket", {"article_type": ("Jackets",)}, {"free": ("monsoon",)}),
    # typos (1 edit from 4 letters, 2 from 8), never on a word the vocabulary knows
    ("sneekers", {"article_type": SNEAKERS}, {"corrected": "sneakers"}),
    ("addidas", {"brand": ADIDAS}, {"corrected": "adidas"}),
    ("tshrt", {"article_type": ("Tshirts",)}, {"corrected": "tshirt"}),
    ("black jaket for men", {"colour": ("Black",), "article_type": ("Jackets",), "gender": MEN},
     {"corrected": "black jacket for men"}),
    ("Nikee shoes", {"brand": ("Nike",), "sub_category": ("Shoes",)}, {"corrected": "nike shoes"}),
    ("pumma", {"brand": ("Puma",)}, {"corrected": "puma"}),
    ("sprots shoes", {"article_type": ("Sports Shoes",)}, {"corrected": "sports shoes"}),
    ("hoddie", {"article_type": ("Sweatshirts",)}, {"corrected": "hoodie"}),
    ("sunglases", {"article_type": ("Sunglasses",)}, {"corrected": "sunglasses"}),
    ("deodrant", {"article_type": ("Deodorant",)}, {"corrected": "deodorant"}),
    ("sandal", {"sub_category": ("Sandal",)}, {"corrected": None}),
    # a short word one edit from the singular of a plural value ("Watches")
    ("wach for men", {"sub_category": ("Watches",), "gender": MEN}, {"corrected": "watch for men"}),
    # vowels misspelt by sound: two edits under 8 letters when the consonants agree
    ("sandles", {"sub_category": ("Sandal",)}, {"corrected": "sandals"}),
    ("jumpar", {"article_type": ("Sweaters",)}, {"corrected": "jumper"}),
    # ... but not a real word of another length or under 6 letters ("holes" is not "heels")
    ("holes", {}, {"corrected": None, "free": ("holes",)}),
    ("built", {}, {"corrected": None, "free": ("built",)}),
    # price phrases
    ("white sneakers under 50", {"colour": ("White",), "article_type": SNEAKERS},
     {"price": (None, 50, None)}),
    ("below ₹1000 kurta", {"article_type": ("Kurtas",)}, {"price": (None, 1000, "INR")}),
    ("less than $30 socks", {"sub_category": ("Socks",)}, {"price": (None, 30, "USD")}),
    ("between 20 and 40 green tee", {"colour": ("Green",), "article_type": ("Tshirts",)},
     {"price": (20, 40, None)}),
    ("20-40 belts", {"sub_category": ("Belts",)}, {"price": (20, 40, None)}),
    ("above 100 perfume", {"sub_category": ("Fragrance",)}, {"price": (100, None, None)}),
    ("shoes 500 rs", {"sub_category": ("Shoes",)}, {"price": (None, 500, "INR")}),
    ("under 1,000 rs shoes", {"sub_category": ("Shoes",)}, {"price": (None, 1000, "INR")}),
    ("₹500-₹1000 kurta", {"article_type": ("Kurtas",)}, {"price": (500, 1000, "INR")}),
    ("above 20 below 50", {}, {"price": (20, 50, None)}),
    ("between 40 and 20", {}, {"price": (20, 40, None)}),
    ("under 1.5k", {}, {"price": (None, 1500, None)}),
    ("cheap shoes", {"sub_category": ("Shoes",)}, {"price": None}),
    # nothing to understand
    ("hello world", {}, {"free": ("hello", "world")}),
    ("xyz", {}, {"free": ("xyz",)}),
    ("the best", {}, {"free": ()}),
    ("", {}, {"free": ()}),
    ("!!!", {}, {"free": ()}),
    ("42", {}, {"free": ("42",), "price": None}),
]


@pytest.fixture(scope="module")
def products(catalog_dir: Path) -> list[dict[str, Any]]:
    return [p.to_payload() for p in read_catalog(catalog_dir).products]


@pytest.fixture(scope="module")
def vocabulary(products: list[dict[str, Any]]) -> Vocabulary:
    return Vocabulary.from_products(products)


def test_the_table_is_large_enough() -> None:
    assert len(TABLE) >= 60
    assert len({query for query, _, _ in TABLE}) == len(TABLE)


@pytest.mark.parametrize(("query", "expected", "extra"), TABLE, ids=[q or "<empty>" for q, _, _ in TABLE])
def test_understands(vocabulary: Vocabulary, query: str, expected: dict, extra: dict) -> None:
    understood = understand(query, vocabulary)
    assert {a.field: a.values for a in understood.attributes} == expected
    if "price" in extra:
        want = extra["price"]
        got = understood.price
        assert (got.min, got.max, got.currency) == want if want else got is None
    if "corrected" in extra:
        assert understood.corrected_text == extra["corrected"]
    if "free" in extra:
        assert understood.free_words == extra["free"]


# Brands named like a stopword or shorter than three letters: too easy to type by accident.
UNRECOGNISED_BRANDS = {"W", "AND", "iD"}


def test_a_word_of_the_catalog_is_never_corrected(vocabulary: Vocabulary) -> None:
    for field in ("colour", "article_type", "sub_category", "occasion", "season", "brand"):
        for value in vocabulary.values[field]:
            understood = understand(value, vocabulary)
            assert understood.corrections == (), (field, value)
            if value not in UNRECOGNISED_BRANDS:
                assert understood.attributes, (field, value)
    assert understand("black and white", vocabulary).attribute("brand") is None
    assert understand("w", vocabulary).attributes == ()


def test_one_edit_typos_of_type_and_colour_words_find_the_same_value(vocabulary: Vocabulary) -> None:
    """A letter dropped from a one-word value of 5+ letters still finds that value."""
    values = [v for f in ("article_type", "colour") for v in vocabulary.values[f]]
    words = [v for v in values if " " not in v and len(v) >= 5]
    misses = []
    for word in words:
        right = understand(word, vocabulary).attributes
        typo = word[:2] + word[3:]
        wrong = understand(typo, vocabulary).attributes
        if [(a.field, a.values) for a in wrong] != [(a.field, a.values) for a in right]:
            misses.append((typo, word))
    assert len(words) > 20
    assert len(misses) <= 0.1 * len(words), misses


def test_vocabulary_counts_match_the_catalog_file(catalog_dir: Path, vocabulary: Vocabulary) -> None:
    with open(catalog_dir / "styles.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    colours = Counter(r["baseColour"] for r in rows if r["baseColour"].strip())
    assert vocabulary.values["colour"] == dict(colours)
    assert set(vocabulary.values["gender"]) == {r["gender"] for r in rows}
    assert vocabulary.count("occasion", ["Sports"]) == sum(r["usage"] == "Sports" for r in rows)
    assert "Party" not in vocabulary.values["occasion"]
    assert vocabulary.priced == 0  # the sample catalog has no prices
    party = understand("party dress", vocabulary).attribute("occasion")
    assert party is not None and party.products == 0  # so a caller can say so


def test_a_type_knows_its_broader_levels(vocabulary: Vocabulary) -> None:
    shoes = understand("sneakers", vocabulary).attribute("type")
    assert shoes is not None
    assert dict(shoes.broader)["sub_category"][0] == "Shoes"
    assert dict(shoes.broader)["category"] == ("Footwear",)
    assert understand("earrings", vocabulary).attribute("type").products == 0


def test_a_type_the_catalog_lacks_takes_its_levels_from_the_lexicon(vocabulary: Vocabulary) -> None:
    earrings = understand("earrings", vocabulary).attribute("type")
    assert earrings is not None and earrings.products == 0
    assert earrings.broader == (("sub_category", ("Jewellery",)), ("category", ("Accessories",)))
    boots = understand("boots", vocabulary).attribute("type")
    assert boots is not None
    assert dict(boots.broader) == {"sub_category": ("Shoes",), "category": ("Footwear",)}


def test_the_catalogs_own_levels_win_over_the_lexicons() -> None:
    rows = [{"title": "Acme Men Rubber Boots", "article_type": "Boots", "sub_category": "Rainwear",
             "category": "Outdoor"}]
    boots = understand("boots", Vocabulary.from_products(rows)).attribute("type")
    assert boots is not None and boots.products == 1
    assert boots.broader == (("sub_category", ("Rainwear",)), ("category", ("Outdoor",)))


def test_the_lexicons_parents_agree_with_the_catalog(vocabulary: Vocabulary) -> None:
    """Each declared parent is a value of the level above; where the catalog has the child,
    the parent is the one most of its products are filed under."""
    for level, above in (("article_type", "sub_category"), ("sub_category", "category")):
        for child, parent in vocabulary.lexicon.parents[level].items():
            assert parent in vocabulary.values[above] or parent in ABSENT_ON_PURPOSE, (child, parent)
            if child in vocabulary.values[level]:
                assert vocabulary.broader(level, [child])[0][1][0] == parent, (child, parent)


def test_brands_learned_from_the_real_titles(products: list[dict[str, Any]], vocabulary: Vocabulary) -> None:
    titles = [p["title"] for p in products]
    brands = learn_brands(titles)
    with_brand = sum(brand_from_title(t, brands) is not None for t in titles)
    assert with_brand >= 0.999 * len(titles)
    # Spellings merged, descriptors and model codes dropped, gender words inside known brands.
    expected = {
        "Puma Men Black T-shirt": "Puma",
        "Palm Tree Girls Sp Jace Sko White Skirts": "Palm Tree",
        "Red Tape Men Brown Casual Shoes": "Red Tape",
        "Redtape Men Sporty Look White Casual Shoe": "Red Tape",
        "Nike Women As Nike Eleme White T-Shirt": "Nike",
        "Levi's Men Printed Green Tshirts": "Levis",
        "United Colors Of Benetton Men Striped Blue Shirts": "United Colors of Benetton",
        "U.S. Polo Assn. Men Solid Red Tshirt": "U.S. Polo Assn.",
        "Turtle Check Men Blue Shirt": "Turtle",
        "New Balance MW631 Men Others Walking Black Sports Shoes": "New Balance",
        "Mr.Men Men Printed Black Tshirt": "Mr. Men",
        "Genesis Maroon Formal Shirt": "Genesis",
        "Newhide Vintage Wallet": "New Hide",
        "Reebok Reegame Men Black Sports Shoes": "Reebok",
        "Lee Cooper Men Brown Shoes": "Lee Cooper",
        "Lee Men Check Purple Shirts": "Lee",
    }
    assert {t: brand_from_title(t, brands) for t in expected} == expected
    assert brand_from_title("Men Black T-shirt", brands) is None
    assert vocabulary.values["brand"]["Red Tape"] >= 50


def test_a_brand_column_wins_over_the_title() -> None:
    rows = [{"title": "Puma Men Black T-shirt", "brand": "Acme"}, {"title": "Puma Men Red T-shirt"}] * 2
    vocabulary = Vocabulary.from_products(rows)
    assert vocabulary.brand_of(rows[0]) == "Acme"
    assert vocabulary.values["brand"] == {"Acme": 2, "Puma": 2}
    assert understand("acme tee", vocabulary).attribute("brand").values == ("Acme",)


def test_titles_of_branded_products_teach_no_brands() -> None:
    """A feed's titles need not start with the brand ("Spring And Autumn Long Sleeve Women's
    Shirt", vendor "Generic"): only products without a brand are learned from."""
    rows = [{"title": "Spring And Autumn Long Sleeve Women's Shirt", "brand": "Generic"}] * 3
    rows += [{"title": "Puma Men Red T-shirt"}] * 2
    vocabulary = Vocabulary.from_products(rows)
    assert vocabulary.values["brand"] == {"Generic": 3, "Puma": 2}
    assert understand("spring shirt", vocabulary).attribute("brand") is None
    plain = Vocabulary.from_products(rows, derive_brands=False)
    assert plain.values["brand"] == {"Generic": 3}
    assert plain.brand_of({"title": "Puma Men Red T-shirt"}) is None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=80))
def test_any_text_is_understood_without_error(vocabulary: Vocabulary, text: str) -> None:
    understood = understand(text, vocabulary)
    json.dumps(understood.to_json())
    for attribute in understood.attributes:
        assert attribute.values and attribute.words
    if understood.price is not None:
        low, high = understood.price.min, understood.price.max
        assert low is None or high is None or low <= high


def test_a_huge_query_is_still_quick(vocabulary: Vocabulary) -> None:
    word = "".join(chr(97 + (i * 7919) % 26) for i in range(5000))  # one long non-word
    start = time.perf_counter()
    understood = understand(f"{word} white sneakers " * 3, vocabulary)
    assert time.perf_counter() - start < 0.5
    assert understood.attribute("colour").values == ("White",)


def test_prices_counted_when_present() -> None:
    rows = [{"title": "A", "price": 10.0}, {"title": "B"}, {"title": "C", "price": 5}]
    vocabulary = Vocabulary.from_products(rows)
    assert vocabulary.priced == 2
    condition, spans = parse_price("tee under $20")
    assert condition is not None and condition.admits(19.5) and not condition.admits(21)
    assert spans == [(4, 13)]


def test_to_json_and_applied_flags(vocabulary: Vocabulary) -> None:
    understood = understand("white sneekers for women under 50", vocabulary)
    applied = understood.with_applied(["colour", "article_type"], price=False)
    block = json.loads(json.dumps(applied.to_json()))
    by_field = {a["field"]: a for a in block["attributes"]}
    assert by_field["colour"] == {
        "kind": "colour", "field": "colour", "values": ["White"], "words": ["white"],
        "products": vocabulary.count("colour", ["White"]), "applied": True,
    }
    assert by_field["gender"]["applied"] is False
    assert by_field["article_type"]["words"] == ["sneekers"]
    assert block["price"] == {
        "min": None, "max": 50.0, "currency": None, "words": ["under", "50"], "applied": False,
    }
    assert block["corrections"] == [{"word": "sneekers", "corrected": "sneakers"}]
    assert block["corrected_text"] == "white sneakers for women under 50"
    assert applied.attribute("colour").explain() == "colour=White from 'white'"


def test_bad_input_gives_clear_errors(tmp_path: Path, vocabulary: Vocabulary) -> None:
    with pytest.raises(TypeError, match="must be a string"):
        understand(None, vocabulary)  # type: ignore[arg-type]
    bad = tmp_path / "lexicon.json"
    bad.write_text("{not json")
    with pytest.raises(LexiconError, match="not valid JSON"):
        Lexicon.load(bad)
    data = json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))
    data["types"]["boots"] = {"shoe_type": ["Boots"]}
    bad.write_text(json.dumps(data))
    with pytest.raises(LexiconError, match=r"types\['boots'\]: field must be one of"):
        Lexicon.load(bad)
    data = json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))
    data["parents"]["category"] = {"Footwear": "Everything"}
    bad.write_text(json.dumps(data))
    with pytest.raises(LexiconError, match="parents: level must be one of article_type, sub_category"):
        Lexicon.load(bad)
    with pytest.raises(LexiconError, match="cannot read"):
        Lexicon.load(tmp_path / "missing.json")


# Lexicon targets this catalog lacks on purpose (so that a caller can say "no earrings").
ABSENT_ON_PURPOSE = {"Boots", "Blazers", "Lehenga Choli", "Salwar", "Bra", "Earrings", "Necklace and Chains",
                     "Bracelet", "Ring", "Swimwear", "Party"}


def test_every_lexicon_value_is_a_catalog_value(vocabulary: Vocabulary) -> None:
    """A misspelt value in lexicon.json would silently never match: catch it here."""
    lexicon = vocabulary.lexicon
    targets = [(field, v) for field, values in lexicon.types.values() for v in values]
    for field, section in (("colour", lexicon.colours), ("gender", lexicon.genders),
                           ("occasion", lexicon.occasions), ("season", lexicon.seasons)):
        targets += [(field, v) for values in section.values() for v in values]
    unknown = {(f, v) for f, v in targets if v not in vocabulary.values[f] and v not in ABSENT_ON_PURPOSE}
    assert unknown == set()

