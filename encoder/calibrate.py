"""Calibrate a model directory's image tower for int8 (``encoder/image_int8.py``).

    python -m encoder.calibrate --catalog ../shared/catalog [--model DIR] [--photos 512]

Runs catalog photos (training products only, when the directory has a ``split.json``)
through the float tower and writes their activation ranges to the model directory.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import torch

from encoder.embedder import Encoder
from encoder.image_int8 import CALIBRATION_FILE, calibrate
from encoder.images import load_image
from encoder.loading import resolve_spec
from encoder.scripted import first_token_pooled
from encoder.train.data import held_out_ids


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--catalog", required=True, type=Path, help="a catalog folder with images/")
    parser.add_argument("--model", default="default",
                        help="model spec: a model directory (default: the shipped model)")
    parser.add_argument("--photos", type=int, default=512)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    resolved = resolve_spec(args.model)
    if resolved.directory is None:
        parser.error("calibration is stored in a model directory; give one as --model")
    encoder = Encoder.load(args.model, device="cpu", int8_image=False)
    tower = first_token_pooled(encoder.model.visual) or encoder.model.visual
    paths = sorted((args.catalog / "images").glob("*.jpg"))
    held_out = held_out_ids(resolved.directory)
    if held_out:  # calibrate on training products only: validation stays unseen
        paths = [p for p in paths if p.stem not in held_out]
    chosen = random.Random(args.seed).sample(paths, min(args.photos, len(paths)))
    photos = torch.stack([encoder.preprocess(load_image(p)) for p in chosen])
    out = resolved.directory / CALIBRATION_FILE
    torch.save(calibrate(tower, photos, encoder.identity.checksum), out)
    print(f"wrote {out} ({out.stat().st_size:,} bytes) from {len(chosen)} photos of {args.catalog}")
    return out


if __name__ == "__main__":
    main()
