"""The model being trained: built from an architecture (random towers, or a locked MiniLM text
tower), the text side that turns captions into features, and the optimizer's parameter groups."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from tqdm import tqdm

from encoder.text_towers import minilm_dir
from encoder.train.config import TrainConfig, load_architecture


def build_model(config: TrainConfig) -> tuple[torch.nn.Module, dict[str, Any], Any]:
    """The model (random towers; MiniLM weights for the minilm variant), its config, tokenizer."""
    import open_clip

    model_cfg = load_architecture(config.architecture)
    if config.variant == "minilm":
        text_dir = str(minilm_dir())
        model_cfg = copy.deepcopy(model_cfg)
        model_cfg["text_cfg"]["hf_model_name"] = text_dir
        model_cfg["text_cfg"]["hf_tokenizer_name"] = text_dir
        build_cfg = copy.deepcopy(model_cfg)
        build_cfg["text_cfg"]["hf_model_pretrained"] = True  # from the verified local files
        model = open_clip.CustomTextCLIP(**build_cfg)
        tokenizer = open_clip.tokenizer.HFTokenizer(
            text_dir, context_length=model_cfg["text_cfg"]["context_length"]
        )
    elif config.variant == "scratch":
        model = open_clip.CLIP(**model_cfg)
        tokenizer = open_clip.tokenizer.SimpleTokenizer(
            context_length=model_cfg["text_cfg"]["context_length"]
        )
    else:
        raise ValueError(f"unknown variant {config.variant!r}; known: scratch, minilm")
    return model, model_cfg, tokenizer


class TextSide:
    """Caption texts to normalised text features: the text tower, or locked MiniLM features."""

    def __init__(self, model: torch.nn.Module, tokenizer: Any, locked: bool, device: torch.device):
        self.model = model
        self.tokenizer = tokenizer
        self.locked = locked
        self.device = device
        self._tokens: dict[str, torch.Tensor] = {}
        self._pooled: dict[str, torch.Tensor] = {}

    def tokens(self, texts: Sequence[str]) -> torch.Tensor:
        missing = [t for t in dict.fromkeys(texts) if t not in self._tokens]
        if missing:
            for text, row in zip(missing, self.tokenizer(missing), strict=True):
                self._tokens[text] = row
        return torch.stack([self._tokens[t] for t in texts]).to(self.device)

    def precompute(self, texts: Iterable[str], progress: bool) -> None:
        """Pooled MiniLM features of every caption, once (the locked tower never changes)."""
        todo = [t for t in dict.fromkeys(texts) if t not in self._pooled]
        text_tower = self.model.text
        text_tower.transformer.eval()  # no dropout: these features stand for the locked tower
        for start in tqdm(range(0, len(todo), 512), desc="text features", disable=not progress):
            chunk = todo[start : start + 512]
            tokens = self.tokens(chunk)
            with torch.no_grad():
                mask = (tokens != text_tower.config.pad_token_id).long()
                out = text_tower.transformer(input_ids=tokens, attention_mask=mask)
                pooled = text_tower.pooler(out, mask)
            for text, row in zip(chunk, pooled.cpu(), strict=True):
                self._pooled[text] = row

    def features(self, texts: Sequence[str]) -> torch.Tensor:
        if self.locked:
            pooled = torch.stack([self._pooled[t] for t in texts]).to(self.device)
            return F.normalize(self.model.text.proj(pooled), dim=-1)
        return self.model.encode_text(self.tokens(texts), normalize=True)


def trainable_parameters(model: torch.nn.Module, locked_text: bool) -> list[torch.nn.Parameter]:
    if locked_text:
        for p in model.text.transformer.parameters():
            p.requires_grad_(False)
    return [p for p in model.parameters() if p.requires_grad]


def param_groups(params: list[torch.nn.Parameter], model: torch.nn.Module, wd: float) -> list[dict]:
    # No weight decay on gains, biases, embeddings and the temperature, as in open_clip.
    ids = {id(p) for p in params}
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if id(p) not in ids:
            continue
        if p.ndim < 2 or "bn" in name or "ln" in name or "embedding" in name or "logit_scale" in name:
            no_decay.append(p)
        else:
            decay.append(p)
    return [{"params": decay, "weight_decay": wd}, {"params": no_decay, "weight_decay": 0.0}]


