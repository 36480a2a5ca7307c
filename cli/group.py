"""The ``vitrine`` click group and the helpers every sub-command shares."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from settings.core import Settings


def loadable_spec(spec: str) -> str:
    """The spec with a relative model directory made absolute, so any process can load it."""
    path = Path(spec.removeprefix("local-dir:"))
    return str(path.resolve()) if path.is_dir() else spec


def text_cache(settings: Settings) -> Path:
    """Where the command line keeps the compiled text tower between runs (encoder/text_cache.py):
    `vitrine index` writes it, a cold `vitrine search` reads it instead of building the model."""
    return settings.data_dir / "cache"


def fail(e: Exception) -> click.ClickException:
    """A library error as the command's one-line error (exit status 1)."""
    return click.ClickException(str(e))


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log progress details.")
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    """Vitrine: cross-modal fashion search over Qdrant."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        ctx.obj = Settings.from_env()
    except ValueError as e:
        raise fail(e) from e
