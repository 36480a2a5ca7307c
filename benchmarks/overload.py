"""Open-loop load at 1x and 2x the measured capacity, and a Redis outage during load.

    python -m benchmarks.overload --catalog ../shared/catalog --data-dir data/bench
        [--model SPEC] [--seconds 20] [--json OUT]

Runs ``vitrine serve`` (gunicorn) on an indexed data directory, with a private Redis on
a free loopback port (so that it can be stopped), and text searches that miss the
embedding cache.

1. Capacity: after a warm-up (the server fills its vector cache in the background at start),
   ``--clients`` closed-loop clients; capacity = their throughput. The default, 16, is what
   the default server runs at once (2 workers x VITRINE_MAX_IN_FLIGHT 8): fewer leave it
   idle between requests (micro-batching makes each search cheaper the more arrive
   together), more only queue or get shed.
2. Open loop (Poisson arrivals, latency measured from each request's scheduled time, so
   queueing in the client counts): 1x capacity, 2x capacity, then 0.5x (recovery), each
   for ``--seconds``. Reported per phase: p50/p95/p99 of answered requests, shed rate
   (503/429 with Retry-After), error rate (anything else), throughput.
3. Redis outage: 0.8x capacity for 3 x ``--seconds``; Redis is killed after the first
   third and restarted after the second. Reported per third, as above.

With ``--attack`` (instead of 2 and 3): storefront traffic with a token at 0.5x its capacity
beside 30 slow-body and 8 slow-image anonymous attackers (benchmarks/overload_attack.py).
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.api_load import run, start_server, storefront_headers, text_requests
from benchmarks.results import write_json

SENDERS = 64


@dataclass
class Phase:
    name: str
    rate: float
    statuses: list[int] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)  # answered (200) only
    retry_after_missing: int = 0
    reconnects: int = 0
    seconds: float = 0.0

    def summary(self) -> dict[str, Any]:
        n = len(self.statuses) or 1
        ok = np.asarray(self.latencies_ms) if self.latencies_ms else np.zeros(1)
        shed = sum(1 for s in self.statuses if s in (429, 503))
        errors = sum(1 for s in self.statuses if s not in (200, 429, 503))
        return {
            "phase": self.name,
            "offered_rps": round(self.rate, 1),
            "requests": len(self.statuses),
            "answered_rps": round(len(self.latencies_ms) / self.seconds, 1) if self.seconds else 0.0,
            "p50_ms": round(float(np.percentile(ok, 50)), 1),
            "p95_ms": round(float(np.percentile(ok, 95)), 1),
            "p99_ms": round(float(np.percentile(ok, 99)), 1),
            "shed_rate": round(shed / n, 4),
            "error_rate": round(errors / n, 4),
            "shed_without_retry_after": self.retry_after_missing,
            "reconnects": self.reconnects,
            "statuses": {str(code): self.statuses.count(code) for code in sorted(set(self.statuses))},
        }


def open_loop(base: str, bodies: list[bytes], rate: float, seconds: float, name: str, seed: int,
              headers: dict[str, str] | None = None) -> Phase:
    """Poisson arrivals at ``rate``/s for ``seconds``, sent by a pool of keep-alive senders;
    arrival i sends ``bodies[i]`` (with ``headers``, e.g. a storefront's token)."""
    rng = random.Random(seed)
    arrivals, t = [], 0.0
    while t < seconds:
        t += rng.expovariate(rate)
        arrivals.append(t)
    if len(arrivals) > len(bodies):
        raise ValueError(f"{len(arrivals)} arrivals but only {len(bodies)} distinct requests")
    phase = Phase(name, rate)
    host, port = base.removeprefix("http://").split(":")
    lock = threading.Lock()
    start = time.perf_counter() + 0.2
    queue = list(reversed(list(enumerate(arrivals))))

    def sender() -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        while True:
            with lock:
                if not queue:
                    break
                i, at = queue.pop()
            delay = start + at - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            status, missing, fresh = 599, False, False
            for _ in range(2):  # 599 stays only if a fresh connection fails too
                try:
                    conn.request(
                        "POST",
                        "/api/v1/search",
                        body=bodies[i],
                        headers={"Content-Type": "application/json", **(headers or {})},
                    )
                    response = conn.getresponse()
                    response.read()
                    status = response.status
                    missing = status in (429, 503) and not response.getheader("Retry-After")
                    break
                except (OSError, http.client.HTTPException):
                    # A keep-alive connection the server closed while idle fails on reuse; like any
                    # HTTP client, reconnect and send once more before counting a failure.
                    conn.close()
                    conn = http.client.HTTPConnection(host, int(port), timeout=30)
                    if fresh:
                        break
                    fresh = True
            if fresh:
                with lock:
                    phase.reconnects += 1
            ms = (time.perf_counter() - (start + at)) * 1000  # from the scheduled time
            with lock:
                phase.statuses.append(status)
                phase.retry_after_missing += missing
                if status == 200:
                    phase.latencies_ms.append(ms)
        conn.close()

    threads = [threading.Thread(target=sender) for _ in range(SENDERS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    phase.seconds = time.perf_counter() - start
    return phase


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivateRedis:
    """A redis-server of our own, so that the outage test can stop it."""

    def __init__(self, workdir: Path) -> None:
        self.port = _free_port()
        self.workdir = workdir
        self.proc: subprocess.Popen | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server") or "redis-server"
        self.proc = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
        )
        time.sleep(0.5)

    def kill(self) -> None:
        if self.proc:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--catalog", required=True, type=Path)
    parser.add_argument("--data-dir", required=True, type=Path, help="an indexed data directory")
    parser.add_argument("--model", default=None)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--threads", type=int, default=32)
    parser.add_argument("--clients", type=int, default=16, help="closed-loop clients of the capacity phase")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--attack", action="store_true", help="the attacker phase only (issue 20)")
    args = parser.parse_args(argv)

    # Every request a distinct text, in every phase: a repeated one would be answered from the
    # embedding cache and make the later phases cheaper than the capacity they are scaled to.
    cursor = 300 + max(400, int(30 * args.seconds))
    requests = text_requests(args.catalog, cursor, args.seed, facets=True)
    if args.attack:
        from benchmarks.overload_attack import run_attack

        attacked = run_attack(args, requests, cursor)
        print(json.dumps(attacked, indent=2))
        write_json(args.json, attacked)
        return attacked
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        redis = PrivateRedis(Path(tmp))
        redis.start()
        server, base = start_server(args.data_dir, args.model, redis.url, args.threads)
        try:
            # A storefront's traffic, with its token: anonymous requests have a small pool of their own.
            headers = storefront_headers(base, redis.url)
            warm = run(base, requests[:300], 8, headers)
            closed = run(base, requests[300:cursor], args.clients, headers)
            capacity = len(closed.latencies_ms) / closed.seconds
            # The phases below offer 5.9 x capacity x seconds requests in all (Poisson: a few more).
            total = cursor + int(7.5 * capacity * args.seconds)
            bodies = [body for _, body, _ in text_requests(args.catalog, total, args.seed, facets=True)]
            results["capacity_rps"] = round(capacity, 1)
            results["capacity_clients"] = args.clients
            results["warmup_errors"] = len(warm.errors)

            def phase(name: str, factor: float, seed: int) -> Phase:
                nonlocal cursor
                done = open_loop(base, bodies[cursor:], capacity * factor, args.seconds, name, seed, headers)
                cursor += len(done.statuses)
                return done

            phases = [phase(name, factor, args.seed + i)
                      for i, (name, factor) in enumerate([("1x", 1.0), ("2x", 2.0), ("recovery 0.5x", 0.5)])]
            results["overload"] = [p.summary() for p in phases]

            outage: list[Phase] = []
            for i, name in enumerate(["redis up", "redis down", "redis restarted"]):
                if name == "redis down":
                    redis.kill()
                elif name == "redis restarted":
                    redis.start()
                outage.append(phase(name, 0.8, args.seed + 10 + i))
            results["redis_outage"] = [p.summary() for p in outage]
        finally:
            server.send_signal(signal.SIGTERM)
            results["server_exit_code"] = server.wait(timeout=60)
            redis.kill()
    print(json.dumps(results, indent=2))
    print("\n| phase | offered req/s | answered req/s | p50 ms | p95 ms | p99 ms | shed | errors |")
    print("|---|---|---|---|---|---|---|---|")
    for row in results["overload"] + results["redis_outage"]:
        print(
            f"| {row['phase']} | {row['offered_rps']} | {row['answered_rps']} | {row['p50_ms']} | "
            f"{row['p95_ms']} | {row['p99_ms']} | {row['shed_rate']:.1%} | {row['error_rate']:.1%} |"
        )
    write_json(args.json, results)
    return results


if __name__ == "__main__":
    main()
