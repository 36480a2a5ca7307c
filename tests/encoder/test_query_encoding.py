"""Query encoding under load: micro-batching of concurrent callers, and text without padding."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import torch

from encoder import Encoder, quantize
from encoder.batching import MicroBatcher
from encoder.images import load_image
from encoder.scripted import compile_module, first_token_pooled, text_tower
from encoder.text_trim import encode_trimmed_text, trimmed_text_matches
from indexer import Settings

TEXTS = ["black leather watch", "red", "women blue denim jeans for summer casual wear", "white sneakers",
         "green kurta", "navy formal shirt for men", "x", "brown handbag"]


def test_concurrent_single_queries_share_forward_passes_and_get_their_own_vectors() -> None:
    calls: list[int] = []
    gate = threading.Event()

    def run(items: Sequence[int]) -> np.ndarray:
        calls.append(len(items))
        if len(calls) == 1:
            gate.wait(5)  # hold the first batch so that the others queue up behind it
        return np.array([[float(i), float(i) * 2] for i in items], dtype=np.float32)

    batcher: MicroBatcher[int] = MicroBatcher(run, max_batch=32)
    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(batcher.submit, 0)]
        _wait_for(lambda: len(calls) == 1)
        futures += [pool.submit(batcher.submit, i) for i in range(1, 8)]
        _wait_for(lambda: len(batcher._pending) == 7)
        gate.set()
        results = [f.result(timeout=10) for f in futures]
    for i, row in enumerate(results):
        np.testing.assert_array_equal(row, [i, 2 * i])
    assert sum(calls) == 8 and len(calls) == 2  # one lone first pass, then the seven waiting together


def test_a_failing_item_fails_alone() -> None:
    calls: list[list[str]] = []
    gate = threading.Event()

    def run(items: Sequence[str]) -> np.ndarray:
        calls.append(list(items))
        if len(calls) == 1:
            gate.wait(5)
        if "poison" in items:
            raise ValueError("cannot encode poison")
        return np.ones((len(items), 3), dtype=np.float32)

    batcher: MicroBatcher[str] = MicroBatcher(run)
    with ThreadPoolExecutor(4) as pool:
        first = pool.submit(batcher.submit, "first")
        _wait_for(lambda: len(calls) == 1)
        futures = {item: pool.submit(batcher.submit, item) for item in ("a", "poison", "b")}
        _wait_for(lambda: len(batcher._pending) == 3)
        gate.set()
        assert first.result(timeout=10).shape == (3,)
        assert futures["a"].result(timeout=10).shape == (3,)
        assert futures["b"].result(timeout=10).shape == (3,)
        with pytest.raises(ValueError, match="poison"):
            futures["poison"].result(timeout=10)
    # the batch of three failed, then each was run alone
    assert sorted(map(tuple, calls[1:])) == [("a",), ("a", "poison", "b"), ("b",), ("poison",)]


def _wait_for(condition: Callable[[], bool], timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_threads_get_the_vectors_a_batch_call_gives(tiny_model_dir: Path, encoder: Encoder,
                                                    catalog_dir: Path) -> None:
    # Float weights: exactly the batch call's vectors, however the threads were batched.
    exact = Encoder.load(str(tiny_model_dir), device="cpu", int8_text=False)
    expected = exact.embed_texts(TEXTS)
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(exact.embed_text, TEXTS * 4))
    np.testing.assert_allclose(np.stack(got), np.concatenate([expected] * 4), atol=1e-5)
    # int8 weights quantize each batch's activations together, so a vector moves a little
    # with the batch it shared.
    expected = encoder.embed_texts(TEXTS)
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(encoder.embed_text, TEXTS * 4))
    cosine = (np.stack(got) * np.concatenate([expected] * 4)).sum(axis=1)
    assert cosine.min() >= quantize.MIN_COSINE
    images = sorted((catalog_dir / "images").glob("*.jpg"))[:6]
    expected_images = encoder.embed_images(images)
    with ThreadPoolExecutor(6) as pool:
        got_images = list(pool.map(encoder.embed_image, images))
    np.testing.assert_allclose(np.stack(got_images), expected_images, atol=1e-5)


def test_trimmed_text_equals_the_padded_encoding(encoder: Encoder) -> None:
    assert encoder.trims_text  # open_clip's CLIP with a causal text tower
    tokens = encoder.tokenizer(TEXTS)
    assert int((tokens != 0).sum(1).max()) < tokens.shape[1]  # there was padding to cut
    with torch.no_grad():
        padded = encoder.model.encode_text(tokens)
        trimmed = encode_trimmed_text(encoder.model, tokens)
    assert trimmed.shape == padded.shape
    torch.testing.assert_close(trimmed, padded, atol=1e-5, rtol=1e-4)


def test_a_bidirectional_text_tower_keeps_the_padding(tiny_model_dir: Path) -> None:
    fresh = Encoder.load(str(tiny_model_dir), device="cpu")
    fresh.model.attn_mask = None  # every position sees every other: padding changes the output
    assert not trimmed_text_matches(fresh.model, fresh.tokenizer, fresh.device)


def test_compiled_towers_give_the_eager_vectors(tiny_model_dir: Path, catalog_dir: Path) -> None:
    fresh = Encoder.load(str(tiny_model_dir), device="cpu", int8_text=False)
    assert (fresh.text_tower_kind, fresh.image_tower_kind) == ("torchscript", "torchscript")
    tokens = fresh.tokenizer(TEXTS)
    photos = sorted((catalog_dir / "images").glob("*.jpg"))[:4]
    pixels = torch.stack([fresh.preprocess(load_image(p)) for p in photos])
    with torch.inference_mode():
        torch.testing.assert_close(fresh._text_tower(tokens), fresh.model.encode_text(tokens),
                                   atol=1e-5, rtol=1e-4)
        torch.testing.assert_close(fresh._image_tower(pixels), fresh.model.encode_image(pixels),
                                   atol=1e-5, rtol=1e-4)


def test_the_default_text_tower_on_cpu_has_int8_weights_and_near_float_vectors(encoder: Encoder) -> None:
    assert encoder.text_tower_kind == "torchscript-int8"
    quantized = [m for m in encoder._text_tower.modules() if m.original_name == "LinearPackedParams"]
    assert quantized, "no int8 linear layer in the compiled text tower"
    tokens = encoder.tokenizer(TEXTS)
    with torch.inference_mode():
        cosine = torch.nn.functional.cosine_similarity(encoder._text_tower(tokens),
                                                       encoder.model.encode_text(tokens), dim=-1)
    assert float(cosine.min()) >= quantize.MIN_COSINE
    assert float(cosine.min()) < 1.0 - 1e-7  # the weights really changed: not the float tower


def test_int8_text_is_a_setting_and_a_tower_that_strays_stays_float(
    tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VITRINE_TEXT_INT8", "0")
    assert Encoder.load(str(tiny_model_dir), device="cpu").text_tower_kind == "torchscript"
    assert Settings.from_env().text_int8 is False
    monkeypatch.delenv("VITRINE_TEXT_INT8")
    monkeypatch.setattr(quantize, "MIN_COSINE", 1.01)  # no int8 tower can be this close
    assert Encoder.load(str(tiny_model_dir), device="cpu").text_tower_kind == "torchscript"


def test_a_tower_that_does_not_compile_stays_eager(tiny_model_dir: Path) -> None:
    fresh = Encoder.load(str(tiny_model_dir), device="cpu")
    fresh.model.text_pool_type = "last"  # a pooling the compiled module does not implement
    tower, kind = text_tower(fresh.model, fresh.tokenizer, fresh.device, trims=True)
    assert kind == "eager"
    tokens = fresh.tokenizer(TEXTS)
    with torch.inference_mode():
        torch.testing.assert_close(tower(tokens), encode_trimmed_text(fresh.model, tokens))


def test_a_modified_resnet_pools_only_the_token_it_returns_with_the_same_vectors() -> None:
    from open_clip.modified_resnet import ModifiedResNet

    torch.manual_seed(0)
    visual = ModifiedResNet(layers=[1, 1, 1, 1], output_dim=32, heads=2, image_size=64, width=8).eval()
    pooled = first_token_pooled(visual)
    assert pooled is not None
    compiled = compile_module(pooled)
    pixels = torch.randn(3, 3, 64, 64)
    with torch.inference_mode():
        torch.testing.assert_close(compiled(pixels), visual(pixels), atol=1e-5, rtol=1e-4)
    visual.attnpool = torch.nn.Sequential()  # not open_clip's AttentionPool2d: compiled as it is
    assert first_token_pooled(visual) is None
