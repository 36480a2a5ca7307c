"""Serving settings side by side: how many searches one API process should run at once, how
many worker processes to run, and Python's switch interval.

    python -m benchmarks.admission_ab --catalog ../shared/catalog --data-dir data/bench
        [--in-flight 8,2] [--workers 1,1] [--switch-ms 1,1] [--env K=V,K=V --env ...]
        [--source DIR,DIR] [--rounds 4] [--requests 300] [--json OUT]

Copies the indexed data directory (the embedded store belongs to one process), starts one
``vitrine serve`` per ``--in-flight`` value (VITRINE_MAX_IN_FLIGHT, with a wait long
enough that nothing is shed) with the matching ``--workers`` count (more than one: the
workers search through a store host), ``--switch-ms`` (VITRINE_GIL_SWITCH_MS) and ``--env``
(one per server, for any other setting, e.g. ``VITRINE_TEXT_INT8=0``), running the code of
``--source`` (a checkout per server, e.g. a ``git worktree`` of an earlier commit; empty:
this one), and
sends the same kind of load to each in turn, round after round: 8 closed-loop clients,
``--requests`` cached text searches, then as many new text searches. Alternating rounds
put both servers under the same machine conditions, which on a shared 2-core machine drift
by up to 2x within minutes. Reports, per round and as medians: searches per second and the
server's CPU per search.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.api_load import build_requests, run, server_cpu_seconds, start_server, storefront_headers
from benchmarks.results import write_json

KINDS = ("text_cached", "text")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--catalog", required=True, type=Path)
    parser.add_argument("--data-dir", type=Path, default=Path("data/bench"))
    parser.add_argument("--model", default=None)
    parser.add_argument("--in-flight", default="8,2", help="VITRINE_MAX_IN_FLIGHT values to compare")
    parser.add_argument("--workers", default=None,
                        help="gunicorn workers of each server, one per --in-flight value (default 1 each)")
    parser.add_argument("--switch-ms", default=None,
                        help="VITRINE_GIL_SWITCH_MS of each server, one per --in-flight value "
                             "(default: the server's own)")
    parser.add_argument("--env", action="append", default=None,
                        help="extra environment of one server, K=V[,K=V...]; give it once per "
                             "--in-flight value (an empty string for none)")
    parser.add_argument("--source", default=None,
                        help="checkout whose code each server runs, one per --in-flight value "
                             "(comma-separated; empty: this checkout)")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--requests", type=int, default=300, help="per kind, round and server")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=300, help="new text searches per server first")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)

    flights = [int(v) for v in args.in_flight.split(",")]
    workers = [int(v) for v in args.workers.split(",")] if args.workers else [1] * len(flights)
    switches = args.switch_ms.split(",") if args.switch_ms else [""] * len(flights)
    envs = args.env or [""] * len(flights)
    sources = args.source.split(",") if args.source else [""] * len(flights)
    if not len(workers) == len(switches) == len(envs) == len(sources) == len(flights):
        parser.error("give one --workers count, --switch-ms value, --env and --source per --in-flight value")
    try:
        extras = [dict(kv.split("=", 1) for kv in e.split(",") if kv) for e in envs]
    except ValueError:
        parser.error("--env takes K=V pairs separated by commas")
    values = [(w, f, s, e + (f" source={src}" if src else "")) for w, f, s, e, src
              in zip(workers, flights, switches, envs, sources, strict=True)]
    total = 50 + args.rounds * len(values) * args.requests + args.warmup
    requests = build_requests(args.catalog, total, args.seed, facets=True)
    scratch = Path(tempfile.mkdtemp(prefix="vitrine-ab-"))
    servers: dict[tuple[int, int, str, str], tuple[Any, str]] = {}
    names = {"VITRINE_MAX_IN_FLIGHT", "VITRINE_ADMISSION_WAIT", "VITRINE_GIL_SWITCH_MS"}
    saved = {k: os.environ.get(k) for k in names.union(*extras)}
    rows: list[dict[str, Any]] = []
    tokens: dict[str, dict[str, str]] = {}
    try:
        for n, (count, flight, switch, env) in enumerate(values):
            data_dir = args.data_dir if n == 0 else scratch / f"data{n}"
            if n:
                shutil.copytree(args.data_dir, data_dir)
            os.environ["VITRINE_MAX_IN_FLIGHT"] = str(flight)
            os.environ["VITRINE_ADMISSION_WAIT"] = "5"  # queue, never shed: compare speed only
            os.environ["VITRINE_GIL_SWITCH_MS"] = switch  # empty: the server's default
            for key in set().union(*extras):
                os.environ.pop(key, None)  # another server's extra setting
            os.environ.update(extras[n])
            # Separate Redis databases, so that neither server finds the other's cached vectors.
            redis_url = f"redis://127.0.0.1:6379/{9 - n}"
            servers[count, flight, switch, env] = start_server(
                data_dir, args.model, redis_url, 8, count, Path(sources[n]).resolve() if sources[n] else None)
            # Storefront traffic, with a token: anonymous searches have a small pool of their own.
            tokens[servers[count, flight, switch, env][1]] = storefront_headers(
                servers[count, flight, switch, env][1], redis_url)
        for _, base in servers.values():
            run(base, requests["text_cached"][:50], args.clients, tokens[base])
            # New searches too, from the end of the list: each worker fills its own vector cache.
            run(base, requests["text"][total - args.warmup:], args.clients, tokens[base])
        offset = 50
        for rnd in range(args.rounds):
            for kind in KINDS:
                for value, (proc, base) in servers.items():
                    batch = requests[kind][offset : offset + args.requests]
                    offset += args.requests if kind == "text" else 0
                    before = server_cpu_seconds(proc)
                    outcome = run(base, batch, args.clients, tokens[base])
                    after = server_cpu_seconds(proc)
                    answered = len(outcome.latencies_ms) or 1
                    row = {"round": rnd, "kind": kind, "workers": value[0], "in_flight": value[1],
                           "switch_ms": value[2], "env": value[3],
                           "rps": round(len(outcome.latencies_ms) / outcome.seconds, 1),
                           "errors": len(outcome.errors),
                           "cpu_ms_per_search": (round((after - before) * 1000 / answered, 2)
                                                 if before is not None and after is not None else None)}
                    rows.append(row)
                    print(row, flush=True)
    finally:
        for proc, _ in servers.values():
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
        shutil.rmtree(scratch, ignore_errors=True)
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old
    summary = []
    for kind in KINDS:
        for value in values:
            mine = [r for r in rows
                    if r["kind"] == kind
                    and (r["workers"], r["in_flight"], r["switch_ms"], r["env"]) == value]
            cpu = [r["cpu_ms_per_search"] for r in mine if r["cpu_ms_per_search"] is not None]
            summary.append({"kind": kind, "workers": value[0], "in_flight": value[1], "switch_ms": value[2],
                            "env": value[3],
                            "rps_median": statistics.median(r["rps"] for r in mine),
                            "cpu_ms_per_search_median": round(statistics.median(cpu), 2) if cpu else None,
                            "errors": sum(r["errors"] for r in mine)})
    print("\n| searches | workers | in flight | switch ms | settings | req/s (median) "
          "| server CPU ms/search (median) | errors |")
    print("|---|---|---|---|---|---|---|---|")
    for s in summary:
        print(f"| {s['kind']} | {s['workers']} | {s['in_flight']} | {s['switch_ms'] or 'default'} "
              f"| {s['env'] or 'default'} | {s['rps_median']} "
              f"| {s['cpu_ms_per_search_median']} | {s['errors']} |")
    report = {"clients": args.clients, "requests": args.requests, "rounds": rows, "summary": summary}
    write_json(args.json, report)
    return report


if __name__ == "__main__":
    main()
