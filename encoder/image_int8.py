"""The image tower in int8 (static quantization), calibrated once per model on catalog photos.

A photo's encoding is the most expensive step of a search with an image. The shipped model's
image tower is a small ResNet whose convolutions run on PyTorch's generic path for one 64 px
photo; int8 weights and activations (fbgemm kernels on AVX2) make it several times faster, with
vectors close to the float ones and retrieval quality unchanged within noise (measured, with the
commands, in docs/design-figures.md).

Unlike the text tower's dynamic quantization (``encoder/quantize.py``), convolutions need the
range of every layer's activations fixed in advance: ``python -m encoder.calibrate --catalog
../shared/catalog`` runs catalog photos through the model once and stores those ranges
(observer statistics) and a handful of calibration photos in the model directory
(``CALIBRATION_FILE``; ``encoder/calibrate.py``). At load, the tower is quantized from that
file and used only if its vectors stay within ``MIN_COSINE`` of the float tower's on those
photos; a model without the file, or ``VITRINE_IMAGE_INT8=0``, keeps the float tower.
"""

from __future__ import annotations

import copy
import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch
from torch import nn

from encoder.quantize import switch_on

log = logging.getLogger(__name__)

IMAGE_INT8_ENV = "VITRINE_IMAGE_INT8"
CALIBRATION_FILE = "image_int8_calibration.pt"
# Looser than the text tower's 0.999: int8 activations in every convolution move a photo's
# vector more; retrieval quality was checked at this level (see the README).
MIN_COSINE = 0.99
CHECK_PHOTOS = 8


def int8_image_wanted(requested: bool | None = None) -> bool:
    """``requested``, or VITRINE_IMAGE_INT8 (on by default)."""
    return switch_on(IMAGE_INT8_ENV, requested)


@contextmanager
def _quiet() -> Iterator[None]:
    # torch.ao.quantization warns that it moves to torchao (see encoder/quantize.py for why
    # it is used anyway); FX tracing and quantized tensors warn about their own deprecations.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _prepared(module: nn.Module, example: torch.Tensor) -> nn.Module:
    from torch.ao.quantization import get_default_qconfig_mapping
    from torch.ao.quantization.quantize_fx import prepare_fx

    with _quiet():
        return prepare_fx(copy.deepcopy(module).eval(), get_default_qconfig_mapping("fbgemm"),
                          example_inputs=(example,))


def _observer_state(prepared: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v for k, v in prepared.state_dict().items() if "activation_post_process" in k}


def calibrate(module: nn.Module, photos: torch.Tensor, weights: str, batch: int = 32) -> dict[str, Any]:
    """Activation ranges of ``module`` (a float image tower) over ``photos``, as saved in
    ``CALIBRATION_FILE``, with the first ``CHECK_PHOTOS`` photos kept for the load-time check;
    ``weights``: the checksum of the weights they hold for."""
    prepared = _prepared(module, photos[:1])
    with torch.inference_mode():
        for start in range(0, len(photos), batch):
            prepared(photos[start : start + batch])
    return {"weights": weights, "torch": str(torch.__version__), "observers": _observer_state(prepared),
            "check": photos[:CHECK_PHOTOS].clone()}


def quantized_tower(module: nn.Module, calibration: dict[str, Any]) -> nn.Module:
    """``module`` quantized to int8 with the stored activation ranges."""
    from torch.ao.quantization.quantize_fx import convert_fx

    prepared = _prepared(module, calibration["check"][:1])
    expected = set(_observer_state(prepared))
    if expected != set(calibration["observers"]):
        raise ValueError("the calibration does not match this tower's layers")
    prepared.load_state_dict(calibration["observers"], strict=False)
    with _quiet():
        converted = convert_fx(prepared)
    # FX writes the forward's annotations back as names TorchScript cannot resolve (they are
    # strings under `from __future__ import annotations`); the types are all tensors anyway.
    for node in converted.graph.nodes:
        if node.op in ("placeholder", "output"):
            node.type = None
    converted.recompile()
    return converted


def load_calibration(directory: Path | None, weights: str) -> dict[str, Any] | None:
    """The model directory's calibration, when it exists and was made for these weights
    (``weights``: their checksum)."""
    if directory is None or not (directory / CALIBRATION_FILE).is_file():
        return None
    try:
        calibration = torch.load(directory / CALIBRATION_FILE, map_location="cpu", weights_only=True)
    except Exception as e:  # an unreadable file: the float tower serves
        log.warning("ignoring %s: %s", directory / CALIBRATION_FILE, e)
        return None
    if calibration.get("weights") != weights:
        log.warning("ignoring %s: made for other weights", directory / CALIBRATION_FILE)
        return None
    return calibration
