"""Load test of the HTTP API under gunicorn: latency at a sustained rate, saturation
throughput, server CPU per request, stage shares, and the API's overhead over the
in-process search function, side by side in one run.

    python -m benchmarks.api_load --catalog ../shared/catalog --data-dir data/bench
        [--model SPEC] [--clients 8] [--rate 100] [--requests 1000] [--repeats 3]
        [--url http://host:port] [--json OUT] [--markdown]

Three scenarios, each with distinct realistic requests:

- ``text``: distinct text queries (the embedding cache is cleared first: every one a miss);
- ``text_cached``: one text query repeated (every request after the first is a cache hit);
- ``hybrid_upload``: multipart uploads of distinct catalog photos with a colour word.

Two ways of loading the server, both with ``--clients`` keep-alive connections:

- ``sustained``: the clients send ``--rate`` requests per second between them on a fixed
  schedule (open loop), for ``--requests`` requests. Latency is counted from each
  request's scheduled send time, so a server that falls behind shows it (no coordinated
  omission). This is what the latency goals are read against: p50/p95 while the server
  sustains that rate, and the rate actually answered.
- ``saturation``: each client sends its next request as soon as its answer arrives
  (closed loop): the most requests per second the server answers. Latency here is set by
  the queue (clients / throughput, Little's law), not by the server's speed.

Before starting the server, the same text and hybrid requests run through
``Searcher.search`` in this process (the search function without HTTP), so the API's
overhead is measured on the same queries in the same run. The embedded store belongs to
one process, so the two run one after the other, not at once.

Each phase is repeated ``--repeats`` times (scenarios interleaved) and medians are
reported; timings on a shared 2-core machine vary by 2x from one minute to the next.
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

from benchmarks.results import write_json
from indexer import Product, Query, read_catalog

STAGES = ("fetch_ms", "encode_ms", "candidates_ms", "rerank_ms", "facets_ms")
SEARCH_STAGES = ("encode_ms", "candidates_ms", "rerank_ms")
TARGETS = {  # scenario -> (p50 ms, p95 ms or None), read against the sustained phase
    "text": (25.0, 60.0),
    "hybrid_upload": (80.0, None),
    "text_cached": (10.0, None),
}
MIN_RPS = 100.0
SCENARIOS = ("text", "text_cached", "hybrid_upload")

Request = tuple[str, bytes, str]  # path, body, content type


@dataclass(frozen=True)
class Planned:
    """One request, and the same search as an in-process query."""

    request: Request
    text: str | None
    image: Path | None = None


@dataclass
class Outcome:
    latencies_ms: list[float] = field(default_factory=list)
    server: list[dict[str, float]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    shed: int = 0  # 503 (admission control) or 429 with Retry-After: the server said "later"
    seconds: float = 0.0
    late: int = 0  # sustained phase: requests sent more than LATE_MS after their scheduled time
    server_cpu_s: float | None = None


LATE_MS = 10.0


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


def text_requests(catalog: Path, n: int, seed: int, facets: bool) -> list[Request]:
    """``n`` distinct realistic text searches: the ``text`` scenario of ``build_plans``, without
    reading a photo (the same seed gives the same first queries whatever ``n``)."""
    rng = random.Random(seed)
    products = [e.product for e in read_catalog(catalog).entries]
    return [p.request for p in _text_plans(products, n, rng, {} if facets else {"facets": False})]


def _text_plans(products: list[Product], n: int, rng: random.Random, extra: dict[str, Any]) -> list[Planned]:
    seen: set[str] = set()
    texts: list[Planned] = []
    while len(texts) < n:
        p = rng.choice(products)
        kind = (p.article_type or p.sub_category or "clothes").lower()
        words = [w for w in (p.colour, p.gender, p.occasion, p.season) if w and rng.random() < 0.6]
        text = " ".join([*words, kind]).lower()
        if text in seen:
            text = f"{text} {len(texts)}"  # still a distinct query, so still a cache miss
        seen.add(text)
        body = json.dumps({"text": text, "k": 10, **extra}).encode()
        texts.append(Planned(("/api/v1/search", body, "application/json"), text))
    return texts


def build_plans(catalog: Path, n: int, seed: int, facets: bool) -> dict[str, list[Planned]]:
    """Distinct realistic text queries, one repeated query, and distinct photo uploads."""
    rng = random.Random(seed)
    products = [e.product for e in read_catalog(catalog).entries]
    colours = sorted({p.colour for p in products if p.colour})
    extra = {} if facets else {"facets": False}
    texts = _text_plans(products, n, rng, extra)
    repeated = "navy blue casual shirt"
    cached_body = json.dumps({"text": repeated, "k": 10, **extra}).encode()
    cached = [Planned(("/api/v1/search", cached_body, "application/json"), repeated)] * n
    uploads: list[Planned] = []
    while len(uploads) < n:
        for p in rng.sample(products, min(n - len(uploads), len(products))):
            colour = rng.choice(colours).lower()
            fields = {"text": colour, "k": "10"}
            if not facets:
                fields["facets"] = "false"
            body, kind = _multipart(fields, Path(p.image).read_bytes())
            uploads.append(Planned(("/api/v1/search", body, kind), colour, Path(p.image)))
    return {"text": texts, "text_cached": cached, "hybrid_upload": uploads}


def build_requests(catalog: Path, n: int, seed: int, facets: bool) -> dict[str, list[Request]]:
    """``build_plans`` without the in-process twins."""
    return {k: [p.request for p in v] for k, v in build_plans(catalog, n, seed, facets).items()}


def storefront_headers(base: str, redis_url: str) -> dict[str, str]:
    """The Authorization header of a new storefront client (scope ``search``) of the server at
    ``base`` whose Redis is ``redis_url``: storefronts integrate with a token, and requests
    without one are served from the small anonymous pool (VITRINE_ANON_IN_FLIGHT), so anonymous
    load would measure that pool, not the server."""
    from api.clients import create_client

    client_id, secret = create_client(redis.Redis.from_url(redis_url), ("search",), "benchmark storefront")
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        credentials = json.dumps({"client_id": client_id, "client_secret": secret}).encode()
        conn.request("POST", "/api/v1/auth/token", body=credentials,
                     headers={"Content-Type": "application/json"})
        token = json.loads(conn.getresponse().read())["access_token"]
    finally:
        conn.close()
    return {"Authorization": f"Bearer {token}"}


def _send(conn: http.client.HTTPConnection, request: Request,
          headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    path, body, kind = request
    conn.request("POST", path, body=body, headers={"Content-Type": kind, **(headers or {})})
    response = conn.getresponse()
    return response.status, response.read()


def _record(outcome: Outcome, lock: threading.Lock, status: int, data: bytes, ms: float) -> None:
    if status in (429, 503):
        with lock:
            outcome.shed += 1
        return
    if status != 200:
        with lock:
            outcome.errors.append(f"{status}: {data[:200]!r}")
        return
    timings = json.loads(data)["timings"]
    with lock:
        outcome.latencies_ms.append(ms)
        outcome.server.append(timings)


def _attempt(
    conn: http.client.HTTPConnection, request: Request, since: float, outcome: Outcome, lock: threading.Lock,
    headers: dict[str, str] | None = None,
) -> http.client.HTTPConnection:
    """Send one request and record it (latency from ``since``); after a failure, the connection
    to use next is a new one."""
    try:
        status, data = _send(conn, request, headers)
        _record(outcome, lock, status, data, (time.perf_counter() - since) * 1000)
        return conn
    except (OSError, http.client.HTTPException, ValueError) as e:
        with lock:
            outcome.errors.append(repr(e))
        conn.close()
        return http.client.HTTPConnection(conn.host, conn.port, timeout=30)


Work = Callable[[int, http.client.HTTPConnection], http.client.HTTPConnection]


def _clients(base: str, count: int, work: Work) -> None:
    """Run ``work(k, connection)`` in ``count`` threads, each with its own keep-alive connection
    (``work`` returns the connection it ended with, a new one after a failure)."""
    parts = urlsplit(base)

    def client(k: int) -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        try:
            conn = work(k, conn)
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(count)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()


def run(base: str, requests: list[Request], clients: int, headers: dict[str, str] | None = None) -> Outcome:
    """Closed loop: ``clients`` threads, each on its own keep-alive connection, each sending
    its next request as soon as the previous answer arrives (with ``headers``: a token)."""
    outcome = Outcome()
    lock = threading.Lock()
    queue = list(reversed(requests))

    def work(_k: int, conn: http.client.HTTPConnection) -> http.client.HTTPConnection:
        while True:
            with lock:
                if not queue:
                    return conn
                request = queue.pop()
            conn = _attempt(conn, request, time.perf_counter(), outcome, lock, headers)

    started = time.perf_counter()
    _clients(base, clients, work)
    outcome.seconds = time.perf_counter() - started
    return outcome


def paced(
    base: str, requests: list[Request], clients: int, rate: float, headers: dict[str, str] | None = None
) -> Outcome:
    """Open loop: request i is due at ``i / rate`` seconds and is sent by client ``i % clients``
    at that time (or as soon as that client is free); latency counts from the due time."""
    outcome = Outcome()
    lock = threading.Lock()
    start = time.perf_counter() + 0.1

    def work(k: int, conn: http.client.HTTPConnection) -> http.client.HTTPConnection:
        for i in range(k, len(requests), clients):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            elif -delay * 1000 > LATE_MS:
                with lock:
                    outcome.late += 1
            conn = _attempt(conn, requests[i], due, outcome, lock, headers)
        return conn

    _clients(base, clients, work)
    # n requests take n slots of 1/rate: the last is due (n - 1)/rate after the first, so
    # counting from the first due time alone would credit a server with more than was offered.
    outcome.seconds = time.perf_counter() - start + 1 / rate
    return outcome


def summarise(name: str, outcome: Outcome) -> dict[str, Any]:
    lat = np.asarray(outcome.latencies_ms) if outcome.latencies_ms else np.zeros(1)
    server_total = [t.get("total_ms", 0.0) for t in outcome.server]
    stage_sums = {s: sum(t.get(s, 0.0) for t in outcome.server) for s in STAGES}
    all_stages = sum(stage_sums.values()) or 1.0
    search_fn = [sum(t.get(s, 0.0) for s in SEARCH_STAGES) for t in outcome.server]
    overhead = [c - s for c, s in zip(outcome.latencies_ms, search_fn, strict=True)]
    answered = len(outcome.latencies_ms)
    return {
        "scenario": name,
        "requests": answered + len(outcome.errors) + outcome.shed,
        "errors": len(outcome.errors),
        "shed": outcome.shed,
        "first_errors": outcome.errors[:3],
        "rps": round(answered / outcome.seconds, 1) if outcome.seconds else 0.0,
        "late": outcome.late,
        "p50_ms": round(float(np.percentile(lat, 50)), 2),
        "p95_ms": round(float(np.percentile(lat, 95)), 2),
        "p99_ms": round(float(np.percentile(lat, 99)), 2),
        "server_total_p50_ms": round(statistics.median(server_total), 2) if server_total else None,
        "server_cpu_ms_per_request": (round(outcome.server_cpu_s * 1000 / answered, 2)
                                      if outcome.server_cpu_s is not None and answered else None),
        "stage_share": {s[:-3]: round(v / all_stages, 3) for s, v in stage_sums.items() if v},
        "search_fn_p50_ms": round(statistics.median(search_fn), 2) if search_fn else None,
        "api_overhead_p50_ms": round(statistics.median(overhead), 2) if overhead else None,
    }


def median_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Per-field medians over repeats of one scenario (errors and late requests are summed)."""
    out = dict(runs[0])
    for key, value in runs[0].items():
        if key in ("errors", "shed", "late", "requests"):
            out[key] = sum(r[key] for r in runs)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            values = [r[key] for r in runs if r[key] is not None]
            out[key] = round(statistics.median(values), 2) if values else None
    shares = [r["stage_share"] for r in runs]
    out["stage_share"] = {k: round(statistics.median(s.get(k, 0.0) for s in shares), 3) for k in shares[0]}
    out["first_errors"] = [e for r in runs for e in r["first_errors"]][:3]
    out["repeats"] = len(runs)
    # Each run's latency too: on a shared machine the spread says as much as the median.
    out["runs"] = {key: [r.get(key) for r in runs] for key in ("p50_ms", "p95_ms", "rps")}
    return out


