"""The Encoder: one open_clip model turning product photos and shopper text into vectors."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from PIL import Image

from encoder import image_int8
from encoder.batching import MicroBatcher
from encoder.errors import ModelNotFoundError
from encoder.fusion import normalize
from encoder.heads import AttributeHeads, load_heads
from encoder.images import ImageSource, load_image
from encoder.loading import RANDOM_SEED, ModelIdentity, resolve_spec
from encoder.quantize import int8_text_wanted
from encoder.scripted import image_tower, text_tower
from encoder.text_trim import trimmed_text_matches
from encoder.threads import cpu_threads

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
    Thread-safe: inference runs under a lock so one process can serve many requests, and
    single queries (``embed_text``, ``embed_image``) arriving together are micro-batched.
    """

    def __init__(
        self,
        model: torch.nn.Module,
        preprocess: Any,
        tokenizer: Any,
        identity: ModelIdentity,
        device: torch.device,
        int8_text: bool | None = None,
        int8_image: dict | None = None,
        lazy_image: bool = False,
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
        self.trims_text = trimmed_text_matches(self.model, self.tokenizer, device)
        # Compiled towers where they give the eager vectors (encoder/scripted.py says why).
        self._text_tower, self.text_tower_kind = text_tower(
            self.model, self.tokenizer, device, self.trims_text, int8_text_wanted(int8_text)
        )
        # Attribute heads over the image embedding, where the model directory ships them.
        self.heads: AttributeHeads | None = None
        self._image_calibration = int8_image if device.type == "cpu" else None
        self._image_tower: Any = None
        self.image_tower_kind: str | None = None
        if not lazy_image:
            self._build_image_tower()
        self._text_batcher: MicroBatcher[str] = MicroBatcher(self._text_rows)
        self._image_batcher: MicroBatcher[torch.Tensor] = MicroBatcher(self._image_rows)

    def _build_image_tower(self) -> None:
        # Compiling and checking the image tower is a good part of loading a model: a one-shot
        # text search from the command line (lazy_image) leaves it until a photo comes.
        probe = self.preprocess(_probe_image())[None].to(self.device)
        self._image_tower, self.image_tower_kind = image_tower(self.model, probe, self._image_calibration)

    @classmethod
    def load(
        cls, spec: str | None = None, device: str | None = None, threads: int = 0,
        int8_text: bool | None = None, int8_image: bool | None = None, lazy_image: bool = False,
    ) -> Encoder:
        """Load the model named by ``spec`` (see ``encoder.loading``) from local files.

        ``threads`` sets torch's CPU threads for the process (0: see ``cpu_threads``).
        ``int8_text``: int8 linear layers in the text tower on CPU (None: VITRINE_TEXT_INT8,
        on by default; see ``encoder.quantize``). ``int8_image``: the image tower in int8 on
        CPU where the model directory holds a calibration (None: VITRINE_IMAGE_INT8, on by
        default; see ``encoder.image_int8``). ``lazy_image``: build the image tower at the first
        image instead of now (for a process that may embed none).

        Raises:
            ModelNotFoundError: the weights are not on disk (the message says how to provide them).
            ModelSpecError: the spec cannot be understood.
        """
        import open_clip

        resolved = resolve_spec(spec)
        torch_device = pick_device(device)
        if torch_device.type == "cpu":
            torch.set_num_threads(cpu_threads(threads))
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
        wanted = torch_device.type == "cpu" and image_int8.int8_image_wanted(int8_image)
        calibration = (image_int8.load_calibration(resolved.directory, resolved.identity.checksum)
                       if wanted else None)
        encoder = cls(model, preprocess, tokenizer, resolved.identity, torch_device, int8_text, calibration,
                      lazy_image)
        encoder.heads = load_heads(resolved.directory, resolved.identity.checksum)
        return encoder

    @property
    def model_id(self) -> str:
        """Short identity string stored with every vector (name@checksum)."""
        return str(self.identity)

    def attribute_probabilities(
        self, image_vectors: np.ndarray, attributes: Sequence[str] | None = None
    ) -> dict[str, np.ndarray]:
        """``{attribute: (n, labels)}`` probabilities from the model's attribute heads for
        ``(n, dim)`` image vectors (as ``embed_images`` returns them); the labels of each are
        ``heads.labels[attribute]``. Empty when the model ships no heads.

        Raises:
            KeyError: an attribute the heads do not predict.
        """
        if self.heads is None:
            return {}
        return self.heads.probabilities(image_vectors, attributes)

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
            out.append(self._image_rows(chunk))
        return normalize(np.concatenate(out))

    def embed_texts(self, texts: Sequence[str], batch_size: int = 256) -> np.ndarray:
        """Embed texts into an ``(n, dim)`` float32 array."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = [self._text_rows(texts[start : start + batch_size])
               for start in range(0, len(texts), batch_size)]
        return normalize(np.concatenate(out))

    def embed_image(self, image: ImageSource) -> np.ndarray:
        """Embed one image into a ``(dim,)`` vector (batched with concurrent callers).

        Raises:
            ImageDecodeError: the image cannot be decoded.
        """
        # Decoding and resizing happen in the caller's thread, outside the model's lock.
        pixels = self.preprocess(load_image(image))
        return normalize(self._image_batcher.submit(pixels)[None, :])[0]

    def embed_text(self, text: str) -> np.ndarray:
        """Embed one text into a ``(dim,)`` vector (batched with concurrent callers)."""
        return normalize(self._text_batcher.submit(text)[None, :])[0]

    def _image_rows(self, pixels: Sequence[torch.Tensor]) -> np.ndarray:
        batch = torch.stack(list(pixels)).to(self.device)
        with self._lock:
            if self._image_tower is None:
                self._build_image_tower()
            with torch.inference_mode():
                return self._image_tower(batch).float().cpu().numpy()

    def _text_rows(self, texts: Sequence[str]) -> np.ndarray:
        tokens = self.tokenizer(list(texts)).to(self.device)
        with self._lock, torch.inference_mode():
            return self._text_tower(tokens).float().cpu().numpy()


def _probe_image() -> Image.Image:
    """A small gradient picture, to check a compiled image tower against the eager one."""
    ramp = np.linspace(0, 255, 96).astype(np.uint16)
    diagonal = (np.add.outer(ramp, ramp[::-1]) // 2).astype(np.uint8)
    return Image.fromarray(np.stack([diagonal, np.tile(ramp.astype(np.uint8), (96, 1)),
                                     np.tile(ramp.astype(np.uint8)[:, None], (1, 96))], axis=-1))


def load_encoder(
    spec: str | None = None, device: str | None = None, threads: int = 0, int8_text: bool | None = None,
    int8_image: bool | None = None, lazy_image: bool = False,
) -> Encoder:
    """Shorthand for ``Encoder.load``."""
    return Encoder.load(spec, device, threads, int8_text, int8_image, lazy_image)
