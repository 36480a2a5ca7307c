"""Resolving a model spec to open_clip weights that are already on disk.

A spec is one of:

- ``default``: the model shipped in ``encoder/models/``.
- a directory (optionally prefixed ``local-dir:``) in open_clip's Hugging Face layout:
  ``open_clip_config.json`` beside ``open_clip_model.safetensors`` (or ``*.bin``).
  A snapshot of ``Marqo/marqo-fashionSigLIP`` or ``laion/CLIP-ViT-B-32-...`` works as is.
- ``ARCH:/path/to/weights.{pt,bin,safetensors}``: a built-in open_clip architecture
  with a local checkpoint file.
- ``ARCH:TAG``: an open_clip pretrained tag (``ViT-B-32:laion2b_s34b_b79k``) whose
  weights are already in the Hugging Face or open_clip cache. Nothing is downloaded.
- ``random:ARCH`` or ``random:DIR``: the architecture with random weights (seeded),
  the floor that quality benchmarks compare against.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from encoder.errors import ModelNotFoundError, ModelSpecError

MODELS_DIR = Path(__file__).resolve().parent / "models"
DEFAULT_MODEL_NAME = "vitrine-fashion"
CONFIG_FILE = "open_clip_config.json"
WEIGHTS_FILE = "open_clip_model.safetensors"
RANDOM_SEED = 0


@dataclass(frozen=True, kw_only=True)
class ModelIdentity:
    """What every stored vector records about the model that made it."""

    name: str
    checksum: str

    def __str__(self) -> str:
        return f"{self.name}@{self.checksum[:12]}"


@dataclass(frozen=True, kw_only=True)
class ResolvedSpec:
    """A spec turned into arguments for ``open_clip.create_model_and_transforms``."""

    model_name: str  # what open_clip is asked for (may carry the ``local-dir:`` schema)
    pretrained: str | None  # a weights file for a built-in architecture, else None
    load_weights: bool
    identity: ModelIdentity
    directory: Path | None = None  # a model directory's path (where its calibration lives)


def file_checksum(path: Path) -> str:
    """SHA-256 of a file, read in chunks so a 600 MB checkpoint does not sit in memory twice."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _weights_in_dir(directory: Path) -> Path | None:
    for name in (WEIGHTS_FILE, "open_clip_pytorch_model.safetensors", "open_clip_pytorch_model.bin"):
        if (directory / name).is_file():
            return directory / name
    found = sorted(directory.glob("*.safetensors")) + sorted(directory.glob("*.bin"))
    return found[0] if found else None


def _resolve_dir(directory: Path) -> ResolvedSpec:
    if not (directory / CONFIG_FILE).is_file():
        raise ModelNotFoundError(
            f"model directory {directory} has no {CONFIG_FILE}; a model directory holds "
            f"{CONFIG_FILE} and {WEIGHTS_FILE} (open_clip's Hugging Face layout)"
        )
    weights = _weights_in_dir(directory)
    if weights is None:
        raise ModelNotFoundError(
            f"model directory {directory} has {CONFIG_FILE} but no weights file; "
            f"put {WEIGHTS_FILE} (or open_clip_pytorch_model.bin) beside it"
        )
    return ResolvedSpec(
        model_name=f"local-dir:{directory}",
        pretrained=None,
        load_weights=True,
        identity=ModelIdentity(name=directory.name, checksum=file_checksum(weights)),
        directory=directory,
    )


def _cached_pretrained_file(arch: str, tag: str) -> Path | None:
    """Where open_clip would have stored ``arch:tag``'s weights, if they are present."""
    import open_clip  # heavy import kept off the module import path

    cfg = open_clip.get_pretrained_cfg(arch, tag)
    if not cfg:
        known = ", ".join(t for a, t in open_clip.list_pretrained() if a == arch) or "none"
        raise ModelSpecError(f"open_clip has no pretrained tag {tag!r} for {arch}; known: {known}")
    if cfg.get("hf_hub"):
        from huggingface_hub import try_to_load_from_cache

        repo_id = "/".join(cfg["hf_hub"].rstrip("/").split("/")[:2])
        for filename in ("open_clip_model.safetensors", "open_clip_pytorch_model.bin"):
            hit = try_to_load_from_cache(repo_id, filename)
            if isinstance(hit, str):
                return Path(hit)
    if cfg.get("url"):
        candidate = Path(os.path.expanduser("~/.cache/clip")) / os.path.basename(cfg["url"])
        if candidate.is_file():
            return candidate
    return None


