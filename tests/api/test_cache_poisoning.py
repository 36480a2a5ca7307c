"""The shared query-embedding cache cannot be poisoned (issue 20, item 2): a text shares a
cache key with another only if both give one vector, so no spelling of a query can store its
own vector under the key every other shopper's query reads."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import redis
from api_test_helpers import settle
from flask import Flask

from api.cache import CachedEncoder, normalise_text
from api.context import EXTENSION
from encoder import Encoder

VICTIM = "black leather watch"
# Mathematical bold letters, fullwidth letters, odd case and spacing: all NFKC-fold to VICTIM.
SPELLINGS = ["𝐛𝐥𝐚𝐜𝐤 𝐥𝐞𝐚𝐭𝐡𝐞𝐫 𝐰𝐚𝐭𝐜𝐡", "ｂｌａｃｋ ｌｅａｔｈｅｒ ｗａｔｃｈ", "BLACK  Leather\twatch", VICTIM]


def _ids_and_scores(app: Flask, text: str) -> list[tuple[str, float]]:
    response = app.test_client().post("/api/v1/search", json={"text": text, "k": 8})
    assert response.status_code == 200, response.json
    settle(app)  # its new query vector is in Redis now
    return [(r["id"], r["score"]) for r in response.json["results"]]


def test_an_odd_spelling_cannot_poison_another_shoppers_query(
    make_app: Callable[..., Flask], redis_client: redis.Redis, encoder: Encoder
) -> None:
    honest = _ids_and_scores(make_app(), VICTIM)  # what a shopper gets from a clean cache
    redis_client.flushdb()
    _ids_and_scores(make_app(), SPELLINGS[0])  # the attacker's query fills the cache first
    # Another process (nothing in its local cache) answers the victim's query from Redis.
    assert _ids_and_scores(make_app(), VICTIM) == honest
    (key,) = list(redis_client.scan_iter("vitrine:emb:*"))
    stored = np.frombuffer(redis_client.get(key), dtype=np.float32)  # type: ignore[arg-type]
    assert np.allclose(stored, encoder.embed_text(VICTIM), atol=1e-6)


def test_texts_share_a_key_only_if_they_give_one_vector(make_app: Callable[..., Flask]) -> None:
    assert {normalise_text(s) for s in SPELLINGS} == {VICTIM}  # one key for all of them
    vectors = []
    for spelling in SPELLINGS:
        app = make_app()  # a fresh cache each time: every vector is computed, none read back
        query_encoder = app.extensions[EXTENSION].live.current().searcher.query_encoder
        assert isinstance(query_encoder, CachedEncoder)
        cache = query_encoder.cache
        cache.guard.call("flush", lambda r: r.flushdb(), None)
        vectors.append(cache.text(app.extensions[EXTENSION].live.current().encoder, spelling))
    for vector in vectors[1:]:
        assert np.allclose(vector, vectors[0], atol=1e-6)
