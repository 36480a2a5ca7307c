"""The quality benchmark's metrics, on constructed examples whose answers are known."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from benchmarks import quality
from benchmarks.quality_metrics import (
    balanced_accuracy,
    first_relevant_rank,
    mean_reciprocal_rank,
    precision_at,
    recall_at,
    top_k,
)
from encoder import normalize
from indexer.schema import Product


def test_top_k_breaks_ties_by_index_and_excludes_the_query() -> None:
    sims = np.array([[0.5, 0.9, 0.5, 0.1], [0.2, 0.2, 0.2, 0.9]])
    assert top_k(sims, 3).tolist() == [[1, 0, 2], [3, 0, 1]]
    assert top_k(sims, 2, exclude=np.array([1, -1])).tolist() == [[0, 2], [3, 0]]


def test_ranks_recall_and_mrr() -> None:
    sims = np.array(
        [
            [0.9, 0.1, 0.2],  # relevant item 0 ranks first
            [0.9, 0.8, 0.7],  # relevant item 2 ranks third
            [0.5, 0.5, 0.1],  # tie with an irrelevant item: counted against the model
        ]
    )
    relevant = np.array([[1, 0, 0], [0, 0, 1], [0, 1, 0]], dtype=bool)
    ranks = first_relevant_rank(sims, relevant)
    assert ranks.tolist() == [0, 2, 1]
    assert recall_at(ranks, 1) == pytest.approx(1 / 3)
    assert recall_at(ranks, 2) == pytest.approx(2 / 3)
    assert mean_reciprocal_rank(ranks) == pytest.approx((1 + 1 / 3 + 1 / 2) / 3)


def test_precision_with_one_k_per_query() -> None:
    sims = np.array([[0.9, 0.8, 0.7, 0.6], [0.9, 0.8, 0.7, 0.6]])
    relevant = np.array([[1, 0, 1, 1], [0, 1, 0, 0]], dtype=bool)
    assert precision_at(sims, relevant, 2).tolist() == [0.5, 0.5]
    assert precision_at(sims, relevant, np.array([4, 1])).tolist() == [0.75, 0.0]
    # Excluding item 0 from query 0 shifts the window: 1, 2 -> one hit of two.
    assert precision_at(sims, relevant, 2, exclude=np.array([0, -1])).tolist() == [0.5, 0.5]


def test_balanced_accuracy_weighs_classes_equally() -> None:
    truth = ["casual"] * 8 + ["formal"] * 2
    predicted = ["casual"] * 8 + ["casual", "formal"]
    assert balanced_accuracy(truth, predicted) == pytest.approx((1.0 + 0.5) / 2)


# A world of 40 products whose embeddings are built by hand: two sub-categories x two
# colours, ten of each pair. Colour weighs a little more in shoe photos (0.75) than in
# shirt photos (0.7), so that a colour alone finds shoes first and nothing ties.
SUBS = ("shoes", "shirts")
COLOURS = ("black", "red")
OCCASION = {"shirts": "Casual", "shoes": "Sports"}
DIMS = {"shoes": 0, "shirts": 1, "black": 2, "red": 3}
COLOUR_WEIGHT = {"shoes": 0.75, "shirts": 0.7}


def _world() -> tuple[list[Product], np.ndarray]:
    products, vectors = [], []
    for sub in SUBS:
        for colour in COLOURS:
            for _ in range(10):
                i = len(products)
                products.append(
                    Product(
                        id=str(i),
                        title=f"item {i}",
                        image=f"{i}.jpg",
                        sub_category=sub.capitalize(),
                        colour=colour.capitalize(),
                        occasion=OCCASION[sub],
                    )
                )
                v = np.zeros(4 + 40)
                v[DIMS[sub]] = 1.0
                v[DIMS[colour]] = COLOUR_WEIGHT[sub]
                v[4 + i] = 0.1  # what makes each photo unique
                vectors.append(v)
    return products, normalize(np.stack(vectors))


class FakeEncoder:
    """Embeds the constructed world: photos by hand, texts by the words they contain."""

    def __init__(self) -> None:
        self.products, self.images = _world()
        self.model_id = "fake@0"

    def embed_images(self, images: list[str], batch_size: int = 64) -> np.ndarray:
        return self.images[[int(Path(p).stem) for p in images]]

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        out = []
        for text in texts:
            words = text.lower().split()
            if words[0] == "item":
                out.append(self.images[int(words[1])])
                continue
            v = np.zeros(self.images.shape[1])
            for word in words:
                word = {"casual": "shirts", "sports": "shoes"}.get(word, word)
                if word in DIMS:
                    v[DIMS[word]] = 1.0
            out.append(v)
        return normalize(np.stack(out))


def test_evaluate_on_a_world_with_known_answers() -> None:
    fake = FakeEncoder()
    result = quality.evaluate(fake, fake.products)  # type: ignore[arg-type]
    assert result["title_to_image"] == {"r1": 1.0, "r10": 1.0, "mrr": 1.0}
    assert result["category_p10"] == 1.0
    assert result["colour_category_p10"] == 1.0
    assert result["image_to_image_p10"] == 1.0
    composed = result["composed_p10"]
    # Image only: the 9 other photos of X's colour outrank every photo of the asked colour.
    assert composed["image_only"] == pytest.approx(0.1)
    # Text only: a colour finds shoes first, so only the shoe queries hit.
    assert composed["text_only"] == pytest.approx(0.5)
    # Fused: colour and sub-category both pull until the image dominates at alpha 0.75.
    assert composed["fused"] == pytest.approx({"0.25": 1.0, "0.5": 1.0, "0.75": 0.1})
    assert result["occasion_accuracy"] == 1.0
    assert result["counts"] == {
        "sub_categories": 2,
        "colour_category_pairs": 4,
        "image_queries": 40,
        "composed_queries": 40,
        "occasions": 2,
    }


def test_small_groups_are_left_out() -> None:
    fake = FakeEncoder()
    few = [p for p in fake.products if int(p.id) % 10 < 8]  # 8 per pair: no pair reaches 10
    result = quality.evaluate(fake, few)  # type: ignore[arg-type]
    assert result["counts"]["colour_category_pairs"] == 0
    assert result["colour_category_p10"] == 0.0
    assert result["counts"]["sub_categories"] == 2


def test_command_writes_every_key_in_range(
    catalog_dir: Path, tiny_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "catalog"
    folder.mkdir()
    lines = (catalog_dir / "styles.csv").read_text(encoding="utf-8").splitlines()[:61]
    (folder / "styles.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "images").symlink_to(catalog_dir / "images")
    out = tmp_path / "quality.json"
    code = quality.main(["--catalog", str(folder), "--model", str(tiny_model_dir), "--json", str(out)])
    assert code == 0
    assert "| category P@10 |" in capsys.readouterr().out
    result = json.loads(out.read_text(encoding="utf-8"))
    for metrics in (result, result["floor"]):
        values = [
            *metrics["title_to_image"].values(),
            metrics["category_p10"],
            metrics["colour_category_p10"],
            metrics["image_to_image_p10"],
            metrics["composed_p10"]["text_only"],
            metrics["composed_p10"]["image_only"],
            *metrics["composed_p10"]["fused"].values(),
            metrics["occasion_accuracy"],
        ]
        assert len(values) == 12
        assert all(0.0 <= v <= 1.0 for v in values)
    assert set(result["composed_p10"]["fused"]) == {"0.25", "0.5", "0.75"}
    assert result["floor"]["model"].startswith("random:")