def in_process(data_dir: Path, model: str | None, plans: dict[str, list[Planned]], n: int) -> dict[str, Any]:
    """p50/p95 of ``Searcher.search`` on the text and hybrid queries, one at a time, in this
    process (no HTTP, no embedding cache), after a warm-up."""
    from encoder import load_encoder
    from indexer import Searcher, Settings, open_store

    settings = Settings.from_env(data_dir=data_dir, **({"model": model} if model else {}))
    store = open_store(settings)
    try:
        encoder = load_encoder(store.info().model_spec or settings.model, settings.device,
                               settings.torch_threads)
        searcher = Searcher(encoder, store, settings)
        out: dict[str, Any] = {}
        for name in ("text", "hybrid_upload"):
            queries = [Query(text=p.text, image=p.image.read_bytes() if p.image else None, k=10)
                       for p in plans[name][:n]]
            for q in queries[:20]:
                searcher.search(q)
            totals = []
            for q in queries:
                t = time.perf_counter()
                searcher.search(q)
                totals.append((time.perf_counter() - t) * 1000)
            out[name] = {"p50_ms": round(float(np.percentile(totals, 50)), 2),
                         "p95_ms": round(float(np.percentile(totals, 95)), 2), "queries": len(totals)}
        return out
    finally:
        store.close()


