"""``vitrine serve`` (gunicorn; the Flask development server only with --debug),
registered on the ``vitrine`` group (``vitrine clients``: cli/client_commands.py)."""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import replace
from typing import Any

import click

from cli import served
from cli.group import cli
from indexer.errors import StoreError
from settings.api import ApiSettings
from settings.core import Settings

log = logging.getLogger(__name__)


def _api_settings() -> ApiSettings:
    try:
        return ApiSettings.from_env()
    except ValueError as e:
        raise click.ClickException(str(e)) from e


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=0, show_default=True, type=click.IntRange(0, 64),
              help="Worker processes; 0 = one per core. With the embedded store and more than "
                   "one, a store host process owns the shard and the workers search it over a "
                   "local socket.")
@click.option("--threads", default=32, show_default=True, type=click.IntRange(1, 256),
              help="Threads per worker (the model and store are shared between them).")
@click.option("--timeout", default=30, show_default=True, type=click.IntRange(1, 3600),
              help="Seconds before a silent worker is restarted.")
@click.option("--debug", is_flag=True, help="Run Flask's development server instead (never in production).")
@click.pass_obj
def serve(settings: Settings, host: str, port: int, workers: int, threads: int, timeout: int,
          debug: bool) -> None:
    """Serve the search API over HTTP."""
    api = _api_settings()
    if api.jwt_secret is None:
        # Made once here, before workers start, so every worker signs with the same key.
        click.echo("warning: VITRINE_JWT_SECRET is not set; tokens end when this server stops", err=True)
        api = replace(api, jwt_secret=secrets.token_urlsafe(48))
    # Searches are CPU-bound and a process runs Python on one core at a time: one per core.
    # Measured side by side: docs/design-figures.md (worker processes).
    workers = 1 if debug else workers or os.cpu_count() or 1
    from indexer.store.host_process import HostProcess

    store_host: HostProcess | None = None
    if workers > 1 and not settings.qdrant_url and not settings.store_socket:
        # The embedded shard belongs to one process: a store host owns it, the workers reach it.
        try:
            store_host = HostProcess(settings).start()
        except StoreError as e:
            raise click.ClickException(f"cannot start the store host: {e}") from e
        settings = replace(settings, store_socket=str(store_host.socket_path))
    # Other commands (search, stats, doctor) find this server through the data directory.
    announced = served.announce(settings, host, port)
    try:
        _run_server(settings, api, host=host, port=port, workers=workers, threads=threads,
                    timeout=timeout, debug=debug)
    finally:
        served.withdraw(announced)
        if store_host is not None:
            store_host.stop()


def _run_server(settings: Settings, api: ApiSettings, *, host: str, port: int, workers: int,
                threads: int, timeout: int, debug: bool) -> None:
    def factory() -> Any:
        from api.app import create_app, tune_server_process, warm_vector_cache
        from api.ingest import start_embedded_workers

        tune_server_process(api, workers)
        app = create_app(settings, api_settings=api)
        warm_vector_cache(app)
        # With the embedded store (owned here, or by the store host), every worker also works the
        # ingestion queue; with a Qdrant server, `vitrine worker` processes do.
        start_embedded_workers(app)
        return app

    if debug:
        factory().run(host=host, port=port, debug=True, use_reloader=False, threaded=True)
        return
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):
        """Gunicorn with the app built by our factory in each worker (no import strings)."""

        def load_config(self) -> None:
            options = {
                "bind": f"{host}:{port}", "workers": workers, "threads": threads,
                "worker_class": "gthread", "timeout": timeout, "accesslog": "-",
                # Uploads are capped by the app; keep request lines and headers tight too.
                "limit_request_line": 8190, "limit_request_fields": 100,
            }
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return factory()

    Server().run()
