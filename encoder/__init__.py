"""Encoder: open_clip models from local files, image/text embedding and query fusion."""

from encoder.embedder import Encoder, load_encoder, pick_device
from encoder.errors import EncoderError, ImageDecodeError, ModelNotFoundError, ModelSpecError
from encoder.fusion import fuse, normalize
from encoder.images import MAX_PIXELS, load_image
from encoder.loading import ModelIdentity, resolve_spec
from encoder.model_dir import save_model_dir

__all__ = [
    "MAX_PIXELS",
    "Encoder",
    "EncoderError",
    "ImageDecodeError",
    "ModelIdentity",
    "ModelNotFoundError",
    "ModelSpecError",
    "fuse",
    "load_encoder",
    "load_image",
    "normalize",
    "pick_device",
    "resolve_spec",
    "save_model_dir",
]
