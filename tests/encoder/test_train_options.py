"""Model v2's training options: hard-negative batches, attribute heads, captions in shoppers' words."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from cli.train_command import lexicon_phrases
from encoder import Encoder
from encoder.captions import (
    ConstraintCodes,
    ShopperWords,
    attribute_caption,
    match_matrix,
    norm,
    shopper_words,
)
from encoder.heads import HEADS_CONFIG, load_heads
from encoder.train import VARIANTS, Sample, sample_from_product, train, with_overrides
from encoder.train.data import epoch_captions, type_key
from encoder.train.sampler import hard_negative_batches
from indexer import read_catalog

ALL_ON = with_overrides(VARIANTS["scratch"], architecture="vitrine-tiny", batch_size=12, warmup_steps=2,
                        threads=1, hard_negative_anchors=4, head_weight=0.5, head_min_count=2,
                        synonym_share=0.5)


@pytest.fixture(scope="module")
def products(catalog_dir: Path) -> list:
    return read_catalog(catalog_dir).products


@pytest.fixture(scope="module")
def words() -> ShopperWords:
    return shopper_words(lexicon_phrases())


def test_every_option_on_trains_a_model_whose_heads_predict(
    products: list, words: ShopperWords, tmp_path: Path
) -> None:
    samples = [sample_from_product(p) for p in products[:36]]
    train_s, val_s = samples[:28], samples[28:]
    out = train(train_s, val_s, tmp_path / "v2", config=ALL_ON, epochs=1, seed=0, progress=False,
                shopper_words=words)
    info = json.loads((out / "training.json").read_text(encoding="utf-8"))
    assert info["config"]["hard_negative_anchors"] == 4 and info["shopper_phrases"] > 50

    encoder = Encoder.load(str(out), device="cpu")
    assert encoder.heads is not None
    assert set(encoder.heads.attributes) >= {"colour", "sub_category", "gender", "occasion"}
    vectors = encoder.embed_images([s.image for s in val_s])
    probs = encoder.attribute_probabilities(vectors)
    for name, p in probs.items():
        labels = encoder.heads.labels[name]
        assert p.shape == (len(val_s), len(labels))
        assert np.allclose(p.sum(axis=1), 1.0, atol=1e-5) and (p >= 0).all()
        # The labels are the training products' own values, in the catalog's spelling.
        assert set(labels) <= {s.attrs.get(name) for s in train_s}
    # Only what a head was asked for, and a clear error for what it does not predict.
    assert list(encoder.attribute_probabilities(vectors, ["colour"])) == ["colour"]
    with pytest.raises(KeyError):
        encoder.attribute_probabilities(vectors, ["material"])

    # Heads trained with other weights are not used.
    assert load_heads(out, encoder.identity.checksum) is not None
    assert load_heads(out, "0" * 64) is None

    # Trained again without heads into the same directory: the old heads go.
    plain = with_overrides(ALL_ON, head_weight=0.0, synonym_share=0.0)
    train(train_s, val_s, out, config=plain, epochs=1, seed=0, progress=False)
    assert not (out / HEADS_CONFIG).exists()
    assert Encoder.load(str(out), device="cpu").attribute_probabilities(vectors) == {}


def test_shopper_words_need_a_phrase_table(products: list, tmp_path: Path) -> None:
    samples = [sample_from_product(p) for p in products[:12]]
    with pytest.raises(ValueError, match="phrase table"):
        train(samples, [], tmp_path, config=ALL_ON, epochs=1, progress=False)


def test_hard_negative_batches_hold_the_promised_look_alikes(products: list) -> None:
    samples: list[Sample] = [sample_from_product(p) for p in products[:1200]]
    types = [type_key(s.attrs) for s in samples]
    colours = [norm(s.attrs.get("colour")) for s in samples]
    steps, size = 9, 128
    found = hard_negative_batches(types, colours, size, steps, 32, np.random.default_rng(0))
    assert len(found.batches) == steps
    checked = 0
    for batch, anchors in zip(found.batches, found.anchors, strict=True):
        assert len(batch) == size == len(set(batch.tolist()))
        assert len(anchors) == 32 and set(anchors.tolist()) <= set(batch.tolist())
        for a in anchors:
            t, c = types[a], colours[a]
            if t is None or c is None:
                continue
            # Where the catalog slice has such a product, the batch holds one.
            if any(types[j] == t and colours[j] not in (c, None) for j in range(len(samples))):
                assert any(types[j] == t and colours[j] not in (c, None) for j in batch)
                checked += 1
            if any(colours[j] == c and types[j] not in (t, None) for j in range(len(samples))):
                assert any(colours[j] == c and types[j] not in (t, None) for j in batch)
                checked += 1
    assert checked > 400
    # An epoch still shows (nearly) every product once: partners come from the unused ones.
    seen = np.concatenate(found.batches)
    assert len(set(seen.tolist())) >= 0.95 * len(seen)
    again = hard_negative_batches(types, colours, size, steps, 32, np.random.default_rng(0))
    assert all(np.array_equal(a, b) for a, b in zip(found.batches, again.batches, strict=True))


def test_an_anchor_without_look_alikes_brings_none() -> None:
    # One type in one colour only: no partner exists, and the batch is filled from the rest.
    types = ["shirts", "shirts", "watches", None, "bags", "bags"]
    colours = ["white", "blue", "black", "red", None, "green"]
    found = hard_negative_batches(types, colours, 3, 2, 1, np.random.default_rng(1))
    for batch, anchors in zip(found.batches, found.anchors, strict=True):
        assert len(set(batch.tolist())) == 3
        a = int(anchors[0])
        if types[a] == "watches":  # no other watch, no other black product
            assert batch[0] == a
    with pytest.raises(ValueError):
        hard_negative_batches(types, colours, 4, 2, 1, np.random.default_rng(0))


def test_captions_in_shoppers_words(products: list, words: ShopperWords) -> None:
    shoe = {"colour": "White", "sub_category": "Shoes", "article_type": "Casual Shoes",
            "gender": "Women", "occasion": "Formal"}
    rng = np.random.default_rng(0)
    captions = [attribute_caption(shoe, rng, words, 0.5) for _ in range(400)]
    texts = " | ".join(c.text for c in captions)
    for phrase in ("sneakers", "loafers", "office wear", "for ladies"):
        assert phrase in texts, phrase
    assert "office wear wear" not in texts
    sneakers = next(c for c in captions if "sneakers" in c.text
                    and {k for k, _ in c.constraints} == {"colour", "article_type"})
    assert ("article_type", "sports shoes") in sneakers.constraints
    # "white sneakers" is true of white casual and sports shoes, not of a black shoe or a white bag.
    codes = ConstraintCodes(["a", "b", "c", "d"], [
        {"colour": "White", "sub_category": "Shoes", "article_type": "Casual Shoes"},
        {"colour": "White", "sub_category": "Shoes", "article_type": "Sports Shoes"},
        {"colour": "Black", "sub_category": "Shoes", "article_type": "Casual Shoes"},
        {"colour": "White", "sub_category": "Bags", "article_type": "Handbags"},
    ])
    rows = codes.caption_rows([sneakers, attribute_caption(shoe, np.random.default_rng(5))])
    assert match_matrix(rows, codes.products)[0].tolist() == [True, True, False, False]

    # Over a real epoch some captions use the lexicon's phrases; without a share, none do.
    samples = [sample_from_product(p) for p in products[:500]]
    phrases = {ph.text for options in words.values() for ph in options}
    with_words = Counter(c.text for c in epoch_captions(samples, 0, 0, words, 0.5))
    said = sum(n for text, n in with_words.items() if any(f" {p} " in f" {text} " for p in phrases))
    assert said > 25
    plain = epoch_captions(samples, 0, 0)
    assert epoch_captions(samples, 0, 0, words, 0.0) == plain
