"""``vitrine index``, ``search`` and ``stats``: index a catalog, search it, inspect the store."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

import click

from cli.group import cli, fail, loadable_spec
from encoder import EncoderError, load_encoder
from indexer import (
    CatalogError,
    IndexerError,
    Searcher,
    Settings,
    index_entries,
    open_store,
    parse_cli_filters,
    read_catalog,
)
from indexer.image_dirs import register_image_dirs
from indexer.search import SearchRequest, SearchResult, SearchService
from indexer.search.reading import UNDERSTAND_MODES

log = logging.getLogger("vitrine")
SHOWN_ERRORS = 20


@cli.command()
@click.option("--catalog", "catalog", required=True, type=click.Path(path_type=Path),
              help="Catalog folder (styles.csv + images/, or products.jsonl) or file.")
@click.option("--limit", type=click.IntRange(min=1), help="Index only the first N valid products.")
@click.option("--recreate", is_flag=True, help="Delete the collection first and index from scratch.")
@click.option("--force", is_flag=True, help="Re-embed products even when unchanged.")
@click.option("--batch-size", type=click.IntRange(1, 4096), help="Products per batch.")
@click.pass_obj
def index(settings: Settings, catalog: Path, limit: int | None, recreate: bool, force: bool,
          batch_size: int | None) -> None:
    """Embed a catalog's products and store them (re-running changes nothing)."""
    from tqdm import tqdm

    try:
        report = read_catalog(catalog)
        encoder = load_encoder(settings.model, settings.device, settings.torch_threads, settings.text_int8,
                               settings.image_int8)
        store = open_store(settings)
    except (CatalogError, EncoderError, IndexerError) as e:
        raise fail(e) from e
    entries = report.entries[:limit] if limit else report.entries
    try:
        if recreate:
            store.drop()
        with tqdm(total=len(entries), unit="product", desc="indexing", file=sys.stderr) as bar:
            result = index_entries(
                encoder, store, entries, source=Path(report.source).name,
                batch_size=batch_size or settings.batch_size, force=force, progress=bar.update,
                spec=loadable_spec(settings.model),
            )
        store.optimize()
        total = store.count()
        # The image endpoint serves local photos only from folders an import registered.
        register_image_dirs(settings.data_dir, (e.product.image for e in entries))
    except IndexerError as e:
        raise fail(e) from e
    finally:
        store.close()
    skipped = report.errors + result.skipped
    click.echo(
        f"indexed {result.indexed}, unchanged {result.unchanged}, skipped {len(skipped)} "
        f"in {result.seconds:.1f} s ({result.per_second:.1f} products/s); "
        f"collection now holds {total} points"
    )
    for err in skipped[:SHOWN_ERRORS]:
        click.echo(f"  skipped {err}")
    if len(skipped) > SHOWN_ERRORS:
        click.echo(f"  ... and {len(skipped) - SHOWN_ERRORS} more")


def _print_table(result: SearchResult) -> None:
    if not result.hits:
        click.echo("no results")
    header = f"{'#':>3}  {'id':<10} {'score':>7} {'s_img':>7} {'s_txt':>7}  title"
    click.echo(header)
    click.echo("-" * len(header))
    for rank, hit in enumerate(result.hits, start=1):
        b = hit.breakdown
        p = hit.product
        extra = " / ".join(v for v in (p.occasion, p.sub_category, p.colour) if v)
        click.echo(
            f"{rank:>3}  {hit.id:<10} {hit.score:7.4f} {b['s_image']:7.4f} {b['s_text']:7.4f}  "
            f"{p.title}  [{extra}]"
        )
    t = result.timings
    click.echo(
        f"\n{len(result.hits)} results from {result.candidates} candidates; encode "
        f"{t['encode_ms']:.1f} ms, candidates {t['candidates_ms']:.1f} ms, "
        f"re-rank {t['rerank_ms']:.1f} ms"
    )


@cli.command()
@click.argument("text", required=False)
@click.option("--image", type=click.Path(path_type=Path), help="Query photo.")
@click.option("--alpha", type=float, help="Image weight when both text and image are given (0..1).")
@click.option("--filter", "filters", multiple=True, metavar="FIELD=VALUE",
              help="Repeatable: occasion=Casual, colour=Black,White (any of), price=10..50.")
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
    try:
        spec = parse_cli_filters(filters)
    except IndexerError as e:
        raise click.UsageError(str(e)) from e
    if not text and image is None:
        raise click.UsageError("give a search TEXT, an --image, or both")
    try:
        encoder = load_encoder(settings.model, settings.device, settings.torch_threads, settings.text_int8,
                               settings.image_int8)
        store = open_store(settings)
        try:
            # the search the API runs: query understanding, keywords, the fused score
            service = SearchService(Searcher(encoder, store, settings))
            found = service.search(SearchRequest(text=text, image=image, alpha=alpha, filters=spec, k=k,
                                                 offset=offset, exact=exact, facets=False,
                                                 understand=understand))
        finally:
            store.close()
    except (EncoderError, IndexerError) as e:
        raise fail(e) from e
    if as_json:
        click.echo(json.dumps({**found.result.to_json(), **found.reading_json()}, indent=2))
    else:
        for notice in found.notices:
            click.echo(notice)
        _print_table(found.result)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def stats(settings: Settings, as_json: bool) -> None:
    """Show the collection's size, model and location."""
    try:
        store = open_store(settings)
        try:
            info = store.info()
        finally:
            store.close()
    except IndexerError as e:
        raise fail(e) from e
    data: dict[str, Any] = {
        "points": info.points,
        "model": info.model,
        "dim": info.dim,
        "backend": info.backend,
        "location": info.location,
        "data_dir": str(settings.data_dir.resolve()),
    }
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    for key, value in data.items():
        click.echo(f"{key}: {value}")
