"""The Encoder: one open_clip model turning product photos and shopper text into vectors."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from encoder import image_int8
from encoder import text_cache as text_cache_file
from encoder.batching import MicroBatcher
from encoder.errors import ModelNotFoundError
from encoder.fusion import normalize
from encoder.heads import AttributeHeads, load_heads
from encoder.images import ImageSource, load_image
from encoder.loading import RANDOM_SEED, ModelIdentity, ResolvedSpec, resolve_spec
from encoder.quantize import int8_text_wanted
from encoder.scripted import image_tower, text_tower
from encoder.text_cache import CachedTextTower
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
        one_shot: bool = False,
    ) -> None:
        self._start(tokenizer, identity, device, one_shot)
        self._model: torch.nn.Module | None = model.eval().to(device)
        self._preprocess: Any = preprocess
        with torch.no_grad():
            probe = self.tokenizer(["probe"]).to(device)
            self.dim = int(self.model.encode_text(probe).shape[-1])
        self.trims_text = trimmed_text_matches(self.model, self.tokenizer, device)
        # Compiled towers where they give the eager vectors (encoder/scripted.py says why).
        self._text_tower, self.text_tower_kind = text_tower(
            self.model, self.tokenizer, device, self.trims_text, int8_text_wanted(int8_text)
        )
        self._image_calibration = int8_image if device.type == "cpu" else None
        if not lazy_image:
            self._build_image_tower()

    def _start(self, tokenizer: Any, identity: ModelIdentity, device: torch.device, one_shot: bool) -> None:
        """The state every encoder has, however its text tower was made."""
        self.tokenizer = tokenizer
        self.identity = identity
        self.device = device
        self.one_shot = one_shot
        self._lock = threading.Lock()
        self._model_lock = threading.Lock()
        self._load_model: Callable[[], tuple[torch.nn.Module, Any, dict | None]] | None = None
        self._image_calibration: dict | None = None
        self._image_tower: Any = None
        self.image_tower_kind: str | None = None
        self._text_batcher: MicroBatcher[str] = MicroBatcher(self._text_rows)
        self._image_batcher: MicroBatcher[torch.Tensor] = MicroBatcher(self._image_rows)
        # Attribute heads over the image embedding, where the model directory ships them.
        self.heads: AttributeHeads | None = None

    @classmethod
    def with_cached_text(
        cls, cached: CachedTextTower, identity: ModelIdentity, device: torch.device,
        load_model: Callable[[], tuple[torch.nn.Module, Any, dict | None]], one_shot: bool = False,
    ) -> Encoder:
        """An encoder whose text tower was read from the cache (``encoder/text_cache.py``): the
        model itself (open_clip, the image tower) is loaded by ``load_model`` -> (model,
        preprocess, int8 image calibration) when something first needs it, e.g. a photo."""
        self = cls.__new__(cls)
        self._start(cached.tokenizer, identity, device, one_shot)
        self._model, self._preprocess = None, None
        self._load_model = load_model
        self.dim = cached.dim
        self.trims_text = True  # only trimmed towers are cached
        self._text_tower, self.text_tower_kind = cached.module, cached.kind
        return self

    def _full_model(self) -> tuple[torch.nn.Module, Any]:
        with self._model_lock:
            if self._model is None:
                assert self._load_model is not None
                model, preprocess, calibration = self._load_model()
                self._model, self._preprocess = model.eval().to(self.device), preprocess
                self._image_calibration = calibration if self.device.type == "cpu" else None
            return self._model, self._preprocess

    @property
    def model(self) -> torch.nn.Module:
        """The open_clip model (loaded at first use by an encoder made ``with_cached_text``)."""
        return self._model if self._model is not None else self._full_model()[0]

    @property
    def preprocess(self) -> Any:
        """The model's image preprocessing (loaded with the model)."""
        return self._preprocess if self._model is not None else self._full_model()[1]

    def _build_image_tower(self) -> None:
        # Compiling and checking the image tower is a good part of loading a model: a one-shot
        # text search from the command line (lazy_image) leaves it until a photo comes.
        probe = self.preprocess(_probe_image())[None].to(self.device)
        self._image_tower, self.image_tower_kind = image_tower(self.model, probe, self._image_calibration)

    @classmethod
    def load(
        cls, spec: str | None = None, device: str | None = None, threads: int = 0,
        int8_text: bool | None = None, int8_image: bool | None = None, lazy_image: bool = False,
        text_cache: Path | None = None, one_shot: bool = False,
    ) -> Encoder:
        """Load the model named by ``spec`` (see ``encoder.loading``) from local files.

        ``threads`` sets torch's CPU threads for the process (0: see ``cpu_threads``).
        ``int8_text``: int8 linear layers in the text tower on CPU (None: VITRINE_TEXT_INT8,
        on by default; see ``encoder.quantize``). ``int8_image``: the image tower in int8 on
        CPU where the model directory holds a calibration (None: VITRINE_IMAGE_INT8, on by
        default; see ``encoder.image_int8``). ``lazy_image``: build the image tower at the first
        image instead of now (for a process that may embed none). ``text_cache``: a directory
        that keeps the compiled text tower between processes (``encoder/text_cache.py``, CPU
        only): with ``lazy_image`` the tower is read from there when it holds one for this model,
        and the model itself (open_clip) is loaded only if an image comes; after a build, the
        tower is written there. ``one_shot``: the process encodes a query or two and exits (the
        command line): the text tower then runs without TorchScript's profiling and optimising
        passes, which cost more over its first two calls (0.3 s) than they save on one.

        Raises:
            ModelNotFoundError: the weights are not on disk (the message says how to provide them).
            ModelSpecError: the spec cannot be understood.
        """
        resolved = resolve_spec(spec)
        torch_device = pick_device(device)
        if torch_device.type == "cpu":
            torch.set_num_threads(cpu_threads(threads))
        int8 = int8_text_wanted(int8_text)
        # Random weights are not worth a file; a GPU tower is not built in the CLI's way.
        cache = text_cache if torch_device.type == "cpu" and resolved.load_weights else None
        if cache is not None and lazy_image:
            cached = text_cache_file.load(cache, resolved.identity, int8)
            if cached is not None:
                log.info("model %s: text tower (%s) read from %s", resolved.identity, cached.kind, cache)

                def load_model() -> tuple[torch.nn.Module, Any, dict | None]:
                    model, preprocess, _, calibration = _load_model(resolved, torch_device, int8_image)
                    return model, preprocess, calibration

                encoder = cls.with_cached_text(cached, resolved.identity, torch_device, load_model, one_shot)
                encoder.heads = load_heads(resolved.directory, resolved.identity.checksum)
                return encoder
        model, preprocess, tokenizer, calibration = _load_model(resolved, torch_device, int8_image)
        encoder = cls(model, preprocess, tokenizer, resolved.identity, torch_device, int8, calibration,
                      lazy_image, one_shot)
        encoder.heads = load_heads(resolved.directory, resolved.identity.checksum)
        # Rewritten after a failed read above (stale, damaged), else only where it is missing.
        identity = resolved.identity
        if cache is not None and (lazy_image or not text_cache_file.written_for(cache, identity, int8)):
            text_cache_file.store(cache, identity, int8, encoder._text_tower, encoder.text_tower_kind,
                                  tokenizer)
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
        # Thread-local: switches off the graph executor's passes for this call only.
        passes = torch.jit.optimized_execution(False) if self.one_shot else contextlib.nullcontext()
        with self._lock, passes, torch.inference_mode():
            return self._text_tower(tokens).float().cpu().numpy()


