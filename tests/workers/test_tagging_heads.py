"""The ingestion tagger with a model that ships attribute heads: heads where they exist, or prompts."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from encoder import Encoder
from encoder.train import VARIANTS, sample_from_product, train, with_overrides
from indexer import read_catalog
from settings.queue import QueueSettings
from workers.tagging import DEFAULT_LABELS, Tagger


@pytest.fixture(scope="module")
def trained(catalog_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Encoder, list]:
    products = read_catalog(catalog_dir).products[:40]
    config = with_overrides(VARIANTS["scratch"], architecture="vitrine-tiny", batch_size=12, warmup_steps=2,
                            threads=1, head_weight=0.5, head_min_count=2)
    out = train([sample_from_product(p) for p in products[:32]], [], tmp_path_factory.mktemp("heads"),
                config=config, epochs=1, seed=0, progress=False)
    return Encoder.load(str(out), device="cpu"), products[32:]


def test_fields_with_a_head_are_tagged_by_it(trained: tuple[Encoder, list]) -> None:
    encoder, products = trained
    assert encoder.heads is not None
    images = encoder.embed_images([p.image for p in products])
    texts = encoder.embed_texts([p.title for p in products])
    assert Tagger(encoder).sources == {"occasion": "heads", "colour": "prompts", "sub_category": "heads"}
    tagger = Tagger(encoder, head_fields=("occasion", "colour", "sub_category"))
    assert set(tagger.sources.values()) == {"heads"}
    assert tagger.labels["colour"] == encoder.heads.labels["colour"]
    probs = tagger.probabilities("colour", images, texts)
    assert np.allclose(probs, encoder.attribute_probabilities(images, ["colour"])["colour"])
    bare = [dataclasses.replace(p, colour=None, occasion=None) for p in products]
    for row in tagger.predict(bare, images, texts):
        assert {p.field for p in row} == {"colour", "occasion"}
        assert all(p.value in encoder.heads.labels[p.field] and 0 < p.confidence <= 1 for p in row)

    prompts = Tagger(encoder, head_fields=())
    assert set(prompts.sources.values()) == {"prompts"}
    assert prompts.labels == {k: tuple(v) for k, v in DEFAULT_LABELS.items()}
    shape = prompts.probabilities("colour", images, texts).shape
    assert shape == (len(products), len(DEFAULT_LABELS["colour"]))


def test_the_setting_names_the_fields_heads_tag() -> None:
    assert QueueSettings.from_env({}).tag_head_fields == ("occasion", "sub_category")
    assert QueueSettings.from_env({"VITRINE_TAG_HEADS": "colour, occasion"}).tag_head_fields == (
        "colour", "occasion")
    assert QueueSettings.from_env({"VITRINE_TAG_HEADS": "none"}).tag_head_fields == ("none",)
