"""The ingestion pipeline against real Redis and Qdrant Edge: batching, poison, versions, tagging."""

from __future__ import annotations

import dataclasses
import http.server
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from indexer import Product, Query, Searcher, parse_filters
from indexer.catalog import CatalogEntry
from tests.workers.conftest import media_copy
from workers import Ingestion, WorkerContext, ingest_products
from workers.worker import make_worker


def _drain(ctx: WorkerContext) -> None:
    make_worker(ctx).work(burst=True, with_scheduler=False, logging_level="WARNING")


def _products(entries: list[CatalogEntry], n: int, ctx: WorkerContext, catalog_dir: Path) -> list[Product]:
    return [
        dataclasses.replace(e.product, image=media_copy(catalog_dir, ctx.media_dir, e.product.id))
        for e in entries[:n]
    ]


def test_queue_indexes_every_product_in_batches(
    context: WorkerContext, ingestion: Ingestion, catalog_entries: list[CatalogEntry], catalog_dir: Path
) -> None:
    products = _products(catalog_entries, 20, context, catalog_dir)
    chunked = ingestion.enqueue_many(products[:12], chunk=4)  # a catalog import: chunks of 4
    singles = [ingestion.enqueue(p) for p in products[12:]]  # API posts: one product each
    assert ingestion.counts()["queued"] == 3 + 8
    _drain(context)
    statuses = [ingestion.job_status(j.id) for j in [*chunked, *singles]]
    assert all(s and s["status"] == "finished" for s in statuses)
    assert [len(s["product_ids"]) for s in statuses] == [4, 4, 4] + [1] * 8  # type: ignore[index]
    assert context.store.count() == 20
    # the worker batch (8) has room: waiting singles ride along with earlier jobs, then finish at once
    outcomes = [v for s in statuses for v in s["result"]["products"].values()]  # type: ignore[index]
    assert "already indexed" in outcomes and set(outcomes) <= {"indexed", "already indexed"}
    stored = context.store.get([p.id for p in products])
    assert [p.product_id for p in stored] == [p.id for p in products]
    assert all(p.payload["model"] == context.encoder.model_id for p in stored)


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