def _load_model(
    resolved: ResolvedSpec, device: torch.device, int8_image: bool | None
) -> tuple[torch.nn.Module, Any, Any, dict | None]:
    """open_clip's model, preprocessing and tokenizer for ``resolved``, with the int8 image
    calibration where one applies."""
    import open_clip  # seconds (torchvision, timm): only where the model itself is needed

    if not resolved.load_weights:
        torch.manual_seed(RANDOM_SEED)
    try:
        model, _, preprocess = open_clip.create_model_and_transforms(
            resolved.model_name,
            pretrained=resolved.pretrained,
            load_weights=resolved.load_weights,
            device=device,
            # Towers with their own pretrained base weights (timm, HF) must not fetch them.
            pretrained_text=False,
            pretrained_image=False,
        )
        tokenizer = open_clip.get_tokenizer(resolved.model_name)
    except (OSError, RuntimeError, ValueError) as e:
        raise ModelNotFoundError(
            f"could not load model {resolved.identity.name} ({resolved.model_name}): {e}"
        ) from e
    log.info("loaded model %s on %s", resolved.identity, device)
    wanted = device.type == "cpu" and image_int8.int8_image_wanted(int8_image)
    calibration = (image_int8.load_calibration(resolved.directory, resolved.identity.checksum)
                   if wanted else None)
    return model, preprocess, tokenizer, calibration


def _probe_image() -> Image.Image:
    """A small gradient picture, to check a compiled image tower against the eager one."""
    ramp = np.linspace(0, 255, 96).astype(np.uint16)
    diagonal = (np.add.outer(ramp, ramp[::-1]) // 2).astype(np.uint8)
    return Image.fromarray(np.stack([diagonal, np.tile(ramp.astype(np.uint8), (96, 1)),
                                     np.tile(ramp.astype(np.uint8)[:, None], (1, 96))], axis=-1))


def load_encoder(
    spec: str | None = None, device: str | None = None, threads: int = 0, int8_text: bool | None = None,
    int8_image: bool | None = None, lazy_image: bool = False, text_cache: Path | None = None,
    one_shot: bool = False,
) -> Encoder:
    """Shorthand for ``Encoder.load``."""
    return Encoder.load(spec, device, threads, int8_text, int8_image, lazy_image, text_cache, one_shot)
