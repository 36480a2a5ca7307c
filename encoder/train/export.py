"""Writing a trained model as a loadable model directory, with its split and training log."""

from __future__ import annotations

import copy
import json
import shutil
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch

from encoder.augment import OPENAI_MEAN, OPENAI_STD
from encoder.heads import HEADS_CONFIG, HEADS_WEIGHTS, AttributeHeads, save_heads
from encoder.loading import WEIGHTS_FILE, file_checksum
from encoder.model_dir import save_model_dir
from encoder.train.config import TrainConfig
from encoder.train.data import SPLIT_FILE

HF_TEXT_FILES = (
    "config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.txt",
)

def export(
    model: torch.nn.Module,
    model_cfg: dict[str, Any],
    out: Path,
    *,
    config: TrainConfig,
    epochs: int,
    seed: int,
    history: list[dict[str, float]],
    train_count: int,
    val_ids: list[str],
    heads: AttributeHeads | None = None,
    shopper_phrases: int = 0,
) -> Path:
    """Write the loadable model directory, its validation split and its training log (and the
    attribute heads, when trained)."""
    info = {
        "variant": config.variant,
        "architecture": config.architecture,
        "epochs": epochs,
        "seed": seed,
        "train_products": train_count,
        "val_products": len(val_ids),
    }
    if shopper_phrases:
        info["shopper_phrases"] = shopper_phrases
    if config.variant == "minilm":
        # open_clip reads an HF tokenizer of a local-dir model from the directory itself,
        # and the BERT config from hf_model_name: both are copied there.
        model_cfg = copy.deepcopy(model_cfg)
        source = Path(model_cfg["text_cfg"]["hf_model_name"])
        out.mkdir(parents=True, exist_ok=True)
        for name in HF_TEXT_FILES:
            if (source / name).is_file():
                shutil.copyfile(source / name, out / name)
        model_cfg["text_cfg"]["hf_model_name"] = str(out.resolve())
        model_cfg["text_cfg"]["hf_tokenizer_name"] = str(out.resolve())
    save_model_dir(
        model.eval(),
        model_cfg,
        out,
        preprocess_cfg={"mean": list(OPENAI_MEAN), "std": list(OPENAI_STD)},
        half=config.half,
        extra=info,
    )
    if heads is not None:
        save_heads(out, heads, file_checksum(out / WEIGHTS_FILE))
    else:  # a directory trained again without heads must not keep the old ones
        for name in (HEADS_CONFIG, HEADS_WEIGHTS):
            (out / name).unlink(missing_ok=True)
    (out / SPLIT_FILE).write_text(
        json.dumps({"val_ids": sorted(val_ids)}, indent=0), encoding="utf-8"
    )
    (out / "training.json").write_text(
        json.dumps({**info, "config": asdict(config), "history": history}, indent=2),
        encoding="utf-8",
    )
    return out