def verdicts(sustained: list[dict[str, Any]], saturation: list[dict[str, Any]], rate: float) -> list[str]:
    lines = []
    for r in sustained:
        p50, p95 = TARGETS.get(r["scenario"], (None, None))
        checks = [("errors", r["errors"] == 0 and r["shed"] == 0,
                   f"{r['errors']} errors, {r['shed']} shed (503/429) == 0")]
        if p50 is not None:
            checks.append(("p50", r["p50_ms"] <= p50, f"{r['p50_ms']} <= {p50} ms at {rate:g}/s"))
        if p95 is not None:
            checks.append(("p95", r["p95_ms"] <= p95, f"{r['p95_ms']} <= {p95} ms at {rate:g}/s"))
        if r["scenario"] == "text":
            # Sustained: the offered rate was answered (within 3%) and the clients kept to schedule.
            kept = r["rps"] >= 0.97 * min(rate, MIN_RPS) and rate >= MIN_RPS
            checks.append(("rate", kept, f"answered {r['rps']}/s of {rate:g}/s offered, {r['late']} late"))
        for what, ok, detail in checks:
            lines.append(f"{'PASS' if ok else 'FAIL'}  {r['scenario']:<14} {what:<6} {detail}")
    for r in saturation:
        if r["scenario"] == "text":
            ok = r["rps"] >= MIN_RPS and r["errors"] == 0 and r["shed"] == 0
            lines.append(f"{'PASS' if ok else 'FAIL'}  text (saturation) rps    {r['rps']} >= {MIN_RPS}/s")
    return lines


