"""The relevance benchmark: its metrics, its grader on real catalog rows, its query files, and
a run end to end on a slice of the real catalog with the tiny model."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import pytest

from benchmarks.quality import select_products
from benchmarks.relevance import main
from benchmarks.relevance_grades import (
    KINDS,
    Grader,
    QueryFileError,
    RelevanceQuery,
    TypeInference,
    load_queries,
)
from benchmarks.relevance_metrics import ndcg_at, one_edit_in_long_word, same_top, success_at
from benchmarks.relevance_systems import Bm25System
from indexer import read_catalog
from indexer.schema import Product


@pytest.fixture(scope="module")
def catalog_products(catalog_dir: Path) -> list[Product]:
    return read_catalog(catalog_dir).products


@pytest.fixture(scope="module")
def inference(catalog_products: list[Product]) -> TypeInference:
    return TypeInference.learn(catalog_products)


def query(conditions: dict, type_keys: tuple[str, ...] | None = None) -> RelevanceQuery:
    keys = type_keys if type_keys is not None else tuple(
        k for k in ("article_type", "sub_category", "category") if k in conditions)
    return RelevanceQuery(id="q", kind="colour_type", text="t", conditions=conditions, type_keys=keys)


# -- metrics -----------------------------------------------------------------------------------


def test_ndcg_is_one_for_the_ideal_order_and_falls_as_relevant_items_sink() -> None:
    catalog = [2, 1, 0, 0, 0]
    assert ndcg_at([2, 1, 0], catalog) == pytest.approx(1.0)
    ideal = 3 + 1 / math.log2(3)
    # the fully relevant item second instead of first: gains 3 and 1 swap places
    assert ndcg_at([1, 2], catalog) == pytest.approx((1 + 3 / math.log2(3)) / ideal)
    assert ndcg_at([0, 0, 2], catalog) == pytest.approx((3 / 2) / ideal)
    assert ndcg_at([], catalog) == 0.0
    assert ndcg_at([0, 0], [0, 0, 0]) == 0.0  # nothing relevant anywhere: no credit to share


def test_ndcg_only_counts_the_first_k() -> None:
    assert ndcg_at([0] * 10 + [2], [2], k=10) == 0.0
    assert ndcg_at([0] * 9 + [2], [2], k=10) == pytest.approx(1 / math.log2(11))


def test_success_needs_a_fully_relevant_hit_in_the_top_five() -> None:
    assert success_at([0, 0, 0, 0, 2]) == 1.0
    assert success_at([0, 0, 0, 0, 0, 2]) == 0.0
    assert success_at([1, 1, 1, 1, 1]) == 0.0  # the right type in the wrong colour is no success
    assert success_at([]) == 0.0


@pytest.mark.parametrize(("typo", "correct", "counts"), [
    ("sneekers", "sneakers", True),
    ("winter jaket", "winter jacket", True),
    ("wach for men", "watch for men", True),
    ("nkie shoes", "nike shoes", False),  # a swap is two edits, and "nike" is short
    ("brwon belt", "brown belt", False),
    ("pumma tshirt", "puma tshirt", False),  # one edit, but in a 4-letter word
    ("blu jeens", "blue jeans", False),  # two words misspelt
])
def test_the_one_edit_typo_target_is_one_edit_in_a_word_of_five_letters(
    typo: str, correct: str, counts: bool
) -> None:
    assert one_edit_in_long_word(typo, correct) is counts


def test_same_top_ignores_order_but_not_membership() -> None:
    assert same_top(["a", "b", "c", "d", "e", "x"], ["e", "d", "c", "b", "a", "y"])
    assert not same_top(["a", "b", "c", "d", "e"], ["a", "b", "c", "d", "f"])


# -- the grader on real rows --------------------------------------------------------------------


def test_brand_matches_whole_words_at_the_start_of_the_title(catalog_products: list[Product]) -> None:
    puma = next(p for p in catalog_products if p.title.startswith("Puma "))
    red_tape = next(p for p in catalog_products if p.title.startswith("Red Tape "))
    grader = Grader([puma, red_tape])
    assert [grader.grade(query({"brand": ["puma"]}), i) for i in range(2)] == [2, 0]
    assert [grader.grade(query({"brand": ["Red Tape"]}), i) for i in range(2)] == [0, 2]
    assert grader.grade(query({"brand": ["Pum"]}), 0) == 0  # a word's start is not the brand


def test_type_of_a_product_without_article_type_comes_from_its_title(
    catalog_products: list[Product], inference: TypeInference
) -> None:
    unlabelled = [p for p in catalog_products if p.article_type is None and p.title.endswith("Casual Shoes")]
    assert unlabelled, "the sample catalog has casual shoes without an article type"
    grader = Grader(unlabelled[:5], inference)
    sneakers = query({"article_type": ["Casual Shoes", "Sports Shoes"]})
    assert grader.grades(sneakers) == [2] * len(grader.products)


def test_type_inference_agrees_with_the_catalog_where_it_has_a_type(
    catalog_products: list[Product], inference: TypeInference
) -> None:
    labelled = [p for p in catalog_products if p.article_type]
    agree = sum(inference.infer(p.title) == p.article_type for p in labelled) / len(labelled)
    assert agree > 0.9


def test_grades_two_for_every_condition_one_for_the_type_zero_otherwise(
    catalog_products: list[Product], inference: TypeInference
) -> None:
    def first(**want: str) -> Product:
        return next(p for p in catalog_products if all(getattr(p, k) == v for k, v in want.items()))

    white = first(article_type="Casual Shoes", colour="White", gender="Men")
    black = first(article_type="Casual Shoes", colour="Black", gender="Men")
    tee = first(article_type="Tshirts", colour="White")
    grader = Grader([white, black, tee], inference)
    white_sneakers = query({"article_type": ["Casual Shoes", "Sports Shoes"], "colour": ["White"]})
    assert grader.grades(white_sneakers) == [2, 1, 0]
    # without type keys there is no partial credit
    assert grader.grades(query(white_sneakers.conditions, ())) == [2, 0, 0]


def test_price_conditions_pass_products_without_a_price(catalog_products: list[Product]) -> None:
    shirt = next(p for p in catalog_products if p.article_type == "Shirts")
    grader = Grader([shirt, replace(shirt, price=60.0), replace(shirt, price=30.0)])
    assert grader.grades(query({"article_type": ["Shirts"], "price_max": 50})) == [2, 1, 2]


def test_title_phrases_match_whole_words(catalog_products: list[Product]) -> None:
    leather = next(p for p in catalog_products if " Leather " in p.title)
    other = next(p for p in catalog_products if "leather" not in p.title.lower())
    grader = Grader([leather, other])
    assert grader.grades(query({"title": ["leather"]})) == [2, 0]
    assert grader.grades(query({"title": ["leat"]})) == [0, 0]


# -- the query files ----------------------------------------------------------------------------


def test_query_files_hold_150_or_more_shopper_queries_of_every_kind() -> None:
    queries = load_queries()
    assert len(queries) >= 150
    assert {q.kind for q in queries} == set(KINDS)
    for q in queries:
        assert q.text == q.text.lower() and q.conditions
        assert q.kind != "typo" or (q.twin and q.twin != q.text)


def test_every_query_is_fully_answerable_on_the_validation_split(
    catalog_dir: Path, inference: TypeInference
) -> None:
    grader = Grader(select_products(catalog_dir, "val"), inference)
    unmet = [q.id for q in load_queries() if 2 not in grader.grades(q)]
    assert unmet == []


@pytest.mark.parametrize(("line", "message"), [
    ('{"id": "a", "kind": "nope", "text": "x", "conditions": {"colour": ["Red"]}}', "kind"),
    ('{"id": "a", "kind": "brand", "text": "x", "conditions": {"colour": "Red"}}', "list of strings"),
    ('{"id": "a", "kind": "brand", "text": "x", "conditions": {"size": ["M"]}}', "unknown condition"),
    ('{"id": "a", "kind": "typo", "text": "x", "conditions": {"colour": ["Red"]}}', "twin"),
    ('{"id": "a", "kind": "brand", "text": "x"}', "missing conditions"),
    ("{not json", "not JSON"),
])
def test_a_malformed_query_file_is_refused_naming_the_line(tmp_path: Path, line: str, message: str) -> None:
    (tmp_path / "q.jsonl").write_text('{"id": "ok", "kind": "brand", "text": "puma", '
                                      '"conditions": {"brand": ["Puma"]}}\n' + line + "\n")
    with pytest.raises(QueryFileError, match=rf"q\.jsonl:2: .*{message}"):
        load_queries(tmp_path)


# -- systems and the whole run --------------------------------------------------------------------


def test_bm25_finds_a_brand_and_returns_nothing_for_words_it_has_never_seen(
    catalog_products: list[Product],
) -> None:
    products = catalog_products[:400]
    bm25 = Bm25System(products)
    by_id = {p.id: p for p in products}
    top = bm25.search("puma", 5)
    assert top and all(by_id[pid].title.lower().startswith("puma") for pid in top)
    assert bm25.search("sneekers", 10) == []
    assert bm25.search("the and of", 10) == []  # stopwords only


def test_run_end_to_end_on_a_catalog_slice(
    catalog_dir: Path, tiny_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "relevance.json"
    code = main(["--catalog", str(catalog_dir), "--split", "val", "--limit", "200", "--model",
                 str(tiny_model_dir), "--device", "cpu", "--json", str(out), "--markdown", "--worst", "3"])
    assert code == 0
    printed = capsys.readouterr().out
    for row in ("| bm25 |", "| dense |", "| vitrine |", "| brand (", "| typo (", "| dense: query |"):
        assert row in printed
    result = json.loads(out.read_text())
    queries = load_queries()
    assert result["products"] == 200 and result["queries"] == len(queries)
    assert set(result["systems"]) == {"bm25", "dense", "vitrine"}
    for name, system in result["systems"].items():
        rows = system["per_query"]
        assert [r["id"] for r in rows] == [q.id for q in queries]
        assert all(len(r["top"]) <= 10 and all(t["grade"] in (0, 1, 2) for t in r["top"]) for r in rows)
        assert 0.0 <= system["ndcg10"] <= 1.0, name
        assert set(system["per_kind"]) == set(KINDS)
    # a dense search always answers; BM25 has no answer for words it has never seen
    assert result["systems"]["dense"]["zero_rate"] == 0.0
    bm25 = {r["id"]: r for r in result["systems"]["bm25"]["per_query"]}
    assert bm25["t-sneekers"]["zero_rate"] and bm25["t-sneekers"]["ndcg10"] == 0.0
    assert bm25["t-sneekers"]["typo_same_top5"] is False  # nothing twice is not robustness
    assert "typo1_same_top5" in bm25["t-jaket"] and "typo1_same_top5" not in bm25["t-nkie-shoes"]
    # every query the slice cannot fully answer is named, and has no success figure
    unmet = set(result["queries_without_match"])
    assert all(("success5" in r) == (r["id"] not in unmet) for r in bm25.values())


def test_bad_arguments_are_refused_with_a_message(
    catalog_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["--catalog", str(tmp_path / "missing")])
    assert stop.value.code == 2 and "does not exist" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stop:
        main(["--catalog", str(catalog_dir), "--queries", str(tmp_path)])
    assert stop.value.code == 2 and "no query files" in capsys.readouterr().err


def test_a_data_dir_indexed_with_another_model_is_refused(
    catalog_dir: Path, tiny_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.conftest import make_tiny_model

    other = make_tiny_model(tmp_path / "other-model", seed=1)
    data = tmp_path / "data"
    base = ["--catalog", str(catalog_dir), "--limit", "20", "--device", "cpu", "--data-dir", str(data)]
    assert main([*base, "--model", str(tiny_model_dir)]) == 0
    capsys.readouterr()
    with pytest.raises(SystemExit) as stop:
        main([*base, "--model", str(other)])
    assert stop.value.code == 2 and "data directory" in capsys.readouterr().err
