"""The shipped default model: small, loadable, it finds what a shopper asks for, its attribute
heads predict, and its quality on a fixed slice of the validation split stays where its model
card says.

The checks read products of the project's validation split from the real sample catalog. The
shipped model was trained on the whole catalog (its split-trained twin's held-out figures are in
the model card), so these are checks that the shipped files and the code that runs them still
work as measured, not held-out measurements.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch

from benchmarks.quality import evaluate, select_products
from encoder import Encoder, image_int8
from encoder.calibrate import main as calibrate_main
from encoder.heads import HEADS_CONFIG, HEADS_WEIGHTS
from encoder.loading import CONFIG_FILE, DEFAULT_MODEL_NAME, MODELS_DIR, WEIGHTS_FILE, resolve_spec
from indexer.schema import Product

MODEL_DIR = MODELS_DIR / DEFAULT_MODEL_NAME
GALLERY = 400
HEADS_PHOTOS = 200
# The regression guard's slice and tolerance (issue 18); the figures are the model card's,
# written by `python -m benchmarks.quality --catalog ../shared/catalog --split val --limit 300
# --no-floor --json encoder/models/vitrine-fashion/quality_slice.json`.
SLICE_FILE = MODELS_DIR / DEFAULT_MODEL_NAME / "quality_slice.json"
SLICE_TOLERANCE = 0.02


@pytest.fixture(scope="module")
def default_encoder() -> Encoder:
    return Encoder.load("default", device="cpu")


@pytest.fixture(scope="module")
def gallery(catalog_dir: Path, default_encoder: Encoder) -> tuple[list[Product], np.ndarray]:
    products = select_products(catalog_dir, "val", limit=GALLERY)
    return products, default_encoder.embed_images([p.image for p in products])


def test_shipped_files_are_small_and_complete() -> None:
    assert (MODEL_DIR / CONFIG_FILE).is_file()
    weights = MODEL_DIR / WEIGHTS_FILE
    assert weights.stat().st_size <= 50 * 1024 * 1024
    assert (MODEL_DIR / "split.json").is_file() and (MODEL_DIR / "training.json").is_file()
    assert (MODEL_DIR / HEADS_CONFIG).is_file() and (MODEL_DIR / HEADS_WEIGHTS).is_file()
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


def _accuracy(truth: list[str | None], labels: tuple[str, ...], probs: np.ndarray) -> tuple[float, float]:
    """(accuracy, share of the most common label) over the products whose label the head knows."""
    known = [i for i, t in enumerate(truth) if t in labels]
    guessed = [labels[int(j)] for j in probs[known].argmax(axis=1)]
    wanted = [truth[i] for i in known]
    accuracy = float(np.mean([g == w for g, w in zip(guessed, wanted, strict=True)]))
    return accuracy, Counter(wanted).most_common(1)[0][1] / len(wanted)


@pytest.mark.parametrize(("field", "floor"), [("colour", 0.55), ("sub_category", 0.90)])
def test_the_shipped_heads_predict_colour_and_sub_category(
    default_encoder: Encoder, gallery: tuple[list[Product], np.ndarray], field: str, floor: float
) -> None:
    # Floors far above chance (one in 25-35 labels) and above always guessing the most common
    # label; the measured figures are in encoder/MODEL_CARD.md.
    products, images = gallery
    products, images = products[:HEADS_PHOTOS], images[:HEADS_PHOTOS]
    assert default_encoder.heads is not None
    labels = default_encoder.heads.labels[field]
    probs = default_encoder.attribute_probabilities(images, [field])[field]
    accuracy, majority = _accuracy([getattr(p, field) for p in products], labels, probs)
    assert accuracy >= floor and accuracy >= majority + 0.2, (accuracy, majority)


def _figures(result: dict, prefix: str = "") -> dict[str, float]:
    out: dict[str, float] = {}
    for key, value in result.items():
        if isinstance(value, dict):
            out |= _figures(value, f"{prefix}{key}.")
        elif isinstance(value, float) and not key.startswith(("seconds", "products")):
            out[prefix + key] = value
    return out


def test_quality_on_a_fixed_slice_stays_within_002_of_the_model_card(
    default_encoder: Encoder, catalog_dir: Path
) -> None:
    card = json.loads(SLICE_FILE.read_text(encoding="utf-8"))
    assert card["model"] == default_encoder.model_id, "the slice figures are another model's: regenerate"
    products = select_products(catalog_dir, "val", limit=card["products"])
    measured = _figures(evaluate(default_encoder, products))
    expected = _figures(card)
    assert expected and set(expected) <= set(measured)
    drifted = {k: (expected[k], measured[k]) for k in expected
               if abs(measured[k] - expected[k]) > SLICE_TOLERANCE}
    assert not drifted, drifted
