"""The model's towers compiled with TorchScript, so a forward pass runs without the GIL.

An eager forward pass is a few hundred small operators, and between any two of them the
thread gives up Python's global lock and must win it back. Under load, with request threads
busy in Python, every win-back waits for the lock's switch interval, so beside busy threads an
eager query is many times slower than a compiled one (docs/design-figures.md): a compiled
module runs the whole graph in C++ and takes the lock back once. Compilation is checked
against the eager model on probe inputs; a tower that does not compile, or does not give the
same vectors, stays eager.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable

import torch
from torch import nn

from encoder import image_int8
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


class FirstTokenPooledResNet(nn.Module):
    """open_clip's ``ModifiedResNet`` whose attention pooling computes only the output it keeps.

    ``AttentionPool2d`` attends with every position as a query and then returns the first
    (the mean token) alone, so the query and output projections, 1024 x 1024 each in the
    shipped model, ran on five tokens where one suffices. Computing the first alone took 0.92x
    the time of the compiled tower for one photo (``benchmarks/encode_batching.py``), with the
    same arithmetic for the kept token (checked against the eager tower at load).
    """

    def __init__(self, visual: nn.Module) -> None:
        super().__init__()
        self.conv1, self.bn1, self.act1 = visual.conv1, visual.bn1, visual.act1
        self.conv2, self.bn2, self.act2 = visual.conv2, visual.bn2, visual.act2
        self.conv3, self.bn3, self.act3 = visual.conv3, visual.bn3, visual.act3
        self.avgpool = visual.avgpool
        self.layer1, self.layer2 = visual.layer1, visual.layer2
        self.layer3, self.layer4 = visual.layer3, visual.layer4
        pool = visual.attnpool
        self.positional_embedding = pool.positional_embedding
        self.q_proj, self.k_proj = pool.q_proj, pool.k_proj
        self.v_proj, self.c_proj = pool.v_proj, pool.c_proj
        self.num_heads: int = pool.num_heads

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act1(self.bn1(self.conv1(x)))
        x = self.act2(self.bn2(self.conv2(x)))
        x = self.act3(self.bn3(self.conv3(x)))
        x = self.layer4(self.layer3(self.layer2(self.layer1(self.avgpool(x)))))
        x = x.reshape(x.shape[0], x.shape[1], x.shape[2] * x.shape[3]).permute(2, 0, 1)  # (HW)NC
        x = torch.cat([x.mean(dim=0, keepdim=True), x], dim=0)
        x = x + self.positional_embedding[:, None, :].to(x.dtype)
        tokens, batch, width = x.shape
        head = width // self.num_heads
        # (batch * heads, tokens, head), as multi_head_attention_forward lays them out
        q = self.q_proj(x[:1]).reshape(1, batch * self.num_heads, head).transpose(0, 1)
        k = self.k_proj(x).reshape(tokens, batch * self.num_heads, head).transpose(0, 1)
        v = self.v_proj(x).reshape(tokens, batch * self.num_heads, head).transpose(0, 1)
        out = nn.functional.scaled_dot_product_attention(q, k, v)  # (batch * heads, 1, head)
        return self.c_proj(out.transpose(0, 1).reshape(batch, width))


def first_token_pooled(visual: nn.Module) -> nn.Module | None:
    from open_clip.modified_resnet import AttentionPool2d, ModifiedResNet

    if type(visual) is not ModifiedResNet or type(visual.attnpool) is not AttentionPool2d:
        return None
    return FirstTokenPooledResNet(visual).eval()


def compile_module(module: nn.Module) -> torch.jit.ScriptModule:
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
            quantized = compile_module(int8_linears(TrimmedText(model)))
            if close_vectors(quantized, eager, sample):
                return quantized, "torchscript-int8"
            log.info("int8 text tower strays from the float one; using float")
        except Exception as e:  # no quantized kernels for this build or layout: stay float
            log.info("text tower not quantized: %s", e)
    try:
        compiled = compile_module(TrimmedText(model))
        if same_vectors(compiled, eager, sample):
            return compiled, "torchscript"
        log.info("compiled text tower differs from the eager one; using eager")
    except Exception as e:  # a layout TorchScript cannot compile: stay eager
        log.info("text tower not compiled: %s", e)
    return eager, "eager"


def image_tower(
    model: nn.Module, sample: torch.Tensor, int8_calibration: dict | None = None
) -> tuple[Tower, str]:
    """The fastest correct image tower for batches shaped like ``sample``.

    ``int8_calibration`` (CPU only; ``encoder/image_int8.py``): first try the tower quantized
    with it, kept where its vectors on the calibration's check photos stay within
    ``image_int8.MIN_COSINE`` of the eager ones.
    """
    eager: Tower = model.encode_image
    visual = getattr(model, "visual", None)
    if visual is None:
        return eager, "eager"
    pooled = first_token_pooled(visual)
    if int8_calibration is not None:
        try:
            quantized = compile_module(image_int8.quantized_tower(pooled or visual, int8_calibration))
            check = int8_calibration["check"].to(sample.device)
            if close_vectors(quantized, eager, check, image_int8.MIN_COSINE):
                return quantized, "torchscript-int8"
            log.info("int8 image tower strays from the float one; using float")
        except Exception as e:  # no quantized kernels, or a calibration for other layers
            log.info("image tower not quantized: %s", e)
    candidates = [("torchscript-pooled", pooled), ("torchscript", visual)]
    for kind, module in candidates:
        if module is None:
            continue
        try:
            compiled = compile_module(module)
            if same_vectors(compiled, eager, sample):
                return compiled, kind
            log.info("compiled image tower (%s) differs from the eager one", kind)
        except Exception as e:
            log.info("image tower not compiled (%s): %s", kind, e)
    return eager, "eager"
