"""Suggestions measured through HTTP against ``vitrine serve`` (docs/discovery.md):

- latency: GET /api/v1/suggest for prefixes of shopper queries, sent at ``--rate`` requests per
  second on a fixed schedule (open loop, latency from each request's due time), p50/p95/p99;
- acceptance, in the browser (Playwright + Debian's Chromium): for held-out queries (every 7th of
  the relevance benchmark's queries, sorted by id: never in the query log), type the first 4
  letters in the shop's search box and read the top 3 suggestions shown; a hit when one is the
  intended query or returns the same top product (POST /api/v1/search, k=1).

The other queries go into the query log as past searches of 3 distinct shoppers each.

    python -m benchmarks.relevance --catalog ../shared/catalog --split val --data-dir /tmp/vitrine-relevance
    python -m benchmarks.suggest --data-dir /tmp/vitrine-relevance --collection relevance [--rate 200]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
import redis

from api.query_log import QueryLog
from api.redis_guard import RedisGuard
from benchmarks.api_load import _free_port, start_server
from benchmarks.relevance_grades import QUERIES_DIR, load_queries
from benchmarks.results import write_json

HELD_OUT_EVERY = 7
PREFIX = 4


def start_redis(workdir: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    cmd = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", workdir, "--save", "",
           "--appendonly", "no"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            return proc, f"redis://127.0.0.1:{port}/0"
        except redis.RedisError:
            time.sleep(0.05)
    raise SystemExit("redis-server did not start")


def split_queries() -> tuple[list[str], list[str]]:
    """(past queries, held-out queries)."""
    queries = sorted(load_queries(QUERIES_DIR), key=lambda q: q.id)
    held = [q.text for i, q in enumerate(queries) if i % HELD_OUT_EVERY == 0 and len(q.text) >= PREFIX]
    past = [q.text for i, q in enumerate(queries) if i % HELD_OUT_EVERY != 0]
    return past, held


def latency(base: str, prefixes: list[str], rate: float, clients: int) -> dict[str, Any]:
    """Open-loop GETs at ``rate``; latency counts from each request's due time."""
    host, port = base.removeprefix("http://").split(":")
    lat: list[float] = []
    server: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    start = time.perf_counter() + 0.2

    def client(k: int) -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        for i in range(k, len(prefixes), clients):
            due = start + i / rate
            time.sleep(max(0.0, due - time.perf_counter()))
            conn.request("GET", f"/api/v1/suggest?q={quote(prefixes[i])}")
            response = conn.getresponse()
            data = response.read()
            ms = (time.perf_counter() - due) * 1000
            with lock:
                if response.status == 200:
                    lat.append(ms)
                    server.append(json.loads(data)["timings"]["suggest_ms"])
                else:
                    errors.append(f"{response.status} {data[:100]!r}")
        conn.close()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - start
    pct = np.percentile(lat, [50, 95, 99]) if lat else [None] * 3
    return {"requests": len(prefixes), "rate_offered": rate, "rate_answered": round(len(lat) / seconds, 1),
            "p50_ms": round(float(pct[0]), 2), "p95_ms": round(float(pct[1]), 2),
            "p99_ms": round(float(pct[2]), 2),
            "server_suggest_p95_ms": round(float(np.percentile(server, 95)), 3), "errors": errors[:5],
            "error_count": len(errors)}


def top_product(base: str, text: str) -> str | None:
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    conn.request("POST", "/api/v1/search", body=json.dumps({"text": text, "k": 1, "facets": False}),
                 headers={"Content-Type": "application/json"})
    body = json.loads(conn.getresponse().read())
    conn.close()
    return body["results"][0]["id"] if body.get("results") else None


def acceptance(base: str, held: list[str], chromium: str) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(base_url=base)
        page.goto("/")
        for text in held:
            page.fill("#q", "")
            page.click("#q")
            asked = f"suggest?q={quote(text[:PREFIX])}"
            with page.expect_response(lambda r, asked=asked: asked in r.url):  # type: ignore[misc]
                page.keyboard.type(text[:PREFIX], delay=30)
            page.wait_for_timeout(50)
            shown = page.eval_on_selector_all("#suggest-list li .suggest-text",
                                              "s => s.map(x => x.textContent)")[:3]
            wanted = top_product(base, text)
            same = next((s for s in shown if s.casefold() == text.casefold()), None)
            if same is None:
                same = next((s for s in shown if top_product(base, s) == wanted), None)
            rows.append({"query": text, "typed": text[:PREFIX], "top3": shown, "accepted": same})
            page.keyboard.press("Escape")
        browser.close()
    hits = sum(r["accepted"] is not None for r in rows)
    return {"queries": len(rows), "accepted": hits, "rate": round(hits / len(rows), 3), "rows": rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.suggest",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True, help="an indexed data directory")
    parser.add_argument("--collection", default="products")
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--held-in-log", action="store_true",
                        help="also record the held-out queries as past searches (popular, but still "
                             "never used to tune anything): acceptance for queries shoppers already search")
    parser.add_argument("--json", dest="json_out", type=Path)
    args = parser.parse_args(argv)
    past, held = split_queries()
    logged = past + held if args.held_in_log else past
    with tempfile.TemporaryDirectory(prefix="vitrine-suggest-") as tmp:
        redis_proc, redis_url = start_redis(tmp)
        log = QueryLog(RedisGuard(redis.Redis.from_url(redis_url)))
        for text in logged:
            for shopper in ("a", "b", "c"):
                log.record(args.collection, text, f"bench-{shopper}", 1)
        os.environ["VITRINE_COLLECTION"] = args.collection
        # one client sends what many shoppers would: measure serving, not the per-client limit
        os.environ["VITRINE_SUGGEST_RATE_LIMIT"] = "1000000/minute"
        proc, base = start_server(args.data_dir, None, redis_url, threads=8)
        try:
            rng = random.Random(0)
            prefixes = [q[:n] for q in past + held for n in range(1, len(q) + 1)]
            rng.shuffle(prefixes)
            latency(base, prefixes[:200], args.rate, args.clients)  # warm-up (builds the index)
            lat = latency(base, (prefixes * 3)[: args.requests], args.rate, args.clients)
            accepted = acceptance(base, held, args.chromium)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            redis_proc.terminate()
            redis_proc.wait(timeout=10)
    print(f"suggest latency at {lat['rate_offered']:g}/s over HTTP: p50 {lat['p50_ms']} ms, "
          f"p95 {lat['p95_ms']} ms, p99 {lat['p99_ms']} ms; answered {lat['rate_answered']}/s; "
          f"errors {lat['error_count']}")
    print(f"acceptance: {accepted['accepted']}/{accepted['queries']} = {accepted['rate']:.1%}")
    for r in accepted["rows"]:
        print(f"  {'ok ' if r['accepted'] else 'MISS'} {r['typed']!r} -> {r['top3']} (wanted {r['query']!r})")
    write_json(args.json_out, {"latency": lat, "acceptance": accepted, "past_queries": len(logged),
                               "held_in_log": args.held_in_log})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
