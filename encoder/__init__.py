"""Encoder: open_clip models from local files, image/text embedding and query fusion.

Names are imported on first use (PEP 562) so that importing a light part of the package
(``vitrine --help``, settings, filters) does not load torch or the Qdrant client."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lazy import lazy_exports

if TYPE_CHECKING:
    from encoder.embedder import Encoder, load_encoder, pick_device
    from encoder.errors import EncoderError, ImageDecodeError, ModelNotFoundError, ModelSpecError
    from encoder.fusion import fuse, normalize
    from encoder.images import MAX_PIXELS, load_image
    from encoder.loading import ModelIdentity, resolve_spec
    from encoder.model_dir import save_model_dir

_EXPORTS = {
    "Encoder": "encoder.embedder",
    "load_encoder": "encoder.embedder",
    "pick_device": "encoder.embedder",
    "EncoderError": "encoder.errors",
    "ImageDecodeError": "encoder.errors",
    "ModelNotFoundError": "encoder.errors",
    "ModelSpecError": "encoder.errors",
    "fuse": "encoder.fusion",
    "normalize": "encoder.fusion",
    "MAX_PIXELS": "encoder.images",
    "load_image": "encoder.images",
    "ModelIdentity": "encoder.loading",
    "resolve_spec": "encoder.loading",
    "save_model_dir": "encoder.model_dir",
}

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


# Import an exported name from its module on first use, then keep it here.
__getattr__ = lazy_exports(__name__, _EXPORTS, globals())
