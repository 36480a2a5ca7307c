"""``vitrine train``: contrastive training of an open_clip model on a catalog folder."""

from __future__ import annotations

from pathlib import Path

import click

from cli.group import cli, fail
from encoder.errors import EncoderError

SPLIT_SEED = 0  # the validation split is fixed, whatever --seed the training uses


@cli.command()
@click.option("--catalog", required=True, type=click.Path(path_type=Path), help="Catalog folder or file.")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(path_type=Path),
    help="Where the model directory (and checkpoints) go.",
)
@click.option(
    "--variant",
    type=click.Choice(["scratch", "minilm"]),
    default="scratch",
    show_default=True,
    help="scratch: both towers trained; minilm: the packaged MiniLM text tower, locked.",
)
@click.option("--epochs", default=24, show_default=True, type=click.IntRange(1, 1000))
@click.option("--seed", default=0, show_default=True, type=int, help="Training seed (initialisation, order).")
@click.option(
    "--val-size",
    default=0.15,
    show_default=True,
    type=click.FloatRange(0.01, 0.5),
    help="Fraction of products held out for validation (by a hash of their id).",
)
@click.option("--limit", type=click.IntRange(min=2), help="Train on the first N valid products only.")
@click.option("--resume", is_flag=True, help="Continue from OUT/checkpoints/last.pt.")
@click.option(
    "--cache-dir", type=click.Path(path_type=Path), help="Cache decoded photos here (faster re-runs)."
)
@click.option("--threads", type=click.IntRange(1, 256), help="CPU threads for torch.")
@click.option("--device", help="cuda or cpu; default: CUDA when present.")
def train(
    catalog: Path,
    out_dir: Path,
    variant: str,
    epochs: int,
    seed: int,
    val_size: float,
    limit: int | None,
    resume: bool,
    cache_dir: Path | None,
    threads: int | None,
    device: str | None,
) -> None:
    """Train an open_clip model on (photo, caption) pairs from a catalog; the result loads with
    VITRINE_MODEL=OUT."""
    from encoder.train import VARIANTS, sample_from_product, split_ids, with_overrides
    from encoder.train import train as run_training
    from indexer.catalog import CatalogError, read_catalog

    try:
        report = read_catalog(catalog)
    except CatalogError as e:
        raise fail(e) from e
    products = report.products[:limit] if limit else report.products
    train_ids, val_ids = split_ids([p.id for p in products], val_size=val_size, seed=SPLIT_SEED)
    by_id = {p.id: sample_from_product(p) for p in products}
    config = with_overrides(
        VARIANTS[variant], cache_dir=str(cache_dir) if cache_dir else None, threads=threads
    )
    click.echo(
        f"training {variant} on {len(train_ids)} products, validating on {len(val_ids)}, "
        f"{epochs} epochs, seed {seed}"
    )
    try:
        model_dir = run_training(
            [by_id[i] for i in train_ids],
            [by_id[i] for i in val_ids],
            out_dir,
            config=config,
            epochs=epochs,
            seed=seed,
            resume=resume,
            device=device,
            progress=True,
        )
    except (EncoderError, ValueError) as e:
        raise fail(e) from e
    click.echo(f"model written to {model_dir}; use it with VITRINE_MODEL={model_dir}")
