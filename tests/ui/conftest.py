"""Browser tests: a real server (werkzeug, in a thread, on a free loopback port) over a copy
of the shared tiny indexed store, driven by Playwright through Debian's headless Chromium.

Needs `apt-get install chromium` and `pip install playwright` (never `playwright install`:
the tests use the system browser). Screenshots go to test-artifacts/ui/.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from ui_helpers import CHROMIUM_ARGS, DESKTOP

from api.app import create_app
from api.clients import create_client
from encoder import Encoder
from indexer import EdgeStore, Settings
from settings.api import ApiSettings
from tests.conftest import RedisServer

UI_DB = 13  # the UI tests' own database of the session's redis-server (the API tests use 15)


def chromium_path() -> str:
    """The system Chromium, or a failure that says how to install it."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.fail("the browser tests need Debian's Chromium: apt-get install -y chromium "
                    "(and pip install playwright; do not run `playwright install`)", pytrace=False)
    return found


@pytest.fixture(scope="session")
def ui_redis(redis_server: RedisServer) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_server.url(UI_DB))
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


def buffered(app: Any) -> Any:
    """Read each response into memory (and close it) before sending it.

    When the browser drops a connection mid-photo (a page closed while images load),
    werkzeug's dev server leaves the file open; filterwarnings=error then fails whichever
    test is running when it is collected. Buffering closes files before any byte is sent.
    """

    def wsgi(environ: dict[str, Any], start_response: Any) -> Any:
        result = app(environ, start_response)
        try:
            return [b"".join(result)]
        finally:
            if hasattr(result, "close"):
                result.close()

    return wsgi


@pytest.fixture(scope="session")
def server(
    encoder: Encoder, indexed_data_dir: Path, tmp_path_factory: pytest.TempPathFactory, ui_redis: redis.Redis,
    redis_server: RedisServer,
) -> Iterator[str]:
    """The app served over HTTP for the whole session; yields its base URL."""
    from werkzeug.serving import make_server

    # A copy: the embedded store belongs to one process handle, and other tests open the original.
    data_dir = tmp_path_factory.mktemp("ui") / "data"
    shutil.copytree(indexed_data_dir, data_dir)
    store = EdgeStore(data_dir)
    settings = ApiSettings(redis_url=redis_server.url(UI_DB), jwt_secret="ui-test-secret-" + "x" * 40,
                           rate_limit="100000/minute", anonymous_rate_limit="100000/minute")
    app = create_app(Settings(data_dir=data_dir), api_settings=settings, encoder=encoder, store=store,
                     redis=ui_redis)
    httpd = make_server("127.0.0.1", 0, buffered(app), threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(timeout=10)
    store.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the browser tests need Playwright: pip install playwright", pytrace=False)
    executable = chromium_path()
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def new_page(browser: Any, server: str) -> Iterator[Callable[..., Any]]:
    """Open a page in a fresh browser context (its own cookies: a new shopper)."""
    contexts: list[Any] = []

    def open_page(path: str = "/", **options: Any) -> Any:
        context = browser.new_context(base_url=server, viewport=options.pop("viewport", DESKTOP), **options)
        context.set_default_timeout(20_000)
        contexts.append(context)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        # CSP violations and failed module loads surface as console errors.
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.js_errors = errors
        page.goto(path)
        return page

    yield open_page
    for context in contexts:
        # Pending route handlers would otherwise raise into the closing context.
        context.unroute_all(behavior="ignoreErrors")
        for opened in context.pages:
            opened.unroute_all(behavior="ignoreErrors")
        context.close()


@pytest.fixture
def page(new_page: Callable[..., Any]) -> Any:
    return new_page()


@pytest.fixture
def admin_credentials(ui_redis: redis.Redis) -> tuple[str, str]:
    return create_client(ui_redis, ("search", "ingest", "admin"), "ui test admin")
