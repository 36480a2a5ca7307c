"""The compiled text tower kept on disk for the command line (encoder/text_cache.py): read back,
it gives the freshly built tower's vectors; damaged, stale or unwritable, it is rebuilt and
never fails a load."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from encoder import Encoder, text_cache
from encoder.clip_tokenizer import simple_tokenizer
from encoder.loading import resolve_spec
from tests.conftest import REPO, make_tiny_model

TEXTS = ["black leather watch", "Men's BLUE Jeans, 2-pack!", "x", "ünïcödé kurta for women",
         "navy formal shirt for men with a very long description that runs past the context length "
         "of the tiny model's text tower, which is thirty-two tokens"]


def _files(cache: Path) -> list[str]:
    return sorted(p.name for p in cache.iterdir()) if cache.is_dir() else []


@pytest.mark.parametrize("int8", [True, False])
def test_a_cached_tower_gives_the_freshly_built_vectors(tiny_model_dir: Path, tmp_path: Path,
                                                        catalog_dir: Path, int8: bool) -> None:
    cache = tmp_path / "cache"
    fresh = Encoder.load(str(tiny_model_dir), device="cpu", int8_text=int8, text_cache=cache)
    assert [name.rsplit(".", 1)[1] for name in _files(cache)] == ["json", "pt"]

    cached = Encoder.load(str(tiny_model_dir), device="cpu", int8_text=int8, lazy_image=True,
                          text_cache=cache, one_shot=True)
    assert cached._model is None  # the text tower came from the cache, not from the model
    assert (cached.text_tower_kind, cached.dim, cached.model_id) == (
        fresh.text_tower_kind, fresh.dim, fresh.model_id)
    assert cached.text_tower_kind == ("torchscript-int8" if int8 else "torchscript")
    assert cached.tokenizer(TEXTS).tolist() == fresh.tokenizer(TEXTS).tolist()
    for text in TEXTS:  # one query at a time, as the command line and the API embed them
        np.testing.assert_array_equal(cached.embed_text(text), fresh.embed_text(text))
    np.testing.assert_array_equal(cached.embed_texts(TEXTS), fresh.embed_texts(TEXTS))

    photo = sorted((catalog_dir / "images").glob("*.jpg"))[0]  # a photo loads the model after all
    np.testing.assert_allclose(cached.embed_image(photo), fresh.embed_image(photo), atol=1e-6)
    assert cached._model is not None and cached.image_tower_kind == fresh.image_tower_kind


def test_a_text_query_from_the_cache_loads_no_open_clip_and_gets_the_same_vector(
    tiny_model_dir: Path, tmp_path: Path, encoder: Encoder
) -> None:
    cache = tmp_path / "cache"
    Encoder.load(str(tiny_model_dir), device="cpu", text_cache=cache)
    heavy = ("open_clip", "torchvision", "timm", "torch._dynamo")
    probe = ("import json, sys\nfrom encoder import load_encoder\n"
             f"e = load_encoder({str(tiny_model_dir)!r}, 'cpu', lazy_image=True, "
             f"text_cache=__import__('pathlib').Path({str(cache)!r}), one_shot=True)\n"
             "vector = e.embed_text('black leather watch').tolist()\n"
             f"print(json.dumps([sorted(m for m in {heavy!r} if m in sys.modules), vector]))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120,
                          cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no deprecation notice from torch.jit.load or quantized tensors
    loaded, vector = json.loads(done.stdout)
    assert loaded == []
    expected = encoder.embed_text("black leather watch")
    np.testing.assert_array_equal(np.array(vector, dtype=np.float32), expected)


def _flip_a_byte(archive: Path, record: Path) -> None:
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 1  # loads without complaint: only the recorded SHA-256 tells
    archive.write_bytes(bytes(data))


def _truncate(archive: Path, record: Path) -> None:
    archive.write_bytes(archive.read_bytes()[:1000])


def _garble_record(archive: Path, record: Path) -> None:
    record.write_text("{not json")


def _other_weights(archive: Path, record: Path) -> None:
    meta = json.loads(record.read_text())
    meta["key"]["weights"] = "0" * 64
    record.write_text(json.dumps(meta))


def _other_vectors(archive: Path, record: Path) -> None:
    meta = json.loads(record.read_text())
    meta["probe_vectors"][0][0] += 0.01  # as if this machine's kernels computed something else
    record.write_text(json.dumps(meta))


def _other_tokens(archive: Path, record: Path) -> None:
    meta = json.loads(record.read_text())
    meta["probe_tokens"][0][1] += 1
    record.write_text(json.dumps(meta))


@pytest.mark.parametrize("damage", [_flip_a_byte, _truncate, _garble_record, _other_weights, _other_vectors,
                                    _other_tokens])
def test_a_damaged_or_stale_cache_is_rebuilt_not_fatal(
    tiny_model_dir: Path, tmp_path: Path, encoder: Encoder, damage: Callable[[Path, Path], None]
) -> None:
    cache = tmp_path / "cache"
    Encoder.load(str(tiny_model_dir), device="cpu", text_cache=cache)
    identity = resolve_spec(str(tiny_model_dir)).identity
    archive, record = (cache / name for name in _files(cache)[::-1])
    damage(archive, record)
    assert text_cache.load(cache, identity, True) is None

    rebuilt = Encoder.load(str(tiny_model_dir), device="cpu", lazy_image=True, text_cache=cache)
    assert rebuilt._model is not None  # built from the model, not read from the damaged files
    np.testing.assert_array_equal(rebuilt.embed_text("black leather watch"),
                                  encoder.embed_text("black leather watch"))
    assert text_cache.load(cache, identity, True) is not None  # and written again, whole
    again = Encoder.load(str(tiny_model_dir), device="cpu", lazy_image=True, text_cache=cache)
    assert again._model is None


def test_a_tower_is_cached_per_model_and_setting(tiny_model_dir: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    Encoder.load(str(tiny_model_dir), device="cpu", text_cache=cache)
    other_dir = make_tiny_model(tmp_path / "other-clip", seed=1)
    other = Encoder.load(str(other_dir), device="cpu", lazy_image=True, text_cache=cache)
    assert other._model is not None  # not the first model's tower
    fresh_other = Encoder.load(str(other_dir), device="cpu")
    np.testing.assert_array_equal(other.embed_text("red dress"), fresh_other.embed_text("red dress"))
    assert len(_files(cache)) == 2  # the other model's tower replaced the first one's
    floats = Encoder.load(str(other_dir), device="cpu", int8_text=False, lazy_image=True, text_cache=cache)
    assert floats._model is not None and floats.text_tower_kind == "torchscript"
    identity = resolve_spec(str(tiny_model_dir)).identity
    assert text_cache.cache_key(identity, True) != text_cache.cache_key(identity, False)


def test_a_cache_that_cannot_be_written_or_a_tokenizer_it_cannot_rebuild_is_skipped(
    tiny_model_dir: Path, tmp_path: Path, encoder: Encoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patch:  # the code the key names cannot be read: no cache at all
        patch.setattr(text_cache, "_BUILDERS", (*text_cache._BUILDERS, "missing.py"))
        loaded = Encoder.load(str(tiny_model_dir), device="cpu", lazy_image=True, text_cache=tmp_path / "c")
        np.testing.assert_array_equal(loaded.embed_text("red"), encoder.embed_text("red"))
        assert _files(tmp_path / "c") == []

    blocked = tmp_path / "a-file"
    blocked.write_text("not a directory")
    loaded = Encoder.load(str(tiny_model_dir), device="cpu", lazy_image=True, text_cache=blocked / "cache")
    np.testing.assert_array_equal(loaded.embed_text("red"), encoder.embed_text("red"))
    assert blocked.read_text() == "not a directory"

    identity = encoder.identity
    other_tokenizer = simple_tokenizer(16)  # not the context length the record would name...
    other_tokenizer.vocab_size += 1  # ...and not the default vocabulary: only open_clip rebuilds it
    assert not text_cache.store(tmp_path / "cache", identity, True, encoder._text_tower,
                                encoder.text_tower_kind, other_tokenizer)
    assert not text_cache.store(tmp_path / "cache", identity, True, encoder._text_tower, "eager",
                                encoder.tokenizer)
    assert _files(tmp_path / "cache") == []
