"""``vitrine index``: embed a catalog and store it (``search`` and ``stats``: cli/search_commands.py)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from cli import served
from cli.group import cli, fail, loadable_spec, text_cache
from settings.core import Settings

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
    # Imported here: `vitrine --help` and argument errors must not wait for torch.
    from tqdm import tqdm

    from encoder import EncoderError, load_encoder
    from indexer import CatalogError, IndexerError, index_entries, open_store, read_catalog
    from indexer.image_dirs import register_image_dirs

    server = served.find(settings)
    if server is not None:
        # The server owns the store: writing goes through its queue, not around it.
        raise click.ClickException(
            f"the store at {server.data_dir} is served by process {server.pid} (vitrine serve); add "
            f"products through it with `vitrine ingest --catalog {catalog}`, or stop it first")
    try:
        report = read_catalog(catalog)
        # Leaves the compiled text tower in the data dir's cache for the next `vitrine search`.
        encoder = load_encoder(settings.model, settings.device, settings.torch_threads, settings.text_int8,
                               settings.image_int8, text_cache=text_cache(settings))
        store = open_store(settings)
    except (CatalogError, EncoderError, IndexerError) as e:
        raise served.store_busy(settings, e) or fail(e) from e
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
