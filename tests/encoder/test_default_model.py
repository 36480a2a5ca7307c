"""The shipped default model: small, loadable, and it finds what a shopper asks for.

The sanity checks use validation products only (never trained on), read from the
real sample catalog.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch

from encoder import Encoder, image_int8
from encoder.calibrate import main as calibrate_main
from encoder.loading import CONFIG_FILE, DEFAULT_MODEL_NAME, MODELS_DIR, WEIGHTS_FILE, resolve_spec
from indexer import read_catalog
from indexer.schema import Product

MODEL_DIR = MODELS_DIR / DEFAULT_MODEL_NAME
GALLERY = 400


@pytest.fixture(scope="module")
def default_encoder() -> Encoder:
    return Encoder.load("default", device="cpu")


@pytest.fixture(scope="module")
def gallery(catalog_dir: Path, default_encoder: Encoder) -> tuple[list[Product], np.ndarray]:
    val_ids = set(json.loads((MODEL_DIR / "split.json").read_text(encoding="utf-8"))["val_ids"])
    products = [p for p in read_catalog(catalog_dir).products if p.id in val_ids][:GALLERY]
    return products, default_encoder.embed_images([p.image for p in products])


def test_shipped_files_are_small_and_complete() -> None:
    assert (MODEL_DIR / CONFIG_FILE).is_file()
    weights = MODEL_DIR / WEIGHTS_FILE
    assert weights.stat().st_size <= 50 * 1024 * 1024
    split = json.loads((MODEL_DIR / "split.json").read_text(encoding="utf-8"))
    assert len(split["val_ids"]) >= 1000
    assert (MODEL_DIR.parent.parent / "MODEL_CARD.md").is_file()


def test_default_model_loads_and_embeds(default_encoder: Encoder) -> None:
    assert default_encoder.identity.name == DEFAULT_MODEL_NAME
    texts = default_encoder.embed_texts(["black watch", "red summer dress"])
    assert texts.shape == (2, default_encoder.dim)
    assert np.allclose(np.linalg.norm(texts, axis=1), 1.0, atol=1e-3)
    assert Encoder.load(None, device="cpu").model_id == default_encoder.model_id
    # The fast paths hold for the shipped model (encoder/quantize.py, encoder/scripted.py).
    assert (default_encoder.text_tower_kind, default_encoder.image_tower_kind) == (
        "torchscript-int8", "torchscript-int8")


def _top(products: list[Product], images: np.ndarray, query: np.ndarray, k: int) -> list[Product]:
    order = np.argsort(-(images @ query), kind="stable")[:k]
    return [products[i] for i in order]


@pytest.mark.parametrize(
    ("query", "field", "expected"),
    [
        ("black watch", "sub_category", "Watches"),
        ("a photo of shoes", "sub_category", "Shoes"),
        ("topwear", "sub_category", "Topwear"),
        ("handbags", "sub_category", "Bags"),
    ],
)
def test_text_search_finds_the_named_kind(
    default_encoder: Encoder,
    gallery: tuple[list[Product], np.ndarray],
    query: str,
    field: str,
    expected: str,
) -> None:
    products, images = gallery
    relevant = sum(getattr(p, field) == expected for p in products)
    k = min(5, relevant)
    assert k >= 3, f"the gallery has too few {expected} to test with"
    top = _top(products, images, default_encoder.embed_text(query), k)
    hits = sum(getattr(p, field) == expected for p in top)
    assert hits >= k - 1, [(p.title, getattr(p, field)) for p in top]


def test_black_watch_finds_black_watches(
    default_encoder: Encoder, gallery: tuple[list[Product], np.ndarray]
) -> None:
    products, images = gallery
    top = _top(products, images, default_encoder.embed_text("black watch"), 3)
    assert all(p.sub_category == "Watches" for p in top)
    assert Counter(p.colour for p in top)["Black"] >= 2


def test_similar_photos_share_the_kind(
    default_encoder: Encoder, gallery: tuple[list[Product], np.ndarray]
) -> None:
    products, images = gallery
    agree = []
    for i in range(0, len(products), 20):
        sims = images @ images[i]
        sims[i] = -np.inf
        neighbours = np.argsort(-sims, kind="stable")[:5]
        agree.append(np.mean([products[j].sub_category == products[i].sub_category for j in neighbours]))
    assert np.mean(agree) >= 0.8


def test_the_int8_image_tower_stays_close_to_the_float_one_on_unseen_photos(
    default_encoder: Encoder, catalog_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VITRINE_IMAGE_INT8", "0")
    exact = Encoder.load("default", device="cpu")
    assert exact.image_tower_kind == "torchscript-pooled"
    photos = sorted((catalog_dir / "images").glob("*.jpg"))[-12:]
    cosine = (default_encoder.embed_images(photos) * exact.embed_images(photos)).sum(axis=1)
    assert cosine.min() >= image_int8.MIN_COSINE and cosine.min() < 1.0 - 1e-5


def test_a_calibration_for_another_model_or_other_layers_is_not_used(tmp_path: Path) -> None:
    shutil.copytree(MODEL_DIR, tmp_path / "model")
    directory = tmp_path / "model"
    weights = resolve_spec(str(directory)).identity.checksum
    calibration = image_int8.load_calibration(directory, weights)
    assert calibration is not None
    assert image_int8.load_calibration(directory, "0" * 64) is None  # other weights
    broken = {**calibration, "observers": dict(list(calibration["observers"].items())[:-2])}
    torch.save(broken, directory / image_int8.CALIBRATION_FILE)
    assert Encoder.load(str(directory), device="cpu").image_tower_kind == "torchscript-pooled"
    (directory / image_int8.CALIBRATION_FILE).unlink()
    assert Encoder.load(str(directory), device="cpu").image_tower_kind == "torchscript-pooled"


def test_calibrate_writes_a_calibration_the_encoder_then_uses(tmp_path: Path, catalog_dir: Path) -> None:
    shutil.copytree(MODEL_DIR, tmp_path / "model", ignore=shutil.ignore_patterns(image_int8.CALIBRATION_FILE))
    directory = tmp_path / "model"
    written = calibrate_main(["--catalog", str(catalog_dir), "--model", str(directory), "--photos", "32"])
    assert written == directory / image_int8.CALIBRATION_FILE and written.is_file()
    assert Encoder.load(str(directory), device="cpu").image_tower_kind == "torchscript-int8"
