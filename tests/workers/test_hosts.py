"""A dead or slow image host cannot stall the queue: jobs fetch only their own images, a host
that keeps failing is skipped for a while, the job's own timeout is not a product error, and
failures are listed with reasons while retries are pending."""

from __future__ import annotations

import collections
import dataclasses
import http.server
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from click.testing import CliRunner

from cli.main import cli
from encoder import Encoder
from indexer import EdgeStore, Product, Settings
from indexer.media import FetchPolicy, fetch_image_bytes
from tests.conftest import local_http_server
from workers import Ingestion, QueueSettings, WorkerContext, build_context, set_context
from workers.worker import make_worker


def _drain(ctx: WorkerContext) -> None:
    make_worker(ctx).work(burst=True, with_scheduler=False, logging_level="WARNING")


@pytest.fixture
def silent_host() -> Iterator[str]:
    """Accepts connections and never answers (a hung CDN)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    threading.Thread(target=accept, daemon=True).start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    for conn in held:
        conn.close()
    listener.close()


@pytest.fixture
def counting_404() -> Iterator[tuple[str, collections.Counter[str]]]:
    """Answers 404 to everything and counts the requests per path."""
    hits: collections.Counter[str] = collections.Counter()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits[self.path] += 1
            self.send_error(404)

        def log_message(self, *args: object) -> None:
            pass

    with local_http_server(Handler) as server:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits


def test_each_job_fetches_only_its_own_images(
    context: WorkerContext, ingestion: Ingestion, counting_404: tuple[str, collections.Counter[str]]
) -> None:
    base, hits = counting_404
    for i in range(6):  # one job each, as API posts are
        ingestion.enqueue(Product(id=f"M{i}", title=f"Missing {i}", image=f"{base}/m{i}.jpg"))
    _drain(context)
    # one try and two retries per image: never fetched again by other jobs' batches
    assert dict(hits) == {f"/m{i}.jpg": 3 for i in range(6)}
    assert {f["product_id"] for f in ingestion.failing()} == {f"M{i}" for i in range(6)}


def test_a_host_that_never_answers_is_skipped_after_a_few_tries(
    context: WorkerContext, ingestion: Ingestion, silent_host: str
) -> None:
    products = [Product(id=f"H{i}", title=f"Hung {i}", image=f"{silent_host}/{i}.jpg") for i in range(12)]
    ingestion.enqueue_many(products)  # one job of 12
    _drain(context)
    # Three fetches wait out the 1 s timeout and the rest fail at once, on every retry: the
    # reasons say so (a timing would depend on the machine's load).
    reasons = {f["product_id"]: f["reason"] for f in ingestion.failing()}
    assert set(reasons) == {p.id for p in products}
    assert sum("is down, will retry at" in r for r in reasons.values()) >= 9
    [job] = ingestion.failed()
    assert "is down, will retry at" in job["reason"]


def test_the_jobs_own_timeout_is_not_a_product_error(
    tmp_path: Path, encoder: Encoder, connection: redis.Redis, redis_url: str, silent_host: str
) -> None:
    settings = QueueSettings(redis_url=redis_url, media_dir=tmp_path / "media", retries=0, job_timeout_s=2)
    store = EdgeStore(tmp_path / "data")
    slow = FetchPolicy(timeout_s=30.0, allowed=lambda address: True)  # longer than the job may run
    ctx = build_context(Settings(data_dir=tmp_path / "data"), settings, encoder=encoder, store=store,
                        connection=connection, fetch=lambda url: fetch_image_bytes(url, slow))
    set_context(ctx)
    try:
        ingestion = Ingestion(connection, settings)
        ingestion.enqueue(Product(id="T1", title="Slow", image=f"{silent_host}/t.jpg"))
        _drain(ctx)
        # Ended by the job's 2 s deadline, not the fetch's 30 s one: the reason says which.
        [job] = ingestion.failed()
        assert "timeout" in job["reason"].lower() and "cannot fetch image" not in job["reason"]
        assert ingestion.failing() == []  # no product was blamed for the job's deadline
    finally:
        set_context(None)
        store.close()


def test_failures_are_listed_while_retries_are_pending(
    context: WorkerContext, connection: redis.Redis, queue_settings: QueueSettings, redis_url: str,
    counting_404: tuple[str, collections.Counter[str]],
) -> None:
    base, _ = counting_404
    waiting = dataclasses.replace(queue_settings, retries=3, retry_backoff_s=(600,))
    ingestion = Ingestion(connection, waiting)
    job = ingestion.enqueue(Product(id="R1", title="Retry later", image=f"{base}/r.jpg"))
    _drain(context)
    assert ingestion.job_status(job.id)["status"] == "scheduled"  # type: ignore[index]
    assert ingestion.failed() == []  # not out of retries yet ...
    [failing] = ingestion.failing()  # ... but the reason is there already
    assert failing["product_id"] == "R1" and "404" in str(failing["reason"])
    result = CliRunner().invoke(cli, ["jobs", "--failed"], env={"VITRINE_REDIS_URL": redis_url},
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "product R1" in result.output and "404" in result.output


@pytest.fixture
def photo_host(catalog_dir: Path) -> Iterator[str]:
    """One catalog photo on loopback, as an internal CDN would serve it."""
    data = (catalog_dir / "images" / "10000.jpg").read_bytes()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    with local_http_server(Handler) as server:
        yield str(server.server_address[1])


@pytest.mark.parametrize(
    ("allow", "host", "reachable"),
    [
        ("", "127.0.0.1", False),  # private addresses are refused by default
        ("127.0.0.0/8", "127.0.0.1", True),  # a CIDR
        ("localhost", "localhost", True),  # an exact host name
        ("cdn.internal", "localhost", False),  # naming another host allows nothing else
        ("127.0.0.1", "localhost", True),  # a bare address: a /32
    ],
)
def test_private_image_hosts_are_reachable_only_when_allowed(
    photo_host: str, allow: str, host: str, reachable: bool
) -> None:
    from indexer.media import UnsafeUrl
    from workers.context import default_fetcher

    settings = QueueSettings.from_env({"VITRINE_FETCH_ALLOW_HOSTS": allow})
    fetch = default_fetcher(settings)
    url = f"http://{host}:{photo_host}/p.jpg"
    if reachable:
        assert fetch(url)[:2] == b"\xff\xd8"  # the JPEG arrived
    else:
        with pytest.raises(UnsafeUrl, match="non-public"):
            fetch(url)


def test_a_bad_allow_list_entry_is_a_clear_settings_error() -> None:
    from errors import SettingsError
    from workers.allow import AllowList

    with pytest.raises(SettingsError, match="neither a host name nor a CIDR"):
        AllowList.parse(QueueSettings.from_env({"VITRINE_FETCH_ALLOW_HOSTS": "cdn.internal, 10.0.0.0/33"})
                        .fetch_allow_hosts)
