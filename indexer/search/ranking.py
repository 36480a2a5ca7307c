"""The re-rank and the explanations: exact scores over every candidate, then one ``Hit`` with
its score's breakdown for each product on the page asked for.

``score = w_image * s_image + w_text * s_text`` plus one ``weight * value`` per extra score
term (``ScoreTerm``); the searcher has none today, so the score and breakdown are the core's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol

import numpy as np

from indexer.filters import FilterSpec
from indexer.rerank import ranking, rerank
from indexer.schema import Product
from indexer.search.candidates import Candidates
from indexer.search.model import Hit
from indexer.store.protocol import VectorStore
from indexer.store.vector_cache import VectorCache
from settings.core import Settings

FORMULA = "score = w_image * s_image + w_text * s_text"


class ScoreTerm(Protocol):
    """An extra term of the re-rank score, computed for every candidate."""

    name: str
    weight: float

    def scores(self, vector: np.ndarray, candidates: Candidates) -> np.ndarray:
        """One value per candidate, in the candidates' order."""
        ...


@dataclass(frozen=True)
class Scored:
    """The candidates' scores: the two similarities, each extra term's values, the total.
    A fused score (indexer/search/fusion.py) names its ``fusion``, ``formula`` and ``weights``
    (image and text included), and ``reasons(i)`` says which understood attributes candidate
    ``i`` has."""

    s_image: np.ndarray
    s_text: np.ndarray
    terms: dict[str, tuple[float, np.ndarray]]
    score: np.ndarray
    fusion: str | None = None
    formula: str | None = None
    weights: dict[str, float] | None = None
    reasons: Callable[[int], list[str]] | None = None


def score(
    vector: np.ndarray, candidates: Candidates, settings: Settings, terms: Sequence[ScoreTerm]
) -> Scored:
    """The core score of every candidate plus each extra term's weighted values."""
    core = rerank(vector, candidates.images, candidates.texts, settings.w_image, settings.w_text)
    total = core.score
    extra: dict[str, tuple[float, np.ndarray]] = {}
    for term in terms:
        values = np.asarray(term.scores(vector, candidates), dtype=np.float32)
        extra[term.name] = (term.weight, values)
        total = total + term.weight * values
    return Scored(core.s_image, core.s_text, extra, total)


class Explainer:
    """Builds the hits of one page: reads their payloads (from the vector cache when the
    candidate search left a mark, else from the store) and explains each score."""

    def __init__(self, store: VectorStore, vectors: VectorCache, settings: Settings) -> None:
        self.store = store
        self.vectors = vectors
        self.settings = settings

    def page(
        self, candidates: Candidates, scored: Scored, filters: FilterSpec, alpha: float, offset: int, k: int,
        defer: bool = False,
    ) -> list[Hit]:
        """Re-rank every candidate, then explain only the page asked for (building each hit
        costs more than scoring it). ``defer``: the hits are a pool that later stages re-order
        before the page is cut, so each explanation waits for ``Hit.explained``."""
        ids = candidates.product_ids
        if not ids:
            return []
        order = ranking(scored.score)
        hits: list[Hit] = []
        start = offset
        while len(hits) < k and start < len(order):
            # The page's payloads, read now; a product deleted since the candidate search is
            # skipped and the next one takes its place.
            chunk = [int(i) for i in order[start : start + k - len(hits)]]
            start += len(chunk)
            payloads = self._payloads([ids[i] for i in chunk], candidates)
            for idx in chunk:
                payload = payloads.get(ids[idx])
                if payload is None:
                    continue
                product = Product.from_payload(payload)
                if defer:
                    explain = partial(self._breakdown, scored, idx, alpha, filters, payload)
                    hits.append(Hit(ids[idx], float(scored.score[idx]), {}, product, explain))
                else:
                    breakdown = self._breakdown(scored, idx, alpha, filters, payload)
                    hits.append(Hit(ids[idx], float(scored.score[idx]), breakdown, product))
        return hits

    def _payloads(self, page: list[str], candidates: Candidates) -> dict[str, dict[str, Any]]:
        if candidates.mark is not None:
            return self.vectors.payloads(self.store, page, candidates.mark)
        return {p.product_id: p.payload for p in self.store.get(page)}

    def _breakdown(
        self, scored: Scored, idx: int, alpha: float, filters: FilterSpec, payload: dict[str, Any]
    ) -> dict[str, Any]:
        s = self.settings
        breakdown: dict[str, Any] = {
            "s_image": round(float(scored.s_image[idx]), 6),
            "s_text": round(float(scored.s_text[idx]), 6),
            "alpha": alpha,
            "weights": dict(scored.weights) if scored.weights else {"image": s.w_image, "text": s.w_text},
            "formula": scored.formula or FORMULA,
            "candidate_rank": idx + 1,
            "matched_filters": filters.matched(payload),
        }
        for name, (weight, values) in scored.terms.items():
            breakdown["weights"][name] = weight
            breakdown[f"s_{name}"] = round(float(values[idx]), 6)
        if scored.terms and scored.formula is None:
            breakdown["formula"] = FORMULA + "".join(f" + w_{n} * s_{n}" for n in scored.terms)
        if scored.fusion is not None:
            breakdown["fusion"] = scored.fusion
        if scored.reasons is not None:
            breakdown["understood"] = scored.reasons(idx)
        return breakdown