def markdown(report: dict[str, Any]) -> str:
    """The results as README tables."""
    clients, rate = report["clients"], report["rate"]
    base = report.get("in_process") or {}
    lines = [
        f"| scenario | sustained {rate:g}/s: p50 ms | p95 ms | answered/s | errors / shed "
        f"| in-process p50 ms | API overhead p50 ms | server CPU ms/request | time per stage "
        f"| saturation ({clients} clients): req/s | p50 ms |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    saturation = {r["scenario"]: r for r in report["saturation"]}
    for r in report["sustained"]:
        sat = saturation.get(r["scenario"], {})
        shares = ", ".join(f"{k} {v:.0%}" for k, v in r["stage_share"].items() if v >= 0.005)
        own = (base.get(r["scenario"]) or {}).get("p50_ms", "")
        lines.append(
            f"| {r['scenario']} | {r['p50_ms']} | {r['p95_ms']} | {r['rps']} "
            f"| {r['errors']} / {r['shed']} | {own} | {r['api_overhead_p50_ms']} "
            f"| {r['server_cpu_ms_per_request']} | {shares} | {sat.get('rps', '')} "
            f"| {sat.get('p50_ms', '')} |"
        )
    return "\n".join(lines)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def descendant_pids(pid: int) -> list[int]:
    """Every process below ``pid`` (children of any of its threads, recursively), Linux only."""
    found: list[int] = []
    pending = [pid]
    while pending:
        for path in Path(f"/proc/{pending.pop()}/task").glob("*/children"):
            try:
                kids = [int(c) for c in path.read_text().split()]
            except OSError:
                continue
            found.extend(kids)
            pending.extend(kids)
    return found


def server_cpu_seconds(proc: subprocess.Popen | None) -> float | None:
    """User + system CPU of the server's processes below ``proc`` (gunicorn's workers, and the
    store host when there is one; the master only waits), Linux only."""
    if proc is None:
        return None
    total, seen = 0.0, 0
    for pid in descendant_pids(proc.pid):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        seen += 1
    return total if seen else None


def start_server(
    data_dir: Path, model: str | None, redis_url: str, threads: int, workers: int = 0,
    source: Path | None = None,
) -> tuple[subprocess.Popen, str]:
    """``vitrine serve`` on a free port; ``source``: run that checkout's code instead of this one
    (its directory comes first on the import path)."""
    port = _free_port()
    env = {**os.environ, "VITRINE_DATA_DIR": str(Path(data_dir).resolve()), "VITRINE_REDIS_URL": redis_url,
           # The benchmark measures serving, not throttling.
           "VITRINE_RATE_LIMIT": "1000000/minute", "VITRINE_ANON_RATE_LIMIT": "1000000/minute",
           # The storefront's token (storefront_headers) outlives the longest run.
           "VITRINE_ACCESS_TOKEN_TTL": "86400"}
    if model:
        env["VITRINE_MODEL"] = model
    cmd = [sys.executable, "-c", "from cli.main import main; main()", "serve", "--port", str(port),
           "--threads", str(threads), "--workers", str(workers)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, cwd=source)
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


def machine_speed() -> float:
    """Seconds for a 20-million-step Python loop: how fast this (shared, noisy) machine is right
    now, printed with the results so that runs can be compared."""
    start = time.perf_counter()
    total = 0
    for i in range(20_000_000):
        total += i
    return round(time.perf_counter() - start, 2)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--catalog", required=True, type=Path)
    parser.add_argument("--data-dir", type=Path, default=Path("data/bench"))
    parser.add_argument("--model", default=None,
                        help="model spec (default: VITRINE_MODEL or the shipped model)")
    parser.add_argument("--url", default=None, help="use a running server instead of starting one")
    parser.add_argument("--token", default=None,
                        help="with --url: a storefront's access token to send (default: none, so the "
                             "searches are anonymous and served from the anonymous pool only)")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14",
                        help="Redis for the started server (its embedding cache is cleared)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--threads", type=int, default=8, help="gunicorn threads of the started server")
    parser.add_argument("--workers", type=int, default=0,
                        help="gunicorn workers of the started server (0: vitrine serve's default, one "
                             "per core; more than 1: with a store host)")
    parser.add_argument("--rate", type=float, default=MIN_RPS, help="sustained phase: requests/s offered")
    parser.add_argument("--requests", type=int, default=1000, help="sustained phase: requests per scenario")
    parser.add_argument("--saturation-requests", type=int, default=400,
                        help="saturation phase: requests per scenario (0: skip the phase)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each phase; medians are reported")
    parser.add_argument("--in-process", type=int, default=300,
                        help="queries per kind through Searcher.search before the server starts (0: skip)")
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--no-facets", action="store_true", help="ask for no facet counts")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS),
                        help=f"comma-separated subset of {', '.join(SCENARIOS)}")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    parser.add_argument("--markdown", action="store_true", help="also print README tables")
    args = parser.parse_args(argv)
    scenarios = tuple(n for n in SCENARIOS if n in args.scenarios.split(","))
    unknown = set(args.scenarios.split(",")) - set(SCENARIOS)
    if unknown or not scenarios:
        parser.error(f"--scenarios takes a subset of {', '.join(SCENARIOS)}")

    speed_before = machine_speed()
    per_run = args.requests + args.saturation_requests
    plans = build_plans(args.catalog, args.warmup + args.repeats * per_run, args.seed, not args.no_facets)
    requests = {k: [p.request for p in v] for k, v in plans.items()}
    baseline = None
    if args.url is None and args.in_process:
        baseline = in_process(args.data_dir, args.model, plans, args.in_process)
        print(json.dumps({"in_process": baseline}), flush=True)
    proc = None
    base = args.url
    if base is None:
        proc, base = start_server(args.data_dir, args.model, args.redis_url, args.threads,
                                  args.workers)
    # Storefronts send a token; anonymous searches share a pool of VITRINE_ANON_IN_FLIGHT slots.
    headers = {"Authorization": f"Bearer {args.token}"} if args.token else {}
    clear: Callable[[], None] = lambda: None  # noqa: E731
    if args.url is None:
        headers = storefront_headers(base, args.redis_url)
        r = redis.Redis.from_url(args.redis_url)
        clear = lambda: [r.delete(k) for k in r.scan_iter("vitrine:*emb:*")] and None  # noqa: E731
    runs: dict[tuple[str, str], list[dict[str, Any]]] = {}
    try:
        for name in scenarios:
            run(base, requests[name][: args.warmup], args.clients, headers)  # threads, allocator, the cache
        for repeat in range(args.repeats):
            for name in scenarios:
                if name == "text":
                    clear()  # text queries are distinct, and must miss the cache every time
                offset = args.warmup + repeat * per_run
                sustained = requests[name][offset : offset + args.requests]
                saturate = requests[name][offset + args.requests : offset + per_run]
                phases: list[tuple[str, Callable[[], Outcome]]] = [
                    ("sustained", lambda s=sustained: paced(base, s, args.clients, args.rate, headers))]
                if saturate:
                    phases.append(("saturation", lambda s=saturate: run(base, s, args.clients, headers)))
                for phase, go in phases:
                    cpu = server_cpu_seconds(proc)
                    outcome = go()
                    after = server_cpu_seconds(proc)
                    outcome.server_cpu_s = None if cpu is None or after is None else after - cpu
                    result = summarise(name, outcome)
                    runs.setdefault((phase, name), []).append(result)
                    print(json.dumps({"phase": phase, "repeat": repeat, **result}), flush=True)
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
    sustained_results = [median_of(runs[("sustained", n)]) for n in scenarios]
    saturation_results = [median_of(runs[("saturation", n)]) for n in scenarios if ("saturation", n) in runs]
    report = {
        "clients": args.clients, "rate": args.rate, "repeats": args.repeats, "workers": args.workers,
        "python_loop_s": {"before": speed_before, "after": machine_speed()},
        "requests_per_phase": {"sustained": args.requests, "saturation": args.saturation_requests},
        "in_process": baseline, "sustained": sustained_results, "saturation": saturation_results,
    }
    if baseline:
        report["api_overhead_p50_ms"] = {
            name: round(next(r for r in sustained_results if r["scenario"] == name)["p50_ms"]
                        - baseline[name]["p50_ms"], 2)
            for name in baseline if name in scenarios
        }
    report["verdicts"] = verdicts(sustained_results, saturation_results, args.rate)
    print("\n".join(report["verdicts"]))
    if args.markdown:
        print(markdown(report))
    write_json(args.json, report)
    return report


if __name__ == "__main__":
    main()
