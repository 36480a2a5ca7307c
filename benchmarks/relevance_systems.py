"""The search systems the relevance benchmark compares, behind one small protocol.

A system has a ``name`` and ``search(text, k) -> product ids`` (best first, possibly empty).
Today's systems:

- ``bm25``: plain BM25 (``bm25s``, English stopwords and Snowball stemming) over a product's
  title, brand, colour, category, sub-category, article type, gender, occasion and season.
- ``dense``: Vitrine's dense text search alone: the catalog indexed with the encoder, queried
  through ``Searcher.search`` (the core: dense candidates, image + text re-rank), no keyword
  retrieval, no query understanding.
- ``vitrine``: "Vitrine full", the search the API runs: ``SearchService.search`` with a
  ``SearchRequest`` as ``POST /search`` builds it (the environment's settings: keyword
  retrieval, query understanding and the fused score).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from indexer.schema import Product
from indexer.search import Query, Searcher, SearchRequest, SearchService

BM25_FIELDS = ("title", "brand", "colour", "category", "sub_category", "article_type", "gender",
               "occasion", "season")


class SearchSystem(Protocol):
    name: str

    def search(self, text: str, k: int) -> list[str]: ...


def bm25_document(product: Product) -> str:
    """The text BM25 indexes: the listed fields a product has (``brand`` once the schema
    has it; the sample catalog's brand is the start of the title, which is indexed)."""
    values = [getattr(product, name, None) for name in BM25_FIELDS]
    return " ".join(str(v) for v in values if v)


class Bm25System:
    """Plain BM25 over the catalog's fields; products that share no term score 0 and are
    not returned (a keyword search's zero-result page)."""

    name = "bm25"

    def __init__(self, products: Sequence[Product]) -> None:
        import bm25s
        import Stemmer

        self._bm25s = bm25s
        self._stemmer = Stemmer.Stemmer("english")
        self._ids = [p.id for p in products]
        corpus = bm25s.tokenize([bm25_document(p) for p in products], stopwords="en",
                                stemmer=self._stemmer, show_progress=False)
        self._model = bm25s.BM25()
        self._model.index(corpus, show_progress=False)

    def search(self, text: str, k: int) -> list[str]:
        tokens = self._bm25s.tokenize([text], stopwords="en", stemmer=self._stemmer,
                                      return_ids=False, show_progress=False)[0]
        if not tokens:
            return []
        scores = np.asarray(self._model.get_scores(tokens))
        # stable sort: equal scores keep catalog order, so a run is repeatable
        order = np.argsort(-scores, kind="stable")[:k]
        return [self._ids[i] for i in order if scores[i] > 0]


class SearcherSystem:
    """A system answering through ``Searcher.search`` with a text-only query."""

    def __init__(self, name: str, searcher: Searcher) -> None:
        self.name = name
        self.searcher = searcher

    def search(self, text: str, k: int) -> list[str]:
        return [hit.id for hit in self.searcher.search(Query(text=text, k=k)).hits]


class ServiceSystem:
    """A system answering through ``SearchService.search``, the path of ``POST /search``."""

    def __init__(self, name: str, service: SearchService, **request: Any) -> None:
        self.name = name
        self.service = service
        self.request = request  # extra SearchRequest fields (understand, ignore)

    def search(self, text: str, k: int) -> list[str]:
        found = self.service.search(SearchRequest(text=text, k=k, facets=False, **self.request))
        return [hit.id for hit in found.result.hits]