def _open_clip_models() -> list[str]:
    # open_clip is imported only for a spec that names one of its architectures: its package
    # imports torchvision and timm (seconds), which a model directory does not need.
    import open_clip

    return list(open_clip.list_models())


def resolve_spec(spec: str | None) -> ResolvedSpec:
    """Turn a model spec into what open_clip needs, without touching the network.

    Raises:
        ModelNotFoundError: the weights are not on disk; the message names the file or tag.
        ModelSpecError: the spec is malformed or the architecture is unknown.
    """
    spec = (spec or "default").strip()
    if spec == "default":
        directory = MODELS_DIR / DEFAULT_MODEL_NAME
        if not (directory / CONFIG_FILE).is_file():
            raise ModelNotFoundError(
                f"the default model is missing from {directory}; train it with "
                "`vitrine train --catalog ../shared/catalog` or set VITRINE_MODEL to a model "
                "directory, ARCH:/path/to/weights or an open_clip ARCH:TAG already in the cache"
            )
        return _resolve_dir(directory)
    if spec.startswith("random:"):
        arch = spec.removeprefix("random:")
        path = Path(arch.removeprefix("local-dir:"))
        if path.is_dir():
            return ResolvedSpec(
                model_name=f"local-dir:{path}",
                pretrained=None,
                load_weights=False,
                identity=ModelIdentity(name=f"random:{path.name}", checksum=f"seed{RANDOM_SEED}"),
            )
        if arch not in _open_clip_models():
            raise ModelSpecError(f"unknown open_clip architecture {arch!r}")
        return ResolvedSpec(
            model_name=arch,
            pretrained=None,
            load_weights=False,
            identity=ModelIdentity(name=f"random:{arch}", checksum=f"seed{RANDOM_SEED}"),
        )
    as_path = Path(spec.removeprefix("local-dir:")).expanduser()
    looks_like_path = spec.startswith(("/", ".", "~")) or ("/" in spec and ":" not in spec)
    if spec.startswith("local-dir:") or as_path.is_dir() or looks_like_path:
        if not as_path.is_dir():
            raise ModelNotFoundError(f"model directory {as_path} does not exist")
        return _resolve_dir(as_path.resolve())
    arch, sep, source = spec.partition(":")
    if not sep or not source:
        raise ModelSpecError(
            f"cannot read model spec {spec!r}: expected 'default', a model directory, "
            "ARCH:/path/to/weights, ARCH:TAG or random:ARCH"
        )
    if arch not in _open_clip_models():
        raise ModelSpecError(f"unknown open_clip architecture {arch!r} in spec {spec!r}")
    weights = Path(source).expanduser()
    if "/" in source or weights.suffix in {".pt", ".pth", ".bin", ".safetensors"}:
        if not weights.is_file():
            raise ModelNotFoundError(f"weights file {weights} for {arch} does not exist")
        return ResolvedSpec(
            model_name=arch,
            pretrained=str(weights),
            load_weights=True,
            identity=ModelIdentity(name=f"{arch}:{weights.name}", checksum=file_checksum(weights)),
        )
    cached = _cached_pretrained_file(arch, source)
    if cached is None:
        raise ModelNotFoundError(
            f"weights for open_clip {arch}:{source} are not on this machine and are never "
            "downloaded at run time. On a machine with network access run "
            f"`python -c \"import open_clip; open_clip.create_model('{arch}', "
            f"pretrained='{source}')\"` and copy the cache (~/.cache/huggingface or "
            f"~/.cache/clip) here, or set VITRINE_MODEL={arch}:/path/to/weights"
        )
    return ResolvedSpec(
        model_name=arch,
        pretrained=str(cached),
        load_weights=True,
        identity=ModelIdentity(name=f"{arch}:{source}", checksum=file_checksum(cached)),
    )
