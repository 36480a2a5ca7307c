"""Text encoding without the padding: the same vectors for a fraction of the work.

open_clip pads every text to the model's context length (32 tokens for the shipped model,
77 for OpenAI's), but shopper queries are a handful of tokens. In a CLIP text tower with a
causal attention mask and pooling at the end-of-text token, the positions after the last
real token cannot influence the pooled output, so cutting the batch to its longest text
gives the same vectors for a fraction of the work (benchmarks/encode_batching.py compares
the two on the shipped model).

Whether that holds is checked on the loaded model itself (``trimmed_text_matches``); models
it does not hold for (bidirectional towers, HF text towers) keep the padded path.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import torch

log = logging.getLogger(__name__)

PROBES = ("red summer dress", "men black leather formal shoes for the office", "a")
TOLERANCE = 1e-4
_PARTS = ("token_embedding", "positional_embedding", "transformer", "ln_final", "attn_mask",
          "text_projection", "text_pool_type")


def encode_trimmed_text(model: torch.nn.Module, tokens: torch.Tensor) -> torch.Tensor:
    """``model.encode_text(tokens)`` computed on the tokens up to the batch's longest text
    (open_clip's ``CLIP.encode_text`` with the sequence cut; padding id 0)."""
    from open_clip.transformer import text_global_pool

    nonzero = (tokens != 0).int()
    # One past the last non-padding position of any row.
    length = int((nonzero * torch.arange(1, tokens.shape[1] + 1, device=tokens.device)).max())
    tokens = tokens[:, : max(length, 1)]
    seq = tokens.shape[1]
    cast = model.transformer.get_cast_dtype()
    x = model.token_embedding(tokens).to(cast) + model.positional_embedding[:seq].to(cast)
    x = model.transformer(x, attn_mask=model.attn_mask[:seq, :seq])
    x = model.ln_final(x)
    x = text_global_pool(x, tokens, model.text_pool_type, eos_token_id=getattr(model, "text_eos_id", None))
    projection = model.text_projection
    if projection is None:
        return x
    return projection(x) if isinstance(projection, torch.nn.Linear) else x @ projection


def trimmed_text_matches(model: torch.nn.Module, tokenizer: object, device: torch.device) -> bool:
    """Whether trimming gives this model's own text vectors (within ``TOLERANCE``)."""
    if not all(hasattr(model, part) for part in _PARTS) or model.attn_mask is None:
        return False  # not open_clip's CLIP layout, or a bidirectional text tower
    if model.text_pool_type not in ("argmax", "eos"):
        return False
    try:
        tokens = tokenizer(list(PROBES)).to(device)  # type: ignore[operator]
        return same_vectors(lambda t: encode_trimmed_text(model, t), model.encode_text, tokens)
    except Exception as e:  # any surprise in a model's layout: keep the padded path
        log.info("text trimming not used for this model: %s", e)
        return False


def same_vectors(
    fast: Callable[[torch.Tensor], torch.Tensor], slow: Callable[[torch.Tensor], torch.Tensor],
    sample: torch.Tensor,
) -> bool:
    """Whether a faster way of encoding ``sample`` gives the model's own vectors (within
    ``TOLERANCE``)."""
    with torch.inference_mode():
        a, b = fast(sample).float(), slow(sample).float()
    return bool(a.shape == b.shape and (a - b).abs().max() <= TOLERANCE)
