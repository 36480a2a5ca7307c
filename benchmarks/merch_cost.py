"""The cost half of ``python -m benchmarks.merchandising``: search p50 with and without every
business term and 20 active rules, side by side; and events ingest through the API."""

from __future__ import annotations

import statistics
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import redis
import torch

from benchmarks.local_redis import RedisUnavailable, private_redis
from encoder import Encoder, save_model_dir
from indexer import EdgeStore, Searcher, Settings, index_entries
from indexer.catalog import read_catalog
from indexer.merch.business import BusinessConfig, popularity
from indexer.merch.events import Event
from indexer.merch.rules import parse_rule
from indexer.merch.stage import Merchandiser, PayloadCache
from indexer.search import SearchRequest, SearchService

TINY = {
    "embed_dim": 64,
    "vision_cfg": {"image_size": 32, "layers": 2, "width": 64, "patch_size": 8, "head_width": 32},
    "text_cfg": {"context_length": 32, "vocab_size": 49408, "width": 64, "heads": 2, "layers": 2},
}
TEXTS = [
    "blue shirt",
    "black shoes",
    "red dress",
    "white t-shirt",
    "watch",
    "sports shoes",
    "jeans",
    "handbag",
    "green kurta",
    "casual shorts",
]
WORDS = ["dress", "shirt", "shoes", "watch", "bag", "jeans", "kurta", "top", "belt", "socks"]


def tiny_encoder(folder: Path) -> Encoder:
    from open_clip.model import CLIP

    torch.manual_seed(0)
    return Encoder.load(str(save_model_dir(CLIP(**TINY), TINY, folder / "tiny-clip")), device="cpu")


def twenty_rules(ids: list[str]) -> list[Any]:
    """Twenty rules of every kind; each search matches a few of them."""
    rules = []
    for i in range(20):
        kind = i % 5
        cons: dict[str, Any] = [
            {"pin": [{"product_id": ids[i], "position": 1 + i % 5}]},
            {"hide": ids[20 + i : 23 + i]},
            {"boost": [{"filters": {"gender": "Women"}, "weight": 0.3}]},
            {"bury": [{"filters": {"season": "Winter"}, "weight": 0.2}]},
            {"banner": f"offer {i}"},
        ][kind]
        cond = {"query_contains": WORDS[i % len(WORDS)]} if i % 2 else {"start": 0, "end": 4e9}
        rules.append(
            parse_rule({"name": f"rule-{i}", "priority": i, "conditions": cond, "consequences": cons})
        )
    return rules


def measure_cost(catalog: str, products: int, rounds: int, tmp: Path) -> dict[str, Any]:
    entries = read_catalog(catalog).entries[:products]
    encoder = tiny_encoder(tmp)
    store = EdgeStore(tmp / "data", "merch")
    try:
        index_entries(encoder, store, entries, batch_size=64)
        store.optimize()
        service = SearchService(Searcher(encoder, store, Settings()))
        ids = [e.product.id for e in entries]
        now = time.time()
        events = [
            Event(f"e{i}", "click" if i % 4 else "view", ids[i % len(ids)], "s", now - i)
            for i in range(50_000)
        ]
        terms = {"popularity": 0.4, "recency": 0.2, "stock": 0.2, "field:price": 0.2}
        merch = Merchandiser(
            rules=twenty_rules(ids),
            business=BusinessConfig(terms),
            popularity=popularity(events, now),
            payloads=PayloadCache(),
            now=now,
        )
        # "pool": the merchandising path with nothing to apply, to separate the cost of ranking
        # the 100-hit pool from the cost of the stage itself.
        # "idle rules": 20 rules that re-order, none matching these queries (as the API sends
        # them: needs_pool decides before the search that the page stays the core's).
        idle = [
            parse_rule(
                {
                    "name": f"idle-{i}",
                    "conditions": {"query_contains": f"zz{i}"},
                    "consequences": {"pin": [{"product_id": ids[i], "position": 1}], "hide": [ids[i + 1]]},
                }
            )
            for i in range(20)
        ]
        idle_stage = Merchandiser(rules=idle, now=now)
        assert not any(idle_stage.needs_pool(SearchRequest(text=t)) for t in TEXTS)
        idle_stage = replace(idle_stage, pool=False)
        configs = (("plain", None), ("idle_rules", idle_stage), ("pool", Merchandiser()), ("merch", merch))
        samples: dict[str, list[float]] = {name: [] for name, _ in configs} | {"merch_stage": []}
        for warm in (True, False):
            for _ in range(1 if warm else rounds):
                for text in TEXTS:
                    for name, stage in configs:
                        t = time.perf_counter()
                        found = service.search(SearchRequest(text=text, k=10, facets=False, merch=stage))
                        ms = (time.perf_counter() - t) * 1000
                        if not warm:
                            samples[name].append(ms)
                            if stage is merch:
                                samples["merch_stage"].append(found.timings["merch_ms"])
    finally:
        store.close()
    p50 = {k: round(statistics.median(v), 3) for k, v in samples.items()}
    return {
        "products": len(entries),
        "searches_each": len(samples["plain"]),
        "p50_ms": p50,
        "p50_added_ms": round(p50["merch"] - p50["plain"], 3),
    }


def measure_ingest(tmp: Path, batches: int = 50) -> dict[str, Any]:
    """POST /api/v1/events, 1,000 events a call, into a private redis-server (never 6379)."""
    try:
        with private_redis() as url:
            return _ingest(url, tmp, batches)
    except RedisUnavailable as e:
        return {"error": str(e)}


def _ingest(url: str, tmp: Path, batches: int) -> dict[str, Any]:
    from api.app import create_app
    from settings.api import ApiSettings

    client = redis.Redis.from_url(url)
    encoder = tiny_encoder(tmp / "ingest")
    store = EdgeStore(tmp / "ingest-data", "ingest")
    app = create_app(
        Settings(),
        api_settings=ApiSettings(
            redis_url=url, jwt_secret="x" * 40, anonymous_rate_limit="1000000/minute"
        ),
        encoder=encoder,
        store=store,
        redis=client,
    )
    http = app.test_client()
    now = time.time()
    bodies = [
        {
            "events": [
                {
                    "id": uuid.uuid4().hex,
                    "type": "click",
                    "product_id": str(10000 + i),
                    "query_id": f"q{b}",
                    "position": 1 + i % 10,
                    "shopper_id": f"s{i % 97}",
                    "timestamp": now,
                }
                for i in range(1000)
            ]
        }
        for b in range(batches)
    ]
    http.post("/api/v1/events", json=bodies[0])  # warm-up
    t = time.perf_counter()
    for body in bodies[1:]:
        r = http.post("/api/v1/events", json=body)
        assert r.status_code == 202, r.json
    seconds = time.perf_counter() - t
    stored = client.xlen("vitrine:merch:products:events")
    store.close()
    return {
        "events": 1000 * (batches - 1),
        "seconds": round(seconds, 3),
        "events_per_s": round(1000 * (batches - 1) / seconds),
        "stored": stored,
    }

