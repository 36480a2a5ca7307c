"""The keyword vector: a product's catalog words as a sparse BM25 vector, scored by Qdrant.

Both backends store it as the named sparse vector ``keywords`` with ``modifier: idf``, so Qdrant
computes each term's IDF over the collection at query time; this module only turns text into
term-frequency weights (documents) and unit weights (queries), with Qdrant Edge's own ``Bm25``
(its word tokenizer, English stopwords and Snowball stemmer). The same vectors go to the
embedded store and to a server, which is what makes their keyword results agree.

The keyword document of a product is its title followed by its brand, colour, category,
sub-category, article type, gender, occasion and season, each distinct value once. A title
usually repeats some of them ("Puma Men Black T-shirt": brand, gender, colour, type), so a
word that is both in the title and a catalog attribute counts twice, and weighs more than a
word the title mentions in passing ("Black Shoes with White Sole" is a black shoe first).
Values shared by two fields ("Watches" as sub-category and article type) count once: the
catalog's hierarchy must not make one product type outweigh another.

Words such as "T-shirt" lose their one-letter part in the tokenizer ("t" is an English
stopword, leaving "shirt", which every shirt has), while the catalog's type "Tshirts" stems to
"tshirt". ``normalise`` joins a single letter to the word after it ("T-shirt", "t shirt" ->
"Tshirt") in documents and queries alike, so all spellings meet on "tshirt".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import qdrant_edge as qe

KEYWORDS = "keywords"
# The payload fields a keyword document is made of, title first.
DOCUMENT_FIELDS = (
    "title", "brand", "colour", "category", "sub_category", "article_type", "gender", "occasion", "season",
)
# BM25's length normalisation compares a document with this length in tokens. Qdrant's
# default (256) suits passages; a product's document is a title and a few attribute values.
AVG_DOCUMENT_TOKENS = 12.0
MAX_QUERY_CHARS = 1000  # longer text is cut: a query is a few words, not a document
# Products with the same words score the same, and each backend orders such ties its own way.
# Scores equal to SCORE_DECIMALS (the backends differ in float rounding only) are ordered by
# product id, and a tie across the cut is fetched whole, up to TIE_CAP more hits.
SCORE_DECIMALS = 4
TIE_CAP = 1000

# A lone letter (not the words "a" or "I") joined by a hyphen or a space to a word of 3+
# letters: "T-shirt", "t shirt", "X-Ray".
_LONE_LETTER = re.compile(r"\b([b-hj-z])[-\s]+(?=[a-z]{3})", re.IGNORECASE)


@dataclass(frozen=True)
class SparseVector:
    """Term ids and weights, the same for both backends."""

    indices: tuple[int, ...]
    values: tuple[float, ...]

    def __bool__(self) -> bool:
        return bool(self.indices)

    def to_edge(self) -> qe.SparseVector:
        return qe.SparseVector(indices=list(self.indices), values=list(self.values))

    def to_dict(self) -> dict[str, list[Any]]:
        """The form qdrant-client takes as a sparse vector (``models.SparseVector(**d)``)."""
        return {"indices": list(self.indices), "values": list(self.values)}


def normalise(text: str) -> str:
    """Join a lone letter to the word after it, so "T-shirt" and "Tshirts" meet."""
    return _LONE_LETTER.sub(r"\1", text)


def touches_keywords(values: Mapping[str, Any]) -> bool:
    """Whether a payload edit changes what a product's keyword document is made of."""
    return any(name in values for name in DOCUMENT_FIELDS)


def keyword_document(payload: Mapping[str, Any]) -> str:
    """The text a product is found by: its title, then each distinct attribute value once."""
    title = str(payload.get("title") or "").strip()
    parts = [title] if title else []
    seen: set[str] = set()
    for name in DOCUMENT_FIELDS[1:]:
        value = payload.get(name)
        if not isinstance(value, str) or not value.strip():
            continue
        key = value.strip().casefold()
        if key not in seen:
            seen.add(key)
            parts.append(value.strip())
    return normalise(" ; ".join(parts))


class KeywordModel:
    """Qdrant Edge's BM25 with English stopwords and stemming, over keyword documents."""

    def __init__(self, avg_len: float = AVG_DOCUMENT_TOKENS) -> None:
        config = qe.Bm25Config(
            language="english",
            stemmer=qe.SnowballParams(qe.SnowballLanguage.English),
            stopwords=qe.Language.English,
            avg_len=avg_len,
        )
        self._bm25 = qe.Bm25(config)

    def document(self, payload: Mapping[str, Any]) -> SparseVector:
        """A product payload's vector (empty when it has no words worth indexing)."""
        return self.document_text(keyword_document(payload))

    def document_text(self, text: str) -> SparseVector:
        """The vector of a document given as text (term frequencies, BM25-saturated)."""
        return _sparse(self._bm25.embed_document(text))

    def query(self, text: str) -> SparseVector:
        """A query's vector: each distinct stemmed word once (IDF is applied by Qdrant).

        Raises:
            TypeError: ``text`` is not a string.
        """
        if not isinstance(text, str):
            raise TypeError(f"a keyword query is text, not {type(text).__name__}")
        return _sparse(self._bm25.embed_query(normalise(text[:MAX_QUERY_CHARS])))


KeywordSearch = Callable[[int, float | None], list[tuple[str, float]]]


def ranked_hits(search: KeywordSearch, limit: int) -> list[tuple[str, float]]:
    """The ``limit`` best (product id, score) hits of ``search(limit, score_threshold)``, in an
    order both backends agree on: by score, ties by product id (see ``TIE_CAP``)."""
    # A search costs about its limit (Qdrant keeps that many in its heap), so the first read
    # takes room for a typical tie at the cut, and only a longer tie is read again.
    first = 2 * limit + 1
    hits = search(first, None)
    cut = limit - 1
    if len(hits) == first and _tied(hits[-1][1], hits[cut][1]):
        # The tie at the cut runs past what was read: which of its hits a backend returned is
        # its own choice, so fetch the whole tie (up to TIE_CAP more) and choose by product id.
        floor = hits[cut][1] - 10.0 ** -SCORE_DECIMALS
        for more in (limit + TIE_CAP // 4, limit + TIE_CAP):
            hits = search(more, floor)
            if len(hits) < more:
                break
    return sorted(hits, key=lambda h: (-round(h[1], SCORE_DECIMALS), h[0]))[:limit]


def _tied(a: float, b: float) -> bool:
    return round(a, SCORE_DECIMALS) == round(b, SCORE_DECIMALS)


def _sparse(vector: qe.SparseVector) -> SparseVector:
    return SparseVector(tuple(int(i) for i in vector.indices), tuple(float(v) for v in vector.values))


# One model for the process: it holds no state beyond its configuration.
KEYWORD_MODEL = KeywordModel()
