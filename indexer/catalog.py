"""Catalog import: the sample catalog's CSV format and a JSONL format.

CSV (``styles.csv`` beside an ``images/`` folder), header::

    id,gender,masterCategory,subCategory,articleType,baseColour,season,year,usage,productDisplayName,image

``usage`` is the occasion; ``image`` a file name under ``images/``. Optional ``price`` and
``brand`` columns are read when present.

JSONL (``products.jsonl``): one JSON object per line with the Product schema's
names, for example::

    {"id": "A1", "title": "Red Summer Dress", "image": "images/a1.jpg",
     "gender": "Women", "category": "Apparel", "sub_category": "Dress",
     "colour": "Red", "season": "Summer", "occasion": "Casual", "year": 2024, "price": 39.9}

``image`` is a path relative to the JSONL file (or absolute). Only ``id``,
``title`` and ``image`` are required.

Brands: a catalog in which no product has a ``brand`` (the sample catalog has no such column)
gets each product's brand from its title, which in such catalogs starts with it ("Puma Men
Black T-shirt" -> Puma), by the rule of ``indexer.understanding.brands`` learned over the
whole catalog's titles. A catalog that names brands is taken at its word: a product it leaves
without one keeps none.

Rows with problems are reported with their line and reason and skipped; the
import goes on.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from errors import VitrineError
from indexer.schema import PRODUCT_FIELDS, Product
from indexer.understanding import learn_brands

CSV_COLUMNS = {
    "id": "id",
    "productDisplayName": "title",
    "image": "image",
    "gender": "gender",
    "masterCategory": "category",
    "subCategory": "sub_category",
    "articleType": "article_type",
    "baseColour": "colour",
    "season": "season",
    "usage": "occasion",
    "year": "year",
    "price": "price",
    "brand": "brand",
}
CSV_NAME = "styles.csv"
JSONL_NAME = "products.jsonl"


class CatalogError(VitrineError):
    """The catalog as a whole cannot be read (missing folder, no CSV or JSONL, wrong header)."""


@dataclass(frozen=True)
class RowError:
    """One skipped row: where it was and why."""

    source: str
    line: int
    reason: str
    product_id: str | None = None

    def __str__(self) -> str:
        who = f" (id {self.product_id})" if self.product_id else ""
        return f"{self.source}:{self.line}{who}: {self.reason}"


@dataclass(frozen=True)
class CatalogEntry:
    """A product read from the catalog and the line it came from."""

    line: int
    product: Product


@dataclass
class CatalogReport:
    """What an import read: the valid products and the skipped rows."""

    source: str
    entries: list[CatalogEntry] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def products(self) -> list[Product]:
        return [e.product for e in self.entries]


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _to_int(name: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a whole number, got {value!r}") from None
    if not number.is_integer():
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    return int(number)


# Not text: parsed by the helpers below.
_TYPED = ("year", "price", "list_price", "sale_price", "stock", "in_stock", "variants")
_TRUE = {"true", "yes", "1", "in stock", "in_stock", "preorder", "backorder"}
_FALSE = {"false", "no", "0", "out of stock", "out_of_stock", "discontinued"}


def _to_bool(name: str, value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    key = str(value).strip().lower()
    if key in _TRUE | _FALSE:
        return key in _TRUE
    raise ValueError(f"{name} must be true or false (or in stock / out of stock), got {value!r}")


def _to_float(name: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a number, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"{name} must be a finite, non-negative number, got {value!r}")
    return number


def build_product(raw: dict[str, Any], image_root: Path | None) -> Product:
    """Validate one raw row (already mapped to schema names) into a Product.

    ``image_root`` resolves relative image paths; None keeps ``image`` as given
    (URLs, or references checked elsewhere).

    Raises:
        ValueError: with a reason a person can act on.
    """
    unknown = sorted(set(raw) - set(PRODUCT_FIELDS))
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(unknown)}; known: {', '.join(PRODUCT_FIELDS)}")
    row = {k: _clean(v) for k, v in raw.items()}
    for name in ("id", "title", "image"):
        if row.get(name) is None:
            raise ValueError(f"missing {name}")
    for name in PRODUCT_FIELDS:
        if name in _TYPED:
            continue
        value = row.get(name)
        if (value is not None and not isinstance(value, str | int)) or isinstance(value, bool):
            raise ValueError(f"{name} must be text, got {type(value).__name__}")
    row["id"] = str(row["id"])
    row["year"] = _to_int("year", row.get("year"))
    row["price"] = _to_float("price", row.get("price"))
    row["list_price"] = _to_float("list_price", row.get("list_price"))
    row["sale_price"] = _to_float("sale_price", row.get("sale_price"))
    if row.get("currency") is not None:
        currency = str(row["currency"]).strip().upper()
        if len(currency) != 3 or not currency.isalpha():
            raise ValueError(f"currency must be an ISO 4217 code such as USD, got {row['currency']!r}")
        row["currency"] = currency
    row["stock"] = _to_int("stock", row.get("stock"))
    variants = row.get("variants")
    if variants is not None and (
        not isinstance(variants, list) or not all(isinstance(v, dict) for v in variants)
    ):
        raise ValueError("variants must be a list of objects")
    row["in_stock"] = _to_bool("in_stock", row.get("in_stock"))
    if row["in_stock"] is None and row["stock"] is not None:
        row["in_stock"] = row["stock"] > 0
    for name in PRODUCT_FIELDS:
        if name not in _TYPED and row.get(name) is not None:
            row[name] = str(row[name])
    if image_root is not None:
        path = Path(row["image"])
        if not path.is_absolute():
            path = image_root / path
        if not path.is_file():
            raise ValueError(f"image file {path} not found")
        row["image"] = str(path)
    return Product(**{k: row.get(k) for k in PRODUCT_FIELDS})  # type: ignore[arg-type]  # checked above


def _read_csv(path: Path, report: CatalogReport) -> None:
    image_root = path.parent / "images"
    seen: set[str] = set()
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        header = reader.fieldnames or []
        missing = [c for c in ("id", "productDisplayName", "image") if c not in header]
        if missing:
            raise CatalogError(f"{path} lacks the column(s) {', '.join(missing)}")
        for raw in reader:
            line = reader.line_num
            if None in raw:  # more cells than header columns: a broken quote or stray comma
                report.errors.append(RowError(path.name, line, "more cells than the header has"))
                continue
            mapped = {CSV_COLUMNS[k]: v for k, v in raw.items() if k in CSV_COLUMNS}
            _add(report, path.name, line, mapped, image_root, seen)


def _read_jsonl(path: Path, report: CatalogReport) -> None:
    seen: set[str] = set()
    with open(path, encoding="utf-8") as f:
        for line, text in enumerate(f, start=1):
            if not text.strip():
                continue
            try:
                raw = json.loads(text)
            except json.JSONDecodeError as e:
                report.errors.append(RowError(path.name, line, f"invalid JSON: {e.msg}"))
                continue
            if not isinstance(raw, dict):
                report.errors.append(RowError(path.name, line, "each line must be a JSON object"))
                continue
            _add(report, path.name, line, raw, path.parent, seen)


def _add(
    report: CatalogReport,
    source: str,
    line: int,
    raw: dict[str, Any],
    image_root: Path,
    seen: set[str],
) -> None:
    pid = _clean(str(raw["id"])) if raw.get("id") is not None else None
    try:
        product = build_product(raw, image_root)
    except ValueError as e:
        report.errors.append(RowError(source, line, str(e), pid))
        return
    if product.id in seen:
        report.errors.append(RowError(source, line, "duplicate id (first row kept)", product.id))
        return
    seen.add(product.id)
    report.entries.append(CatalogEntry(line, product))


def catalog_file(location: str | Path) -> Path:
    """The CSV or JSONL file of a catalog given as a folder or a file (absolute path)."""
    path = Path(location).expanduser().resolve()
    if path.is_dir():
        for name in (CSV_NAME, JSONL_NAME):
            if (path / name).is_file():
                return path / name
        raise CatalogError(f"{path} holds neither {CSV_NAME} nor {JSONL_NAME}")
    if path.is_file():
        return path
    raise CatalogError(f"catalog {path} does not exist")


def read_catalog(location: str | Path) -> CatalogReport:
    """Read a catalog folder (or its CSV / JSONL file) into products and row errors.

    Raises:
        CatalogError: the catalog itself is missing or unreadable.
    """
    path = catalog_file(location)
    report = CatalogReport(source=str(path))
    if path.suffix == ".jsonl":
        _read_jsonl(path, report)
    else:
        _read_csv(path, report)
    derive_brands(report.entries)
    return report


def derive_brands(entries: list[CatalogEntry]) -> None:
    """Give every product the brand its title starts with, in place, when none has a brand
    of its own (see the module docstring); a catalog with brands is left as it is."""
    if not entries or any(e.product.brand for e in entries):
        return
    brands = learn_brands(e.product.title for e in entries)
    for i, entry in enumerate(entries):
        brand = brands.brand_from_title(entry.product.title)
        if brand is not None:
            entries[i] = CatalogEntry(entry.line, dataclasses.replace(entry.product, brand=brand))

