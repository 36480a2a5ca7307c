"""``vitrine train``: contrastive training of an open_clip model on a catalog folder."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
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
@click.option(
    "--whole-catalog",
    is_flag=True,
    help="Train on every product, validation split included (the model that ships, once the recipe "
         "was chosen on the split); nothing is held out or scored per epoch.",
)
@click.option("--limit", type=click.IntRange(min=2), help="Train on the first N valid products only.")
@click.option("--resume", is_flag=True, help="Continue from OUT/checkpoints/last.pt.")
@click.option(
    "--cache-dir", type=click.Path(path_type=Path), help="Cache decoded photos here (faster re-runs)."
)
@click.option("--threads", type=click.IntRange(1, 256), help="CPU threads for torch.")
@click.option("--device", help="cuda or cpu; default: CUDA when present.")
@click.option("--architecture",
              help="A config of encoder/configs (e.g. vitrine-rn96 for 96 px photos) or a JSON file; "
                   "default: the variant's.")
@click.option("--hard-negatives", is_flag=True,
              help="Batches that hold, for sampled products, the same type in another colour and "
                   "the same colour in another type.")
@click.option("--heads", is_flag=True,
              help="Train attribute heads (colour, type, gender, occasion, season) with the model "
                   "and ship them in OUT.")
@click.option("--synonyms", is_flag=True,
              help="Captions also in shoppers' words, from the query understanding's lexicon.")
def train(
    catalog: Path,
    out_dir: Path,
    variant: str,
    epochs: int,
    seed: int,
    val_size: float,
    whole_catalog: bool,
    limit: int | None,
    resume: bool,
    cache_dir: Path | None,
    threads: int | None,
    device: str | None,
    architecture: str | None,
    hard_negatives: bool,
    heads: bool,
    synonyms: bool,
) -> None:
    """Train an open_clip model on (photo, caption) pairs from a catalog; the result loads with
    VITRINE_MODEL=OUT."""
    from encoder.captions import shopper_words
    from encoder.train import VARIANTS, sample_from_product, split_ids, with_overrides
    from encoder.train import train as run_training
    from encoder.train.config import HARD_NEGATIVE_ANCHORS, HEAD_WEIGHT, SYNONYM_SHARE
    from indexer.catalog import CatalogError, read_catalog

    try:
        report = read_catalog(catalog)
    except CatalogError as e:
        raise fail(e) from e
    products = report.products[:limit] if limit else report.products
    train_ids, val_ids = split_ids([p.id for p in products], val_size=val_size, seed=SPLIT_SEED)
    if whole_catalog:
        train_ids, val_ids = [*train_ids, *val_ids], []
    by_id = {p.id: sample_from_product(p) for p in products}
    config = with_overrides(
        VARIANTS[variant], cache_dir=str(cache_dir) if cache_dir else None, threads=threads,
        architecture=architecture, hard_negative_anchors=HARD_NEGATIVE_ANCHORS if hard_negatives else None,
        head_weight=HEAD_WEIGHT if heads else None, synonym_share=SYNONYM_SHARE if synonyms else None,
    )
    words = shopper_words(lexicon_phrases()) if synonyms else None
    options = [name for name, on in (("hard negatives", hard_negatives), ("attribute heads", heads),
                                     ("shopper words", synonyms)) if on]
    click.echo(
        f"training {variant} ({config.architecture}) on {len(train_ids)} products, validating on "
        f"{len(val_ids)}, {epochs} epochs, seed {seed}" + (f", with {', '.join(options)}" if options else "")
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
            shopper_words=words,
        )
    except (EncoderError, ValueError) as e:
        raise fail(e) from e
    click.echo(f"model written to {model_dir}; use it with VITRINE_MODEL={model_dir}")


def lexicon_phrases() -> Iterator[tuple[str, str, Sequence[str]]]:
    """The query understanding's shopper phrases as ``(attribute, phrase, catalog values)``: the
    words the text tower should learn ("sneakers", "tee", "purse", "office wear"). Read here
    because the encoder may not import the indexer."""
    from indexer.understanding import Lexicon

    lexicon = Lexicon.load()
    for phrase, (field, values) in lexicon.types.items():
        yield field, phrase, values
    for key, section in (("colour", lexicon.colours), ("occasion", lexicon.occasions),
                         ("gender", lexicon.genders)):
        for phrase, values in section.items():
            yield key, phrase, values