@pytest.fixture
def slow_server() -> Iterator[str]:
    """A local HTTP server whose /slow never answers in time and /missing is a 404."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            try:
                if self.path == "/slow":
                    time.sleep(3)
                self.send_error(404)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting, as it should

        def log_message(self, *args: object) -> None:
            pass

    server = _Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_poison_inputs_fail_alone_with_reasons(
    context: WorkerContext,
    ingestion: Ingestion,
    catalog_entries: list[CatalogEntry],
    catalog_dir: Path,
    slow_server: str,
) -> None:
    good = _products(catalog_entries, 6, context, catalog_dir)
    (context.media_dir / "garbage.jpg").write_bytes(b"\xff\xd8\xff this is not a jpeg")
    poison = [
        Product(id="P-undecodable", title="Broken photo", image="garbage.jpg"),
        Product(id="P-unreachable", title="Gone", image="http://127.0.0.1:9/nothing.jpg"),
        Product(id="P-timeout", title="Slow", image=f"{slow_server}/slow"),
        Product(id="P-404", title="Missing", image=f"{slow_server}/missing"),
    ]
    # poison first, so that it shares a batch with the good products
    jobs = {p.id: ingestion.enqueue(p) for p in [*poison, *good]}
    _drain(context)
    assert context.store.count() == len(good)
    for p in good:
        assert ingestion.job_status(jobs[p.id].id)["status"] == "finished"  # type: ignore[index]
    failed = {f["product_ids"][0]: f for f in ingestion.failed()}
    assert set(failed) == {p.id for p in poison}
    assert "not a readable image" in failed["P-undecodable"]["reason"]
    assert "cannot fetch image" in failed["P-unreachable"]["reason"]
    assert "cannot fetch image" in failed["P-timeout"]["reason"]
    assert "404" in failed["P-404"]["reason"]
    assert all(f["retries_left"] == 0 for f in failed.values())  # retried before giving up
    # once the image is fixed, a retry from the failed registry indexes it
    media_copy(catalog_dir, context.media_dir, good[0].id)
    (context.media_dir / "garbage.jpg").write_bytes((context.media_dir / f"{good[0].id}.jpg").read_bytes())
    assert ingestion.retry(failed["P-undecodable"]["id"])
    _drain(context)
    assert ingestion.job_status(failed["P-undecodable"]["id"])["status"] == "finished"  # type: ignore[index]
    assert context.store.count() == len(good) + 1


def test_the_later_submission_wins_whatever_the_order(
    context: WorkerContext, ingestion: Ingestion, catalog_entries: list[CatalogEntry], catalog_dir: Path
) -> None:
    base = _products(catalog_entries, 1, context, catalog_dir)[0]
    first = ingestion.enqueue(dataclasses.replace(base, title="First title", price=10.0))
    second = ingestion.enqueue(dataclasses.replace(base, title="Second title", price=20.0))
    # the later job finishes first, then the earlier one runs: it must not overwrite
    assert ingest_products(*second.args)["products"] == {base.id: "indexed"}
    assert ingest_products(*first.args)["products"] == {base.id: "superseded"}
    _drain(context)
    stored = context.store.get([base.id])
    assert context.store.count() == 1
    assert stored[0].payload["title"] == "Second title" and stored[0].payload["price"] == 20.0
    # even when the older version reaches the store last, the conditional upsert keeps the newer
    from workers.jobs import index_submissions
    from workers.submissions import Submission

    stale = Submission(dataclasses.replace(base, title="Stale"), first.args[0][0][1], 0.0)
    index_submissions(context, [stale])
    assert context.store.get([base.id])[0].payload["title"] == "Second title"


def test_concurrent_duplicate_submissions_leave_one_point(
    context: WorkerContext, ingestion: Ingestion, catalog_entries: list[CatalogEntry], catalog_dir: Path
) -> None:
    base = _products(catalog_entries, 1, context, catalog_dir)[0]
    barrier = threading.Barrier(8)

    def submit(i: int) -> None:
        barrier.wait()
        ingestion.enqueue(dataclasses.replace(base, title=f"Version {i}"))

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    latest = ingestion.submissions.get(base.id)
    assert latest is not None
    _drain(context)
    assert context.store.count() == 1
    assert context.store.get([base.id])[0].payload["title"] == latest.product.title
    assert context.store.get([base.id])[0].payload["ingest_seq"] == latest.seq


def test_missing_attributes_are_predicted_never_overwritten(
    context: WorkerContext, ingestion: Ingestion, catalog_entries: list[CatalogEntry], catalog_dir: Path
) -> None:
    given, bare = _products(catalog_entries, 2, context, catalog_dir)
    bare = dataclasses.replace(bare, occasion=None, colour=None)
    ingestion.enqueue_many([given, bare])
    _drain(context)
    stored = {p.product_id: p.payload for p in context.store.get([given.id, bare.id])}
    assert "occasion_predicted" not in stored[given.id] and stored[given.id]["occasion"] == given.occasion
    predicted = stored[bare.id]
    assert "occasion" not in predicted and "colour" not in predicted
    assert predicted["occasion_predicted"] in context.tagger.labels["occasion"]
    assert 0.0 < predicted["occasion_confidence"] <= 1.0
    assert predicted["colour_predicted"] in context.tagger.labels["colour"]
    # filters leave predicted values out unless asked to include them
    searcher = Searcher(context.encoder, context.store)
    value = predicted["occasion_predicted"]
    plain = searcher.search(
        Query(text="x", filters=parse_filters({"occasion": value}, include_predicted=True))
    )
    assert bare.id in {h.id for h in plain.hits}
    hit = next(h for h in plain.hits if h.id == bare.id)
    assert hit.breakdown["matched_filters"]["occasion"] == f"{value} (predicted)"
    if value != given.occasion:
        strict = context.store.count(parse_filters({"occasion": value}))
        assert strict == 0
