"""Encoder: loading from local files only, embedding, fusion, image decoding limits."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from encoder import (
    Encoder,
    ImageDecodeError,
    ModelNotFoundError,
    ModelSpecError,
    fuse,
    load_image,
    resolve_spec,
)
from encoder.images import MAX_PIXELS


def test_embeddings_are_unit_float32(encoder: Encoder, catalog_dir: Path) -> None:
    images = sorted((catalog_dir / "images").glob("*.jpg"))[:5]
    vectors = encoder.embed_images(images)
    assert vectors.dtype == np.float32 and vectors.shape == (5, encoder.dim)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    texts = encoder.embed_texts(["black watch", "red summer dress", ""])
    assert texts.shape == (3, encoder.dim)
    np.testing.assert_allclose(np.linalg.norm(texts, axis=1), 1.0, atol=1e-5)


def test_image_sources_agree(encoder: Encoder, catalog_dir: Path) -> None:
    path = sorted((catalog_dir / "images").glob("*.jpg"))[0]
    from_path = encoder.embed_image(path)
    from_bytes = encoder.embed_image(path.read_bytes())
    from_pil = encoder.embed_image(Image.open(path))
    np.testing.assert_allclose(from_path, from_bytes, atol=1e-6)
    np.testing.assert_allclose(from_path, from_pil, atol=1e-6)


def test_batching_does_not_change_vectors(encoder: Encoder, catalog_dir: Path) -> None:
    images = sorted((catalog_dir / "images").glob("*.jpg"))[:7]
    np.testing.assert_allclose(
        encoder.embed_images(images, batch_size=3), encoder.embed_images(images), atol=1e-5
    )


def test_identity_records_name_and_checksum(encoder: Encoder, tiny_model_dir: Path) -> None:
    from encoder.loading import file_checksum

    checksum = file_checksum(tiny_model_dir / "open_clip_model.safetensors")
    assert encoder.identity.name == "tiny-clip"
    assert encoder.identity.checksum == checksum
    assert encoder.model_id == f"tiny-clip@{checksum[:12]}"


def test_missing_weights_say_what_to_provide(tmp_path: Path, tiny_model_dir: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="does not exist"):
        Encoder.load(str(tmp_path / "nowhere"))
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "open_clip_config.json").write_text((tiny_model_dir / "open_clip_config.json").read_text())
    with pytest.raises(ModelNotFoundError, match="no weights file"):
        Encoder.load(str(broken))
    with pytest.raises(ModelNotFoundError, match=r"weights\.bin for ViT-B-32 does not exist"):
        resolve_spec(f"ViT-B-32:{tmp_path}/weights.bin")


def test_pretrained_tag_is_never_downloaded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # An empty cache: the tag's weights are absent, so loading must refuse (not fetch) and explain.
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf"))
    monkeypatch.setenv("HOME", str(tmp_path))
    import huggingface_hub.constants as hf_constants

    monkeypatch.setattr(hf_constants, "HF_HUB_CACHE", str(tmp_path / "hf"))
    with pytest.raises(ModelNotFoundError, match="never downloaded"):
        resolve_spec("ViT-B-32:laion2b_s34b_b79k")


def test_bad_specs_are_spec_errors() -> None:
    with pytest.raises(ModelSpecError, match="unknown open_clip architecture"):
        resolve_spec("NoSuchNet:/tmp/x.pt")
    with pytest.raises(ModelSpecError, match="cannot read model spec"):
        resolve_spec("justaword")
    with pytest.raises(ModelSpecError, match="no pretrained tag"):
        resolve_spec("ViT-B-32:not_a_tag")


def test_random_spec_builds_the_architecture(tiny_model_dir: Path) -> None:
    floor = Encoder.load(f"random:{tiny_model_dir}", device="cpu")
    assert floor.dim == 64
    assert floor.model_id.startswith("random:tiny-clip@seed")


def test_fuse_matches_the_formula() -> None:
    rng = np.random.default_rng(0)
    e_image, e_text = rng.normal(size=(2, 16)).astype(np.float32)
    e_image /= np.linalg.norm(e_image)
    e_text /= np.linalg.norm(e_text)
    q = fuse(e_image, e_text, 0.25)
    expected = 0.25 * e_image + 0.75 * e_text
    np.testing.assert_allclose(q, expected / np.linalg.norm(expected), atol=1e-6)
    np.testing.assert_allclose(fuse(e_image, e_text, 0.0), e_text, atol=1e-6)
    np.testing.assert_allclose(fuse(e_image, e_text, 1.0), e_image, atol=1e-6)
    np.testing.assert_allclose(fuse(None, e_text, 0.9), e_text, atol=1e-6)
    with pytest.raises(ValueError, match="alpha"):
        fuse(e_image, e_text, 1.5)
    with pytest.raises(ValueError, match="needs"):
        fuse(None, None, 0.5)


def test_bad_images_are_decode_errors(catalog_dir: Path, tmp_path: Path) -> None:
    real = sorted((catalog_dir / "images").glob("*.jpg"))[0].read_bytes()
    with pytest.raises(ImageDecodeError):
        load_image(real[: len(real) // 3])  # truncated JPEG
    with pytest.raises(ImageDecodeError):
        load_image(b"GIF89a not really a gif")
    with pytest.raises(ImageDecodeError):
        load_image(tmp_path / "missing.jpg")
    # A decompression bomb: a tiny PNG that claims more pixels than the limit allows.
    side = int(MAX_PIXELS**0.5) + 100
    buf = io.BytesIO()
    Image.new("1", (side, side)).save(buf, format="PNG")
    assert len(buf.getvalue()) < 200_000
    with pytest.raises(ImageDecodeError, match="limit"):
        load_image(buf.getvalue())
    assert load_image(real).size == (224, 224)
