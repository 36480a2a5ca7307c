"""What a search is and what it answers: the query, the request around it (sort, page, facets,
taste), the hits with their explanations, and the checks every request passes once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

from encoder.images import ImageSource
from indexer.errors import QueryError
from indexer.filters import FilterSpec
from indexer.media import QueryImage
from indexer.schema import Product

if TYPE_CHECKING:
    from indexer.search.taste import Taste
    from indexer.store.protocol import VectorStore

MAX_K = 100
MAX_OFFSET = 1000
MAX_TEXT = 500
SORTS = ("relevance", "price_asc", "price_desc", "newest")
POOL = MAX_K
"""Sorting and the taste term reorder the POOL most relevant hits, not the whole catalog: a
price sort over everything would rank socks above the dress that was asked for."""
SimilarBy = Literal["image", "text", "both"]
SIMILAR_BY: tuple[SimilarBy, ...] = ("image", "text", "both")
QueryImageSource = ImageSource | QueryImage


@dataclass(frozen=True, kw_only=True)
class Query:
    """One ranked retrieval: text, image or both, with filters and a page."""

    text: str | None = None
    image: QueryImageSource | None = None
    alpha: float | None = None  # None: the configured default when both are given
    filters: FilterSpec = field(default_factory=FilterSpec)
    k: int = 10
    offset: int = 0
    exact: bool = False
    defer: bool = False  # explain hits when asked (``Hit.explained``): a pool re-ordered, then cut
    depth: int | None = None  # candidates per vector (None: max(candidates, oversample * (k + offset)))


class PoolStage(Protocol):
    """A stage over the pool of most relevant hits before the page is cut (merchandising:
    indexer/merch/stage.py): the re-ordered pool and the response fields it adds. ``pool``:
    whether it re-orders at all (False: the page is the core's; the stage only removes hits and
    adds fields)."""

    @property
    def pool(self) -> bool: ...

    def apply(self, store: VectorStore, hits: list[Hit], request: SearchRequest,
              understood: dict[str, Any] | None, pooled: bool) -> tuple[list[Hit], dict[str, Any]]: ...


@dataclass(frozen=True, kw_only=True)
class SearchRequest:
    """A shopper's search as the service takes it: the query's parts (the image as given,
    uploaded bytes or a URL), how to order and page the answer, and whether to count facets."""

    text: str | None = None
    image: QueryImageSource | None = None
    upload: bytes | None = None
    image_url: str | None = None
    alpha: float | None = None
    filters: FilterSpec = field(default_factory=FilterSpec)
    k: int = 10
    offset: int = 0
    sort: str = "relevance"
    facets: bool = True
    exact: bool = False
    taste: Taste | None = None
    personal: bool = False  # asked through a personalised endpoint (worded so in errors)
    understand: str | None = None  # boost, filter or off (None: the configured default)
    ignore: tuple[str, ...] = ()  # understood kinds to leave out ("colour", "type", "price", ...)
    diversity: float | None = None  # MMR over the first POOL, 0..1 (None: the configured default)
    merch: PoolStage | None = None  # business terms and rules (indexer/merch/stage.py)
    group: bool = True  # False: a product with variants is one hit per matching variant
    fusion: dict[str, Any] | None = None  # changes to a text query's fusion (A/B variants: parse_override)

    @property
    def depth(self) -> int | None:
        """Candidates per vector for the pool when only merchandising re-orders it: as many as
        the pool holds (the settings' minimum when larger), the same for every page so a pin or a
        hide holds on each, and what a first page of the core takes, so ranking the pool costs
        about what the page does. Sorting, taste and diversity keep the deeper oversampled pool.
        None: the core's depth for the page."""
        if self.taste is not None or self.sort != "relevance" or bool(self.diversity):
            return None
        return POOL if self.pooled else None

    @property
    def pooled(self) -> bool:
        """Whether the page is cut from the re-ordered POOL instead of the core's ranking."""
        if self.taste is not None or self.sort != "relevance" or bool(self.diversity):
            return True
        # Merchandising re-orders the POOL; a page beyond it is the core's, with hides applied.
        return self.merch is not None and self.merch.pool and self.offset + self.k <= POOL


@dataclass(frozen=True, kw_only=True)
class SimilarRequest:
    """Products like one product, by its stored vectors."""

    product_id: str
    by: str = "image"
    filters: FilterSpec = field(default_factory=FilterSpec)
    k: int = 10
    offset: int = 0
    taste: Taste | None = None


@dataclass(frozen=True)
class Hit:
    """One ranked product with the explanation of its score. ``deferred``: the core's part of
    the explanation, built only for the hits of the page (``explained``), when the core ranked a
    pool that later stages re-order and cut; ``breakdown`` then holds what those stages added."""

    id: str
    score: float
    breakdown: dict[str, Any]
    product: Product
    deferred: Callable[[], dict[str, Any]] | None = field(default=None, compare=False, repr=False)
    variant: dict[str, Any] | None = None  # ungrouped results: the variant this hit stands for

    def explained(self) -> Hit:
        """This hit with its whole breakdown: the core's, then what later stages added."""
        if self.deferred is None:
            return self
        return Hit(self.id, self.score, {**self.deferred(), **self.breakdown}, self.product,
                   variant=self.variant)

    def to_json(self) -> dict[str, Any]:
        hit = self.explained()
        out = {
            "id": hit.id,
            "score": round(hit.score, 6),
            "breakdown": hit.breakdown,
            "product": self.product.to_payload(),
        }
        if self.variant is not None:
            out["variant"] = self.variant
        return out


@dataclass(frozen=True)
class SearchResult:
    """Ranked hits, how many candidates were considered, and the time per stage (ms)."""

    hits: list[Hit]
    candidates: int
    timings: dict[str, float]
    filters: FilterSpec
    notices: tuple[str, ...] = ()  # what the ranking gave up to answer (filter mode relaxed)

    def to_json(self) -> dict[str, Any]:
        return {
            "results": [h.to_json() for h in self.hits],
            "candidates": self.candidates,
            "filters": self.filters.to_json(implied=False),
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }


@dataclass(frozen=True, kw_only=True)
class Page:
    """Where this page sits: what was asked, what came back, where the next one starts."""

    k: int
    offset: int
    returned: int
    next_offset: int | None = None
    total_matching: int | None = None


@dataclass(frozen=True, kw_only=True)
class SearchPage:
    """The service's answer: the page's hits (with the core's candidates and filters), facet
    counts when asked for, the page, and every stage's time (ms)."""

    result: SearchResult
    page: Page
    timings: dict[str, float]
    facets: dict[str, Any] | None = None
    had_image: bool = False
    understood: dict[str, Any] | None = None  # what the text was read as (indexer/search/reading.py)
    notices: tuple[str, ...] = ()  # what to tell the shopper about this answer
    did_you_mean: str | None = None  # the text with its typos corrected
    merch: dict[str, Any] | None = None  # applied_rules, redirect, banners (indexer/merch/stage.py)

    def reading_json(self) -> dict[str, Any]:
        """The response fields about how the query was read."""
        return {"understood": self.understood, "notices": list(self.notices),
                "did_you_mean": self.did_you_mean}


def _between(name: str, value: float, low: float, high: float) -> None:
    if not low <= value <= high:
        raise QueryError(f"{name} must be between {low} and {high}, got {value}")


def check_query(query: Query, default_alpha: float) -> float:
    """The alpha to apply, once the query is known to be well-formed.

    Raises:
        QueryError: no text and no image, text too long, k, offset or alpha out of range.
    """
    if not query.text and query.image is None:
        raise QueryError("a search needs text, an image, or both")
    if query.text is not None and len(query.text) > MAX_TEXT:
        raise QueryError(f"text is longer than {MAX_TEXT} characters")
    _between("k", query.k, 1, MAX_K)
    _between("offset", query.offset, 0, MAX_OFFSET)
    alpha = default_alpha if query.alpha is None else query.alpha
    _between("alpha", alpha, 0, 1)  # worded as the command line always has
    return alpha


def check_request(request: SearchRequest) -> None:
    """Every check a search request passes, before anything is fetched or encoded.

    Raises:
        QueryError: what is wrong, in the words the API has always used.
    """
    given = [x is not None for x in (request.image, request.upload, request.image_url)]
    if sum(given) > 1:
        raise QueryError("send an image file or an image_url, not both")
    if not request.text and not any(given):
        raise QueryError("a search needs text, an image, or both")
    if request.text is not None and len(request.text) > MAX_TEXT:
        raise QueryError(f"text is longer than {MAX_TEXT} characters")
    if request.alpha is not None:
        _between("alpha", request.alpha, 0.0, 1.0)  # worded as the HTTP API always has
    _between("k", request.k, 1, MAX_K)
    _between("offset", request.offset, 0, MAX_OFFSET)
    if request.sort not in SORTS:
        raise QueryError(f"sort must be one of {', '.join(SORTS)}, got {request.sort!r}")
    if request.pooled and request.offset + request.k > POOL:
        what = "personalised and sorted" if request.personal else "sorted"
        raise QueryError(f"{what} results are the {POOL} most relevant; offset + k must be at most {POOL}")


def check_similar(request: SimilarRequest) -> None:
    """Raises QueryError for a similar-items request the service cannot answer."""
    if request.by not in SIMILAR_BY:
        raise QueryError(f"by must be one of {', '.join(SIMILAR_BY)}, got {request.by!r}")
    _between("k", request.k, 1, MAX_K)
    _between("offset", request.offset, 0, MAX_OFFSET)
    if request.taste is not None and request.offset + request.k > POOL:
        raise QueryError(f"personalised results are the {POOL} most similar; "
                         f"offset + k must be at most {POOL}")
