"""``vitrine search`` and ``vitrine stats``: through a running ``vitrine serve`` for the same
data directory when there is one (cli/served.py), else on the store opened here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from cli import served
from cli.group import cli, fail, text_cache
from settings.core import Settings

# The API's names (indexer/search/reading.py); repeated so `--help` imports no search code.
UNDERSTAND_MODES = ("boost", "filter", "off")


def _print_table(body: dict[str, Any]) -> None:
    """A search answer (the API's JSON shape, from either path) as a table."""
    results = body.get("results", [])
    if not results:
        click.echo("no results")
    header = f"{'#':>3}  {'id':<10} {'score':>7} {'s_img':>7} {'s_txt':>7}  title"
    click.echo(header)
    click.echo("-" * len(header))
    for rank, hit in enumerate(results, start=1):
        b, p = hit["breakdown"], hit["product"]
        extra = " / ".join(str(p[f]) for f in ("occasion", "sub_category", "colour") if p.get(f))
        click.echo(
            f"{rank:>3}  {hit['id']:<10} {hit['score']:7.4f} {b.get('s_image', 0.0):7.4f} "
            f"{b.get('s_text', 0.0):7.4f}  {p.get('title', '')}  [{extra}]"
        )
    t = body.get("timings", {})
    click.echo(
        f"\n{len(results)} results from {body.get('candidates', 0)} candidates; encode "
        f"{t.get('encode_ms', 0.0):.1f} ms, candidates {t.get('candidates_ms', 0.0):.1f} ms, "
        f"re-rank {t.get('rerank_ms', 0.0):.1f} ms"
    )


def _search_here(settings: Settings, fields: dict[str, Any], spec: Any, image: Path | None) -> dict[str, Any]:
    """Open the store and the model in this process and run the search the API runs."""
    from encoder import EncoderError, load_encoder
    from indexer import IndexerError, Searcher, open_store
    from indexer.search import SearchRequest, SearchService

    try:
        # The store first: when another process holds it, say so before loading the model.
        store = open_store(settings)
    except IndexerError as e:
        raise served.store_busy(settings, e) or fail(e) from e
    try:
        # One query, then exit: the text tower from the data dir's cache, no image tower
        # unless a photo is asked about.
        encoder = load_encoder(settings.model, settings.device, settings.torch_threads,
                               settings.text_int8, settings.image_int8, lazy_image=image is None,
                               text_cache=text_cache(settings), one_shot=True)
        service = SearchService(Searcher(encoder, store, settings))
        found = service.search(SearchRequest(
            text=fields.get("text"), image=image, alpha=fields.get("alpha"), filters=spec,
            k=fields["k"], offset=fields["offset"], exact=fields["exact"], facets=False,
            understand=fields.get("understand")))
    except (EncoderError, IndexerError) as e:
        raise fail(e) from e
    finally:
        store.close()
    return {**found.result.to_json(), **found.reading_json()}


@cli.command()
@click.argument("text", required=False)
@click.option("--image", type=click.Path(path_type=Path), help="Query photo.")
@click.option("--alpha", type=float, help="Image weight when both text and image are given (0..1).")
@click.option("--filter", "filters", multiple=True, metavar="FIELD=VALUE",
              help="Repeatable: occasion=Casual, colour=Black,White (any of), year=2015..2017.")
@click.option("-k", "k", default=10, show_default=True, type=int, help="Number of results.")
@click.option("--offset", default=0, type=int, help="Skip this many results (paging).")
@click.option("--exact", is_flag=True, help="Exact (brute-force) candidate search instead of HNSW.")
@click.option("--understand", type=click.Choice(UNDERSTAND_MODES),
              help="What understood words do: boost, filter or off (default: VITRINE_UNDERSTAND).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_obj
def search(settings: Settings, text: str | None, image: Path | None, alpha: float | None,
           filters: tuple[str, ...], k: int, offset: int, exact: bool, understand: str | None,
           as_json: bool) -> None:
    """Search by TEXT, by --image, or both."""
    from indexer.errors import IndexerError
    from indexer.filters import parse_cli_filters

    try:
        spec = parse_cli_filters(filters)
    except IndexerError as e:
        raise click.UsageError(str(e)) from e
    if not text and image is None:
        raise click.UsageError("give a search TEXT, an --image, or both")
    fields: dict[str, Any] = {"text": text, "alpha": alpha, "filters": spec.to_json(), "k": k,
                              "offset": offset, "exact": exact, "understand": understand}
    server = served.find(settings)
    if server is not None and exact:
        raise click.ClickException(
            f"--exact searches the store itself, and the store at {server.data_dir} is served by process "
            f"{server.pid} (vitrine serve); search without --exact, or stop the server first")
    if server is None:
        body = _search_here(settings, fields, spec, image)
    else:
        wire = {name: value for name, value in fields.items() if value not in (None, {}, False)}
        body = served.call(server, "POST", "/api/v1/search", {**wire, "facets": False}, image=image)
    if as_json:
        click.echo(json.dumps(body, indent=2))
        return
    for notice in body.get("notices", []):
        click.echo(notice)
    _print_table(body)


def _stats_here(settings: Settings) -> dict[str, Any]:
    from indexer import IndexerError, open_store

    try:
        store = open_store(settings)
        try:
            info = store.info()
        finally:
            store.close()
    except IndexerError as e:
        raise served.store_busy(settings, e) or fail(e) from e
    return {"points": info.points, "model": info.model, "dim": info.dim, "backend": info.backend,
            "location": info.location}


def _stats_served(server: served.Served) -> dict[str, Any]:
    checks = served.call(server, "GET", "/ready")["checks"]
    return {"points": checks["store"].get("points"), "model": checks["model"]["id"],
            "dim": checks["model"]["dim"], "backend": checks["store"]["backend"],
            "location": f"served by process {server.pid} at {server.url}"}


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def stats(settings: Settings, as_json: bool) -> None:
    """Show the collection's size, model and location."""
    server = served.find(settings)
    data = _stats_here(settings) if server is None else _stats_served(server)
    data["data_dir"] = str(settings.data_dir.resolve())
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    for key, value in data.items():
        click.echo(f"{key}: {value}")
