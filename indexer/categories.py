"""Feed categories mapped onto the catalog's category / sub_category / article_type, through
the shipped, editable table ``indexer/data/categories.csv`` (or ``path``).

A feed names its categories freely: Google product taxonomy paths ("Apparel & Accessories >
Clothing > Dresses") and a shop's own ``product_type`` ("Dress", "pants", "Lady Dresses").
Each is looked up segment by segment from the most specific, ignoring case and plurals, and
trying the value's last words alone ("Wide Leg Pants" -> "pant"). A value the table does not
know is kept in ``product_type`` and leaves the category fields empty (counted by `vitrine
doctor`).
"""

from __future__ import annotations

import csv
import functools
import re
from collections import Counter
from pathlib import Path

from indexer.store.protocol import VectorStore

TABLE = Path(__file__).parent / "data" / "categories.csv"
Mapping3 = tuple[str, str, str]


def fold(text: str) -> str:
    """Lower case, single spaces, each word singular ("Lady Dresses" -> "lady dress")."""
    words = re.sub(r"\s+", " ", text.strip().casefold()).split(" ")
    return " ".join(_singular(w) for w in words if w)


def _singular(word: str) -> str:
    if word.endswith(("sses", "shes", "ches", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us")) and len(word) > 3:
        return word[:-1]
    return word


@functools.lru_cache(maxsize=4)
def load_table(path: Path = TABLE) -> dict[str, Mapping3]:
    """The table as folded match -> (category, sub_category, article_type)."""
    with path.open(encoding="utf-8") as f:
        lines = [line for line in f if line.strip() and not line.startswith("#")]
    return {fold(row["match"]): (row["category"], row["sub_category"], row["article_type"])
            for row in csv.DictReader(lines) if row.get("match")}


def _lookup(value: str, table: dict[str, Mapping3]) -> Mapping3 | None:
    for segment in reversed([s for s in value.split(">") if s.strip()]):
        words = fold(segment).split(" ")
        for start in range(len(words)):  # the whole segment, then its last words
            found = table.get(" ".join(words[start:]))
            if found is not None:
                return found
    return None


def categorise(google_category: str | None, product_type: str | None,
               table: dict[str, Mapping3] | None = None) -> dict[str, str | None]:
    """Category fields for a feed row, and its ``product_type`` as the feed gave it."""
    table = load_table() if table is None else table
    for value in (google_category, product_type):
        found = _lookup(value, table) if value else None
        if found is not None:
            category, sub_category, article_type = found
            return {"category": category, "sub_category": sub_category, "article_type": article_type,
                    "product_type": (product_type or google_category or "").strip() or None}
    raw = (product_type or google_category or "").strip()
    return {"product_type": raw or None}


def unmapped_types(store: VectorStore) -> Counter[str]:
    """``product_type`` values of stored products that have no category: the table's gaps."""
    found: Counter[str] = Counter()
    for batch in store.scroll(batch_size=1024):
        for point in batch:
            value = point.payload.get("product_type")
            if value and not point.payload.get("category"):
                found[str(value)] += 1
    return found
