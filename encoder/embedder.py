"""The Encoder: one open_clip model turning product photos and shopper text into vectors."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from encoder.errors import ModelNotFoundError
from encoder.fusion import normalize
from encoder.images import ImageSource, load_image
from encoder.loading import RANDOM_SEED, ModelIdentity, resolve_spec

log = logging.getLogger(__name__)


def pick_device(requested: str | None = None) -> torch.device:
    """CUDA when present (or asked for), CPU otherwise."""
    if requested:
        return torch.device(requested)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


class Encoder:
    """Embeds images and texts into L2-normalised float32 vectors of one shared space.

    The model's own preprocessing and tokenizer are used, so any open_clip model
    (the shipped default, ViT-B-32 weights, Marqo-FashionSigLIP) plugs in unchanged.
    Thread-safe: inference runs under a lock so one process can serve many requests.
    """

    def __init__(
        self,
        model: torch.nn.Module,
        preprocess: Any,
        tokenizer: Any,
        identity: ModelIdentity,
        device: torch.device,
    ) -> None:
        self.model = model.eval().to(device)
        self.preprocess = preprocess
        self.tokenizer = tokenizer
        self.identity = identity
        self.device = device
        self._lock = threading.Lock()
        with torch.no_grad():
            probe = self.tokenizer(["probe"]).to(device)
            self.dim = int(self.model.encode_text(probe).shape[-1])

    @classmethod
    def load(cls, spec: str | None = None, device: str | None = None) -> Encoder:
        """Load the model named by ``spec`` (see ``encoder.loading``) from local files.

        Raises:
            ModelNotFoundError: the weights are not on disk (the message says how to provide them).
            ModelSpecError: the spec cannot be understood.
        """
        import open_clip

        resolved = resolve_spec(spec)
        torch_device = pick_device(device)
        if not resolved.load_weights:
            torch.manual_seed(RANDOM_SEED)
        try:
            model, _, preprocess = open_clip.create_model_and_transforms(
                resolved.model_name,
                pretrained=resolved.pretrained,
                load_weights=resolved.load_weights,
                device=torch_device,
                # Towers with their own pretrained base weights (timm, HF) must not fetch them.
                pretrained_text=False,
                pretrained_image=False,
            )
            tokenizer = open_clip.get_tokenizer(resolved.model_name)
        except (OSError, RuntimeError, ValueError) as e:
            raise ModelNotFoundError(
                f"could not load model {resolved.identity.name} ({resolved.model_name}): {e}"
            ) from e
        log.info("loaded model %s on %s", resolved.identity, torch_device)
        return cls(model, preprocess, tokenizer, resolved.identity, torch_device)

    @property
    def model_id(self) -> str:
        """Short identity string stored with every vector (name@checksum)."""
        return str(self.identity)

    def embed_images(self, images: Sequence[ImageSource], batch_size: int = 64) -> np.ndarray:
        """Embed images (PIL images, paths or bytes) into an ``(n, dim)`` float32 array.

        Raises:
            ImageDecodeError: one of the images cannot be decoded.
        """
        if not images:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = []
        for start in range(0, len(images), batch_size):
            chunk = [self.preprocess(load_image(img)) for img in images[start : start + batch_size]]
            batch = torch.stack(chunk).to(self.device)
            with self._lock, torch.no_grad():
                out.append(self.model.encode_image(batch).float().cpu().numpy())
        return normalize(np.concatenate(out))

    def embed_texts(self, texts: Sequence[str], batch_size: int = 256) -> np.ndarray:
        """Embed texts into an ``(n, dim)`` float32 array."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = []
        for start in range(0, len(texts), batch_size):
            tokens = self.tokenizer(list(texts[start : start + batch_size])).to(self.device)
            with self._lock, torch.no_grad():
                out.append(self.model.encode_text(tokens).float().cpu().numpy())
        return normalize(np.concatenate(out))

    def embed_image(self, image: ImageSource) -> np.ndarray:
        """Embed one image into a ``(dim,)`` vector."""
        return self.embed_images([image])[0]

    def embed_text(self, text: str) -> np.ndarray:
        """Embed one text into a ``(dim,)`` vector."""
        return self.embed_texts([text])[0]


def load_encoder(spec: str | None = None, device: str | None = None) -> Encoder:
    """Shorthand for ``Encoder.load``."""
    return Encoder.load(spec, device)


def model_dir_exists(path: str | Path) -> bool:
    """Whether ``path`` looks like a model directory this package can load."""
    return (Path(path) / "open_clip_config.json").is_file()
