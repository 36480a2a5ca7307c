"""Feed sync, measured: the four shared storefront feeds synced and indexed against a local
image server, and the 6,000-row feed behind its real (unreachable) image hosts while a
100-product sync with reachable images is submitted during it.

    python -m benchmarks.feeds [--model SPEC] [--out results.json]

Runs on its own redis-server (a free port) and fresh Qdrant Edge stores. The image server
answers every path with a photo of the sample catalog (chosen by a hash of the URL), so the
feeds are read unchanged: the fetcher sends each image URL's path to the local server. Without
``--model``, a tiny random open_clip model is used: the figures measure the pipeline (parse,
queue, fetch, store), not a model's speed.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import hashlib
import http.server
import io
import json
import logging
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import redis
from rq.exceptions import StopRequested

from benchmarks.local_redis import private_redis
from encoder import Encoder
from indexer import EdgeStore, Settings
from indexer.media import FetchPolicy, fetch_image_bytes
from settings.queue import QueueSettings
from workers import Ingestion, build_context, set_context
from workers.sync import sync_feed
from workers.worker import ThreadWorker, make_worker

# ../shared beside the repository, as the README lays it out (read in place).
SHARED = Path(__file__).resolve().parents[2] / "shared"
FEEDS = SHARED / "feeds"
CATALOG = SHARED / "catalog"
NAMES = ("merchant-center-dropship.tsv", "merchant-center-variants.csv", "merchant-center-apparel.xml",
         "shopify-fashion-products.json")


def start_image_server(photos: list[Path]) -> str:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            index = int(hashlib.sha256(self.path.encode()).hexdigest(), 16) % len(photos)
            data = photos[index].read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}"


def local_fetcher(base: str) -> Any:
    """Fetch each image URL's path (and host, to keep URLs distinct) from the local server."""
    policy = FetchPolicy(timeout_s=5.0, allowed=lambda address: True)

    def fetch(url: str) -> bytes:
        parts = urlsplit(url)
        return fetch_image_bytes(f"{base}/{parts.hostname}{parts.path}?{parts.query}", policy)

    return fetch


def make_context(root: Path, encoder: Encoder, url: str, fetch: Any, **queue: Any) -> Any:
    settings = QueueSettings(redis_url=url, media_dir=root / "media", **queue)
    connection = redis.Redis.from_url(url)
    connection.flushdb()
    ctx = build_context(Settings(data_dir=root / "data"), settings, encoder=encoder,
                        store=EdgeStore(root / "data"), connection=connection, fetch=fetch)
    set_context(ctx)
    return ctx


def sync_one(name: str, root: Path, encoder: Encoder, url: str, base: str) -> dict[str, Any]:
    ctx = make_context(root / name, encoder, url, local_fetcher(base))
    started = time.perf_counter()
    report = sync_feed(ctx.redis, str(FEEDS / name), ctx.queue_settings)
    make_worker(ctx).work(burst=True, with_scheduler=False, logging_level="ERROR")
    seconds = time.perf_counter() - started
    failing = Ingestion(ctx.redis, ctx.queue_settings).failing()
    result = {
        "feed": name, "rows": report.rows, "products": report.products, "variants": report.variants,
        "rejected": [str(e) for e in report.errors], "duplicates": len(report.duplicates),
        "currencies": report.currencies, "searchable": ctx.store.count(), "failed": len(failing),
        "seconds": round(seconds, 1),
    }
    ctx.store.close()
    return result


def reachable_feed(path: Path, count: int) -> Path:
    """A Merchant Center TSV of ``count`` sample-catalog products (reachable images)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter="\t")
    writer.writerow(["id", "title", "image_link", "price", "availability"])
    with (CATALOG / "styles.csv").open(encoding="utf-8") as f:
        for i, row in zip(range(count), csv.DictReader(f), strict=False):
            title = row.get("productDisplayName") or f"Product {i}"
            image = f"https://shop.example/{row['id']}.jpg"
            writer.writerow([f"R{row['id']}", title, image, "19.99 USD", "in stock"])
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def dead_hosts(root: Path, encoder: Encoder, url: str, base: str) -> dict[str, Any]:
    """The 6,000-row feed behind its real hosts, one worker; a reachable 100-product sync meanwhile."""
    real = FetchPolicy(timeout_s=5.0)
    local = local_fetcher(base)

    def fetch(u: str) -> bytes:  # the reachable feed's host is served locally; every other is real
        return local(u) if urlsplit(u).hostname == "shop.example" else fetch_image_bytes(u, real)

    ctx = make_context(root / "dead", encoder, url, fetch)
    worker = make_worker(ctx, ThreadWorker)
    threading.Thread(target=worker.work, kwargs={"with_scheduler": True, "logging_level": "ERROR"},
                     daemon=True).start()
    started = time.perf_counter()
    dead = sync_feed(ctx.redis, str(FEEDS / NAMES[0]), ctx.queue_settings)
    time.sleep(2)
    small_at = time.perf_counter()
    small = sync_feed(ctx.redis, str(reachable_feed(root / "reachable.tsv", 100)), ctx.queue_settings)
    small_done = dead_done = None
    ingestion = Ingestion(ctx.redis, ctx.queue_settings)
    while time.perf_counter() - started < 900 and (small_done is None or dead_done is None):
        time.sleep(0.5)
        if small_done is None and all(ctx.submissions.done_seq(p) > 0 for p in small.new):
            small_done = time.perf_counter() - small_at
        counts = ingestion.counts()
        failing = {f["product_id"] for f in ingestion.failing(limit=100_000)}
        settled = counts["queued"] == 0 and counts["started"] == 0 and ctx.redis.zcard(
            f"rq:scheduled:{ctx.queue_settings.queue}") == 0
        if dead_done is None and settled and len(failing & set(dead.new)) == len(dead.new):
            dead_done = time.perf_counter() - started
    reasons = [f["reason"] for f in ingestion.failing(limit=3)]
    with contextlib.suppress(StopRequested):  # raised to unwind the caller, here the benchmark
        worker.request_stop(0, None)
    ctx.store.close()
    return {"dead_products": len(dead.new), "all_failed_with_reason_s": dead_done and round(dead_done, 1),
            "reachable_products": len(small.new), "reachable_indexed_s": small_done and round(small_done, 1),
            "sample_reasons": reasons}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", help="model spec (default: a tiny random open_clip model)")
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    parser.add_argument("--only", choices=("feeds", "dead-hosts"), help="run one of the two parts")
    args = parser.parse_args()
    logging.getLogger("rq.worker").setLevel(logging.CRITICAL)  # each failing job logs a traceback
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        if args.model:
            encoder = Encoder.load(args.model, device="cpu")
        else:
            from tests.conftest import make_tiny_model

            encoder = Encoder.load(str(make_tiny_model(root / "tiny-clip")), device="cpu")
        with private_redis() as url:
            base = start_image_server(sorted((CATALOG / "images").glob("*.jpg"))[:500])
            results: dict[str, Any] = {}
            if args.only != "dead-hosts":
                results["feeds"] = [sync_one(n, root, encoder, url, base) for n in NAMES]
                for row in results["feeds"]:
                    print(json.dumps(row)[:600])
            if args.only != "feeds":
                results["dead_hosts"] = dead_hosts(root, encoder, url, base)
                print(json.dumps(results["dead_hosts"]))
    if args.out:
        args.out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
