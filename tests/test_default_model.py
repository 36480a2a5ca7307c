"""The shipped default model: small, loadable, and it finds what a shopper asks for.

The sanity checks use validation products only (never trained on), read from the
real sample catalog.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from encoder import Encoder
from encoder.loading import CONFIG_FILE, DEFAULT_MODEL_NAME, MODELS_DIR, WEIGHTS_FILE
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
        "torchscript-int8", "torchscript-pooled")


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
