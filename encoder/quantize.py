"""The text tower with int8 weights in its linear layers, for CPU inference.

A shopper's query is a handful of tokens, so most of the text tower's time on a CPU goes to
its matrix products against the weights (12 linear layers in the shipped model). PyTorch's
dynamic quantization stores those weights as int8 and quantizes each batch's activations on
the fly, which makes a query markedly faster on AVX2 cores at little cost in precision (the
figures and the commands that measure them are in docs/design-figures.md). Because the
activations of a batch are quantized together, a text's vector moves by about that much with
the texts it was batched with; ``VITRINE_TEXT_INT8=0`` keeps float weights, whose vectors do
not depend on the batch.

Used on CPU only (quantized kernels are CPU kernels), and only where the loaded model's own
probe vectors agree (``MIN_COSINE``). ``torch.ao.quantization`` warns that it is deprecated
in favour of torchao, whose int8 path needs torch.compile and a compiler at run time; torch
is pinned, so the warnings are silenced here, and a torch without the API falls back to the
float tower.
"""

from __future__ import annotations

import copy
import logging
import warnings
from collections.abc import Callable

import torch
from torch import nn

from settings.env import environ

log = logging.getLogger(__name__)

TEXT_INT8_ENV = "VITRINE_TEXT_INT8"
# Rankings are decided by cosine differences far larger than this on real catalogs.
MIN_COSINE = 0.999
_FALSE = {"0", "false", "no", "off"}


def switch_on(variable: str, requested: bool | None = None) -> bool:
    """``requested``, or the environment ``variable`` (on unless it says 0/false/no/off)."""
    if requested is not None:
        return requested
    return environ().get(variable, "1").strip().lower() not in _FALSE


def int8_text_wanted(requested: bool | None = None) -> bool:
    """``requested``, or VITRINE_TEXT_INT8 (on by default)."""
    return switch_on(TEXT_INT8_ENV, requested)


def int8_linears(module: nn.Module) -> nn.Module:
    """A copy of ``module`` whose ``nn.Linear`` layers run with int8 weights."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        # ... and that quantized tensors are, in a UserWarning from the same calls.
        warnings.filterwarnings("ignore", message=".*quantize_per_tensor", category=UserWarning)
        return torch.ao.quantization.quantize_dynamic(
            copy.deepcopy(module), {nn.Linear}, dtype=torch.qint8
        )


def close_vectors(
    fast: Callable[[torch.Tensor], torch.Tensor], exact: Callable[[torch.Tensor], torch.Tensor],
    sample: torch.Tensor, min_cosine: float | None = None,
) -> bool:
    """Whether ``fast`` gives every row of ``sample`` a vector within ``min_cosine`` (default
    ``MIN_COSINE``) of ``exact``'s."""
    with torch.inference_mode():
        a, b = fast(sample).float(), exact(sample).float()
    if a.shape != b.shape:
        return False
    cosine = nn.functional.cosine_similarity(a, b, dim=-1)
    floor = MIN_COSINE if min_cosine is None else min_cosine
    return bool(torch.isfinite(cosine).all() and cosine.min() >= floor)
