"""``vitrine worker``, ``vitrine ingest`` and ``vitrine jobs``: the ingestion queue from the shell."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cli.group import cli, fail
from encoder.errors import EncoderError
from indexer.errors import IndexerError
from settings.core import Settings
from settings.queue import QueueSettings
from settings.redact import masked_url

if TYPE_CHECKING:
    import redis

    from indexer.schema import Product
    from workers import Ingestion

CHUNK = 500  # products enqueued per Redis round trip batch, so progress shows early


def _queue_settings() -> QueueSettings:
    try:
        return QueueSettings.from_env()
    except ValueError as e:
        raise fail(e) from e


def _connect(settings: QueueSettings) -> redis.Redis:
    import redis  # here: `vitrine --help` does not need it

    connection = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=3)
    try:
        connection.ping()
    except redis.RedisError as e:
        raise click.ClickException(
            f"Redis at {masked_url(settings.redis_url)} does not answer ({e}); "
            "start it or set VITRINE_REDIS_URL"
        ) from e
    return connection


def _ingestion(queue_settings: QueueSettings, connection: redis.Redis | None = None) -> Ingestion:
    # Imported here: rq and the worker code are not needed for `--help`.
    from workers import Ingestion

    return Ingestion(connection or _connect(queue_settings), queue_settings)


@cli.command()
@click.option("--burst", is_flag=True, help="Exit once the queue is empty.")
@click.option("--threads", default=1, show_default=True, type=click.IntRange(1, 16),
              help="Workers in this process, sharing one loaded model and store.")
@click.pass_obj
def worker(settings: Settings, burst: bool, threads: int) -> None:
    """Run an ingestion worker (loads the model once, embeds waiting products in batches).

    With the embedded store, run one worker process (with --threads for more workers):
    the store belongs to one process at a time. With QDRANT_URL, run as many as you like."""
    from workers import build_context, run_worker

    queue_settings = _queue_settings()
    connection = _connect(queue_settings)
    try:
        context = build_context(settings, queue_settings, connection=connection)
    except (EncoderError, IndexerError) as e:
        raise fail(e) from e
    from workers import start_thread_worker

    extra = [start_thread_worker(context)[1] for _ in range(threads - 1)]
    try:
        run_worker(context, burst=burst, with_scheduler=not burst)
    finally:
        for w in extra:
            w.request_stop(None, None)  # rq's signal-handler signature: (signum, frame)
        context.index.close()


def _into_media(products: list[Product], root: Path, media_dir: Path) -> tuple[list[Product], list[str]]:
    """The workers read local photos only from the media dir: copy each product's photo there
    (by content hash) from inside the catalog folder; products whose photo is elsewhere are
    skipped with the reason."""
    from indexer.media_files import LocalImageRefused, import_catalog_image, is_url

    ready, problems = [], []
    for product in products:
        if is_url(product.image):
            ready.append(product)
            continue
        try:
            ready.append(replace(product, image=import_catalog_image(Path(product.image), root, media_dir)))
        except (LocalImageRefused, OSError) as e:
            problems.append(f"product {product.id}: {e}")
    return ready, problems


@cli.command()
@click.option("--catalog", required=True, type=click.Path(path_type=Path), help="Catalog folder or file.")
@click.option("--limit", type=click.IntRange(min=1), help="Enqueue only the first N valid products.")
@click.option("--no-wait", is_flag=True, help="Return once enqueued instead of following the queue.")
@click.option("--timeout", default=3600, show_default=True, help="Seconds to follow the queue at most.")
def ingest(catalog: Path, limit: int | None, no_wait: bool, timeout: int) -> None:
    """Enqueue a catalog for the workers and show the queue draining."""
    from tqdm import tqdm

    from indexer.catalog import CatalogError, read_catalog

    queue_settings = _queue_settings()
    connection = _connect(queue_settings)
    try:
        report = read_catalog(catalog)
    except CatalogError as e:
        raise fail(e) from e
    products = report.products[:limit] if limit else report.products
    ingestion = _ingestion(queue_settings, connection)
    job_ids: list[str] = []
    skipped = [str(err) for err in report.errors]
    root = catalog if catalog.is_dir() else catalog.parent
    with tqdm(total=len(products), unit="product", desc="enqueueing", file=sys.stderr) as bar:
        for start in range(0, len(products), CHUNK):
            chunk, problems = _into_media(products[start : start + CHUNK], root, queue_settings.media_dir)
            skipped += problems
            job_ids += [job.id for job in ingestion.enqueue_many(chunk)] if chunk else []
            bar.update(len(chunk) + len(problems))
    for err in skipped[:20]:
        click.echo(f"  skipped {err}")
    enqueued = len(products) - (len(skipped) - len(report.errors))
    click.echo(f"enqueued {enqueued} products in {len(job_ids)} jobs, skipped {len(skipped)} rows")
    if no_wait:
        return
    started = time.monotonic()
    pending = set(job_ids)
    failed = 0
    with tqdm(total=len(job_ids), unit="product", desc="indexed", file=sys.stderr) as bar:
        while pending and time.monotonic() - started < timeout:
            done = set()
            for job_id in list(pending)[:2000]:
                status = ingestion.job_status(job_id)
                if status is None or status["status"] in ("finished", "failed"):
                    done.add(job_id)
                    failed += bool(status and status["status"] == "failed")
            pending -= done
            bar.update(len(done))
            if pending:
                time.sleep(0.5)
    elapsed = time.monotonic() - started
    click.echo(
        f"indexed {len(job_ids) - len(pending) - failed}, failed {failed}, still queued {len(pending)} "
        f"after {elapsed:.1f} s; `vitrine jobs --failed` lists failures"
    )


@cli.command()
@click.option("--failed", "show_failed", is_flag=True, help="List failed jobs with their reasons.")
@click.option("--retry", "retry_ids", multiple=True, metavar="JOB_ID", help="Re-queue a failed job.")
@click.option("--retry-all", is_flag=True, help="Re-queue every failed job.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def jobs(show_failed: bool, retry_ids: tuple[str, ...], retry_all: bool, as_json: bool) -> None:
    """Show the ingestion queue: queued, running and failed jobs."""
    queue_settings = _queue_settings()
    ingestion = _ingestion(queue_settings)
    failed = ingestion.failed(limit=10_000) if (show_failed or retry_all) else []
    targets = [f["id"] for f in failed] if retry_all else list(retry_ids)
    retried = [job_id for job_id in targets if ingestion.retry(job_id)]
    missing = sorted(set(targets) - set(retried))
    data: dict[str, Any] = {"counts": ingestion.counts(), "failed": failed if show_failed else [],
                            "failing": ingestion.failing() if show_failed else [], "retried": retried}
    if as_json:
        click.echo(json.dumps(data, indent=2))
    else:
        click.echo(" ".join(f"{k}: {v}" for k, v in data["counts"].items()))
        for f in data["failed"]:
            click.echo(f"  {f['id']}  products {', '.join(f['product_ids'][:5])}: {f.get('reason')}")
        for f in data["failing"]:
            click.echo(f"  product {f['product_id']} (version {f['seq']}) failed: {f['reason']}")
        for job_id in retried:
            click.echo(f"  re-queued {job_id}")
    if missing:
        raise click.ClickException(f"not in the failed registry: {', '.join(missing)}")


@cli.command()
@click.argument("feed")
@click.option(
    "--every",
    type=click.IntRange(min=60),
    metavar="SECONDS",
    help="Also schedule a sync of this feed every SECONDS (run by the workers).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def sync(feed: str, every: int | None, as_json: bool) -> None:
    """Sync a storefront FEED (Merchant Center CSV/TSV or Shopify products.json; file or URL):
    enqueue new and changed products, and deletions for removed ones."""
    from workers.feed_report import report_table
    from workers.feed_source import FeedSourceError
    from workers.feeds import FeedError
    from workers.sync import schedule_sync, sync_feed

    queue_settings = _queue_settings()
    connection = _connect(queue_settings)
    try:
        report = sync_feed(connection, feed, queue_settings)
    except (FeedError, FeedSourceError, OSError, ValueError) as e:
        raise fail(e) from e
    scheduled = schedule_sync(connection, queue_settings, feed, every) if every else None
    if as_json:
        data = {
            "new": report.new,
            "changed": report.changed,
            "removed": report.removed,
            "unchanged": report.unchanged,
            "waiting": report.waiting,
            "retried": [{"product_id": pid, "reason": why} for pid, why in report.retried],
            "errors": [str(e) for e in report.errors],
            "rows": report.rows, "products": report.products, "variants": report.variants,
            "duplicates": [str(e) for e in report.duplicates],
            "currencies": report.currencies,
            "jobs": report.jobs,
            "scheduled_job": scheduled,
        }
        click.echo(json.dumps(data, indent=2))
        return
    click.echo(report_table(report))
    if scheduled:
        click.echo(f"next sync scheduled every {every} s (job {scheduled})")


@cli.command()
@click.option("--model", "spec", required=True, help="Model spec of the new model (see VITRINE_MODEL).")
@click.option(
    "--queue",
    "queued",
    is_flag=True,
    help="Run it on the worker that owns the store (use while the API is serving the embedded store).",
)
@click.pass_obj
def reindex(settings: Settings, spec: str, queued: bool) -> None:
    """Re-embed every product with another model into a new collection, then switch to it atomically.

    The current collection keeps serving until the switch and is kept afterwards for rollback."""
    from tqdm import tqdm

    from cli.group import loadable_spec
    from encoder import load_encoder
    from indexer import open_store
    from indexer.live import LiveIndex
    from indexer.reindex import reindex as run_reindex
    from workers.context import default_fetcher
    from workers.jobs import reindex_collection

    spec = loadable_spec(spec)
    queue_settings = _queue_settings()
    if queued:
        from rq import Queue

        from workers.serializer import SERIALIZER

        queue = Queue(queue_settings.queue, connection=_connect(queue_settings), serializer=SERIALIZER)
        job = queue.enqueue(
            reindex_collection, spec, job_timeout=24 * 3600, description=f"re-index with {spec}"
        )
        click.echo(f"queued re-index job {job.id}; follow it with `vitrine jobs`")
        return
    try:
        new_encoder = load_encoder(spec, settings.device, settings.torch_threads)
        store = open_store(settings)
        info = store.info()
        old_encoder = load_encoder(info.model_spec or settings.model, settings.device, settings.torch_threads)
        live = LiveIndex(settings, old_encoder, store, check_every_s=-1)
        with tqdm(total=info.points, unit="product", desc="re-indexing", file=sys.stderr) as bar:
            report = run_reindex(
                live, new_encoder, spec, fetch=default_fetcher(queue_settings), progress=bar.update
            )
        live.close()
    except (EncoderError, IndexerError) as e:
        raise fail(e) from e
    click.echo(
        f"re-indexed {report.copied} products ({report.caught_up} caught up, {len(report.skipped)} skipped) "
        f"from {report.source} into {report.target} with {report.model} in {report.seconds:.1f} s; "
        f"{settings.collection} now points at {report.target}"
    )
    for line in report.skipped[:20]:
        click.echo(f"  skipped {line}")
