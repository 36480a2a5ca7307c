"""Load test of the HTTP API under gunicorn: latency, throughput, stage shares, API overhead.

    python -m benchmarks.api_load --catalog ../shared/catalog --data-dir data/bench
        [--model SPEC] [--clients 8] [--requests 400] [--url http://host:port] [--json OUT]

Starts ``vitrine serve`` on the given (already indexed) data directory, unless --url
points at a running server, then runs, one after the other with N concurrent
keep-alive clients:

- ``text``: distinct text queries (the embedding cache is cleared first, so each is a miss);
- ``text_cached``: one text query repeated (every request after the first is a cache hit);
- ``hybrid_upload``: multipart uploads of distinct catalog photos with a colour word.

For each it reports p50/p95/p99 latency, requests per second, errors, the share of
server time per stage (from the responses' ``timings``), and the API's overhead:
client latency minus the time the search function itself took (encode + candidates
+ re-rank, what an in-process ``Searcher.search`` call costs). Index the catalog first,
e.g. with ``python -m benchmarks.search_latency`` or ``vitrine index``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import redis

from indexer import read_catalog

STAGES = ("fetch_ms", "encode_ms", "candidates_ms", "rerank_ms", "facets_ms")
SEARCH_STAGES = ("encode_ms", "candidates_ms", "rerank_ms")
TARGETS = {  # scenario -> (p50 ms, p95 ms or None)
    "text": (25.0, 60.0),
    "hybrid_upload": (80.0, None),
    "text_cached": (10.0, None),
}
MIN_RPS = 100.0

Request = tuple[str, bytes, str]  # path, body, content type


@dataclass
class Outcome:
    latencies_ms: list[float] = field(default_factory=list)
    server: list[dict[str, float]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _multipart(fields: dict[str, str], image: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="q.jpg"\r\n'
        f"Content-Type: image/jpeg\r\n\r\n".encode() + image + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def build_requests(catalog: Path, n: int, seed: int, facets: bool) -> dict[str, list[Request]]:
    """Distinct realistic text queries, one repeated query, and distinct photo uploads."""
    rng = random.Random(seed)
    products = [e.product for e in read_catalog(catalog).entries]
    colours = sorted({p.colour for p in products if p.colour})
    extra = {} if facets else {"facets": False}
    seen: set[str] = set()
    texts: list[Request] = []
    while len(texts) < n:
        p = rng.choice(products)
        kind = (p.article_type or p.sub_category or "clothes").lower()
        words = [w for w in (p.colour, p.gender, p.occasion, p.season) if w and rng.random() < 0.6]
        text = " ".join([*words, kind]).lower()
        if text in seen:
            text = f"{text} {len(texts)}"  # still a distinct query, so still a cache miss
        seen.add(text)
        texts.append(("/api/v1/search", json.dumps({"text": text, "k": 10, **extra}).encode(),
                      "application/json"))
    cached = [("/api/v1/search", json.dumps({"text": "navy blue casual shirt", "k": 10, **extra}).encode(),
               "application/json")] * n
    uploads: list[Request] = []
    for p in rng.sample(products, min(n, len(products))):
        fields = {"text": rng.choice(colours).lower(), "k": "10"}
        if not facets:
            fields["facets"] = "false"
        body, kind = _multipart(fields, Path(p.image).read_bytes())
        uploads.append(("/api/v1/search", body, kind))
    return {"text": texts, "text_cached": cached, "hybrid_upload": uploads}


def run(base: str, requests: list[Request], clients: int) -> Outcome:
    """Send ``requests`` from ``clients`` threads, each on its own keep-alive connection."""
    parts = urlsplit(base)
    outcome = Outcome()
    lock = threading.Lock()
    queue = list(reversed(requests))

    def worker() -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        while True:
            with lock:
                if not queue:
                    break
                path, body, kind = queue.pop()
            t = time.perf_counter()
            try:
                conn.request("POST", path, body=body, headers={"Content-Type": kind})
                response = conn.getresponse()
                data = response.read()
                ms = (time.perf_counter() - t) * 1000
                if response.status != 200:
                    with lock:
                        outcome.errors.append(f"{response.status}: {data[:200]!r}")
                    continue
                timings = json.loads(data)["timings"]
                with lock:
                    outcome.latencies_ms.append(ms)
                    outcome.server.append(timings)
            except (OSError, http.client.HTTPException, ValueError) as e:
                with lock:
                    outcome.errors.append(repr(e))
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    started = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    outcome.seconds = time.perf_counter() - started
    return outcome


def summarise(name: str, outcome: Outcome) -> dict[str, Any]:
    lat = np.asarray(outcome.latencies_ms) if outcome.latencies_ms else np.zeros(1)
    server_total = [t.get("total_ms", 0.0) for t in outcome.server]
    stage_sums = {s: sum(t.get(s, 0.0) for t in outcome.server) for s in STAGES}
    all_stages = sum(stage_sums.values()) or 1.0
    search_fn = [sum(t.get(s, 0.0) for s in SEARCH_STAGES) for t in outcome.server]
    overhead = [c - s for c, s in zip(outcome.latencies_ms, search_fn, strict=True)]
    return {
        "scenario": name,
        "requests": len(outcome.latencies_ms) + len(outcome.errors),
        "errors": len(outcome.errors),
        "first_errors": outcome.errors[:3],
        "rps": round(len(outcome.latencies_ms) / outcome.seconds, 1) if outcome.seconds else 0.0,
        "p50_ms": round(float(np.percentile(lat, 50)), 2),
        "p95_ms": round(float(np.percentile(lat, 95)), 2),
        "p99_ms": round(float(np.percentile(lat, 99)), 2),
        "server_total_p50_ms": round(statistics.median(server_total), 2) if server_total else None,
        "stage_share": {s[:-3]: round(v / all_stages, 3) for s, v in stage_sums.items() if v},
        "search_fn_p50_ms": round(statistics.median(search_fn), 2) if search_fn else None,
        "api_overhead_p50_ms": round(statistics.median(overhead), 2) if overhead else None,
    }


def verdicts(results: list[dict[str, Any]]) -> list[str]:
    lines = []
    for r in results:
        p50, p95 = TARGETS.get(r["scenario"], (None, None))
        checks = [("errors", r["errors"] == 0, f"{r['errors']} == 0")]
        if p50 is not None:
            checks.append(("p50", r["p50_ms"] <= p50, f"{r['p50_ms']} <= {p50} ms"))
        if p95 is not None:
            checks.append(("p95", r["p95_ms"] <= p95, f"{r['p95_ms']} <= {p95} ms"))
        if r["scenario"] == "text":
            checks.append(("rps", r["rps"] >= MIN_RPS, f"{r['rps']} >= {MIN_RPS}/s"))
        for what, ok, detail in checks:
            lines.append(f"{'PASS' if ok else 'FAIL'}  {r['scenario']:<14} {what:<6} {detail}")
    return lines


def markdown(results: list[dict[str, Any]], clients: int) -> str:
    """The results as a README table."""
    lines = [
        f"| scenario ({clients} clients) | p50 ms | p95 ms | req/s | errors | API overhead p50 ms "
        "| time per stage |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        shares = ", ".join(f"{k} {v:.0%}" for k, v in r["stage_share"].items())
        lines.append(f"| {r['scenario']} | {r['p50_ms']} | {r['p95_ms']} | {r['rps']} | {r['errors']} "
                     f"| {r['api_overhead_p50_ms']} | {shares} |")
    return "\n".join(lines)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(
    data_dir: Path, model: str | None, redis_url: str, threads: int
) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {**os.environ, "VITRINE_DATA_DIR": str(data_dir), "VITRINE_REDIS_URL": redis_url,
           # The benchmark measures serving, not throttling.
           "VITRINE_RATE_LIMIT": "1000000/minute", "VITRINE_ANON_RATE_LIMIT": "1000000/minute"}
    if model:
        env["VITRINE_MODEL"] = model
    cmd = [sys.executable, "-c", "from api.cli import main; main()", "serve", "--port", str(port),
           "--threads", str(threads)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("vitrine serve exited; see its output above")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/v1/ready")
            if conn.getresponse().status == 200:
                return proc, base
        except OSError:
            pass
        time.sleep(0.5)
    proc.kill()
    raise SystemExit("vitrine serve did not become ready in 180 s")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--catalog", required=True, type=Path)
    parser.add_argument("--data-dir", type=Path, default=Path("data/bench"))
    parser.add_argument("--model", default=None,
                        help="model spec (default: VITRINE_MODEL or the shipped model)")
    parser.add_argument("--url", default=None, help="use a running server instead of starting one")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14",
                        help="Redis for the started server (its embedding cache is cleared)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--threads", type=int, default=8, help="gunicorn threads of the started server")
    parser.add_argument("--requests", type=int, default=400, help="requests per scenario")
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--no-facets", action="store_true", help="ask for no facet counts")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    parser.add_argument("--markdown", action="store_true", help="also print a README table")
    args = parser.parse_args(argv)

    plans = build_requests(args.catalog, args.requests + args.warmup, args.seed, not args.no_facets)
    proc = None
    base = args.url
    if base is None:
        proc, base = start_server(args.data_dir, args.model, args.redis_url, args.threads)
    clear: Callable[[], None] = lambda: None  # noqa: E731
    if args.url is None:
        r = redis.Redis.from_url(args.redis_url)
        clear = lambda: [r.delete(k) for k in r.scan_iter("vitrine:emb:*")] and None  # noqa: E731
    try:
        results = []
        for name, requests in plans.items():
            clear()
            warm, timed = requests[: args.warmup], requests[args.warmup :]
            run(base, warm, args.clients)  # warm-up: threads, allocator, and for text_cached the cache
            results.append(summarise(name, run(base, timed, args.clients)))
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
    report = {"clients": args.clients, "requests_per_scenario": args.requests, "results": results,
              "verdicts": verdicts(results)}
    for r in results:
        print(json.dumps(r))
    print("\n".join(report["verdicts"]))
    if args.markdown:
        print(markdown(results, args.clients))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")
    return report


if __name__ == "__main__":
    main()
