"""Catalog import: the real CSV, rows with problems, and the JSONL format."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from indexer import CatalogError, read_catalog
from indexer.catalog import CSV_COLUMNS

HEADER = (
    "id,gender,masterCategory,subCategory,articleType,baseColour,season,year,usage,productDisplayName,image"
)


def test_real_catalog_maps_columns(catalog_dir: Path) -> None:
    report = read_catalog(catalog_dir)
    assert len(report.entries) == 8583 and report.errors == []
    first = report.entries[0]
    assert first.line == 2
    p = first.product
    assert (p.id, p.title, p.occasion, p.category, p.sub_category, p.colour) == (
        "10000",
        "Palm Tree Girls Sp Jace Sko White Skirts",
        "Casual",
        "Apparel",
        "Bottomwear",
        "White",
    )
    assert p.year == 2011 and Path(p.image).is_file()
    assert set(CSV_COLUMNS.values()) >= {"occasion", "title", "gender"}


@pytest.fixture
def broken_csv(tmp_path: Path, catalog_dir: Path) -> Path:
    images = tmp_path / "images"
    images.mkdir()
    shutil.copy(catalog_dir / "images" / "10000.jpg", images / "ok.jpg")
    (images / "garbage.jpg").write_bytes(b"not an image at all")
    rows = [
        HEADER,
        '1,Men,Apparel,Topwear,Shirts,Blue,Summer,2012,Casual,"Blue Shirt, Slim",ok.jpg',  # ok
        "2,Men,Apparel,Topwear,,Blue,Summer,2012,Casual,,ok.jpg",  # missing title
        "3,Men,Apparel,Topwear,,Blue,Summer,2012,Casual,Shirt,",  # missing image
        "4,Men,Apparel,Topwear,,Blue,Summer,2012,Casual,Shirt,absent.jpg",  # image file absent
        "5,Men,Apparel,Topwear,,Blue,Summer,twenty,Casual,Shirt,ok.jpg",  # bad year
        "1,Men,Apparel,Topwear,,Blue,Summer,2012,Casual,Duplicate,ok.jpg",  # duplicate id
        "6,Men,Apparel,Topwear,,Blue,Summer,2012,Casual,Shirt,ok.jpg,extra",  # extra cell
        "7,Women,Apparel,Topwear,,,,,,Plain Top,garbage.jpg",  # readable row, unreadable image
    ]
    (tmp_path / "styles.csv").write_text("\n".join(rows) + "\n")
    return tmp_path


def test_problem_rows_are_reported_and_skipped(broken_csv: Path) -> None:
    report = read_catalog(broken_csv)
    assert [e.product.id for e in report.entries] == ["1", "7"]
    assert report.entries[0].product.title == "Blue Shirt, Slim"
    reasons = {e.line: e.reason for e in report.errors}
    assert reasons[3] == "missing title"
    assert reasons[4] == "missing image"
    assert "not found" in reasons[5]
    assert "year must be a whole number" in reasons[6]
    assert "duplicate id" in reasons[7]
    assert "more cells" in reasons[8]
    assert len(report.errors) == 6


def test_unreadable_image_is_skipped_at_indexing(broken_csv: Path, encoder, empty_store) -> None:
    from indexer import index_entries

    report = read_catalog(broken_csv)
    result = index_entries(encoder, empty_store, report.entries, source="styles.csv")
    assert result.indexed == 1
    assert [(e.line, e.product_id) for e in result.skipped] == [(9, "7")]
    assert "not a readable image" in result.skipped[0].reason
    assert empty_store.count() == 1


def test_jsonl_format(tmp_path: Path, catalog_dir: Path) -> None:
    shutil.copy(catalog_dir / "images" / "10000.jpg", tmp_path / "a.jpg")
    lines = [
        json.dumps(
            {
                "id": "A1",
                "title": "Red Dress",
                "image": "a.jpg",
                "price": 39.5,
                "year": 2024,
                "occasion": "Party",
                "colour": "Red",
            }
        ),
        "{not json",
        json.dumps(["a", "list"]),
        json.dumps({"id": "A2", "title": "X", "image": "a.jpg", "price": "cheap"}),
        json.dumps({"id": "A3", "title": "X", "image": "a.jpg", "price": -3}),
        json.dumps({"id": "A4", "title": "X", "image": "a.jpg", "sizes": ["S"]}),
        json.dumps({"id": "A5", "title": {"en": "X"}, "image": "a.jpg"}),
        "",
        json.dumps({"id": 6, "title": "Numeric id", "image": str(tmp_path / "a.jpg")}),
    ]
    (tmp_path / "products.jsonl").write_text("\n".join(lines) + "\n")
    report = read_catalog(tmp_path)
    assert [e.product.id for e in report.entries] == ["A1", "6"]
    assert report.entries[0].product.price == 39.5 and report.entries[0].product.occasion == "Party"
    reasons = {e.line: e.reason for e in report.errors}
    assert "invalid JSON" in reasons[2]
    assert "JSON object" in reasons[3]
    assert "price must be a number" in reasons[4]
    assert "non-negative" in reasons[5]
    assert "unknown field(s) sizes" in reasons[6]
    assert "title must be text" in reasons[7]


def test_missing_catalog_is_a_catalog_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="does not exist"):
        read_catalog(tmp_path / "nope")
    with pytest.raises(CatalogError, match="neither"):
        read_catalog(tmp_path)
    (tmp_path / "styles.csv").write_text("a,b\n1,2\n")
    with pytest.raises(CatalogError, match="lacks the column"):
        read_catalog(tmp_path)
