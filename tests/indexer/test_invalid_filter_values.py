"""An invalid filter value costs no more than a valid one (issue 20): the values a field takes
come from the facet index once and are re-read only when the collection changed or a few
seconds passed, never once per request."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from encoder import Encoder
from indexer import EdgeStore, FilterError, Query, Searcher, Settings, parse_filters
from indexer.catalog import CatalogEntry


class CountingStore(EdgeStore):
    """The real embedded store, counting the facet counts asked of it."""

    facet_calls = 0

    def facets(self, *args: Any, **kwargs: Any) -> dict[Any, int]:
        self.facet_calls += 1
        return super().facets(*args, **kwargs)


def test_a_stream_of_invalid_values_reads_the_values_once(
    indexed_data_dir: Path, encoder: Encoder, tmp_path: Path, catalog_entries: list[CatalogEntry]
) -> None:
    import shutil

    shutil.copytree(indexed_data_dir, tmp_path / "data")
    store = CountingStore(tmp_path / "data")
    try:
        searcher = Searcher(encoder, store, Settings())
        for i in range(40):
            with pytest.raises(FilterError, match="no product has colour"):
                searcher.search(Query(text="shirt", filters=parse_filters({"colour": [f"nope-{i}"]})))
        assert store.facet_calls == 1
        # A colour that arrives with a new product is found at once (the collection grew).
        from indexer import index_entries

        fresh = catalog_entries[0].product.__class__(**{**catalog_entries[0].product.__dict__,
                                                       "id": "NEW1", "colour": "Ultraviolet"})
        index_entries(encoder, store, [catalog_entries[0].__class__(
            **{**catalog_entries[0].__dict__, "product": fresh})])
        hits = searcher.search(Query(text="shirt", filters=parse_filters({"colour": ["ultraviolet"]})))
        assert [h.id for h in hits.hits] == ["NEW1"]
    finally:
        store.close()
