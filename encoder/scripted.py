"""The model's towers compiled with TorchScript, so a forward pass runs without the GIL.

An eager forward pass is a few hundred small operators, and between any two of them the
thread gives up Python's global lock and must win it back. Under load, with request threads
busy in Python, every win-back waits for the lock's switch interval: beside three busy
threads a text query took 544 ms eager and 31 ms compiled (benchmarks/encode_batching.py
--contention), because a compiled module runs the whole graph in C++ and takes the lock
back once. Compilation is checked against the eager model on probe inputs; a tower that
does not compile, or does not give the same vectors, stays eager.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable

import torch
from torch import nn

from encoder.quantize import close_vectors, int8_linears
from encoder.text_trim import PROBES, encode_trimmed_text, same_vectors

log = logging.getLogger(__name__)

Tower = Callable[[torch.Tensor], torch.Tensor]


class TrimmedText(nn.Module):
    """``encode_trimmed_text`` for open_clip's CLIP layout with end-of-text (argmax) pooling,
    in a form TorchScript compiles."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.token_embedding = model.token_embedding
        self.positional_embedding = model.positional_embedding
        self.transformer = model.transformer
        self.ln_final = model.ln_final
        self.text_projection = model.text_projection
        self.register_buffer("attn_mask", model.attn_mask, persistent=False)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(1, tokens.shape[1] + 1, device=tokens.device)
        length = max(int(((tokens != 0).int() * positions).max().item()), 1)
        tokens = tokens[:, :length]
        x = self.token_embedding(tokens) + self.positional_embedding[:length]
        x = self.transformer(x, attn_mask=self.attn_mask[:length, :length])
        x = self.ln_final(x)
        x = x[torch.arange(x.shape[0], device=x.device), tokens.argmax(dim=-1)]
        return x @ self.text_projection


def _script(module: nn.Module) -> torch.jit.ScriptModule:
    with warnings.catch_warnings():
        # torch.jit.script is deprecated in favour of torch.compile, which needs a compiler
        # toolchain at run time and minutes of warm-up; TorchScript needs neither.
        warnings.simplefilter("ignore")
        return torch.jit.script(module.eval())


def text_tower(
    model: nn.Module, tokenizer: object, device: torch.device, trims: bool, int8: bool = False
) -> tuple[Tower, str]:
    """The fastest correct text tower: (callable on token ids, which one it is).

    ``int8``: on CPU, prefer the compiled tower with int8 linear layers (encoder/quantize.py)
    where its vectors stay within a cosine of ``MIN_COSINE`` of the eager ones.
    """
    eager: Tower = (lambda t: encode_trimmed_text(model, t)) if trims else model.encode_text
    if not trims or getattr(model, "text_pool_type", None) != "argmax":
        return eager, "eager"
    sample = tokenizer(list(PROBES)).to(device)  # type: ignore[operator]
    if int8 and device.type == "cpu":
        try:
            quantized = _script(int8_linears(TrimmedText(model)))
            if close_vectors(quantized, eager, sample):
                return quantized, "torchscript-int8"
            log.info("int8 text tower strays from the float one; using float")
        except Exception as e:  # no quantized kernels for this build or layout: stay float
            log.info("text tower not quantized: %s", e)
    try:
        compiled = _script(TrimmedText(model))
        if same_vectors(compiled, eager, sample):
            return compiled, "torchscript"
        log.info("compiled text tower differs from the eager one; using eager")
    except Exception as e:  # a layout TorchScript cannot compile: stay eager
        log.info("text tower not compiled: %s", e)
    return eager, "eager"


def image_tower(model: nn.Module, sample: torch.Tensor) -> tuple[Tower, str]:
    """The fastest correct image tower for batches shaped like ``sample``."""
    eager: Tower = model.encode_image
    visual = getattr(model, "visual", None)
    if visual is None:
        return eager, "eager"
    try:
        compiled = _script(visual)
        if same_vectors(compiled, eager, sample):
            return compiled, "torchscript"
        log.info("compiled image tower differs from the eager one; using eager")
    except Exception as e:
        log.info("image tower not compiled: %s", e)
    return eager, "eager"
