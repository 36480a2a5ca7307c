"""Writing a model directory in open_clip's Hugging Face layout (config + safetensors)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save_file

from encoder.loading import CONFIG_FILE, WEIGHTS_FILE


def save_model_dir(
    model: torch.nn.Module,
    model_cfg: dict[str, Any],
    directory: str | Path,
    *,
    preprocess_cfg: dict[str, Any] | None = None,
    half: bool = False,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Save ``model`` so that ``Encoder.load(directory)`` (and open_clip's ``local-dir:``) reads it.

    Args:
        model: the open_clip model.
        model_cfg: the architecture config it was built from.
        directory: where to write; created if missing.
        preprocess_cfg: open_clip preprocessing overrides (mean, std, resize mode).
        half: store weights as float16 (halves the file; loading casts back to float32).
        extra: free-form metadata kept in the config under ``"vitrine"``.

    Returns:
        The directory.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    config: dict[str, Any] = {"model_cfg": model_cfg}
    if preprocess_cfg:
        config["preprocess_cfg"] = preprocess_cfg
    if extra:
        config["vitrine"] = extra
    state = {
        k: (v.half() if half and v.is_floating_point() else v).contiguous().cpu()
        for k, v in model.state_dict().items()
    }
    save_file(state, str(directory / WEIGHTS_FILE))
    (directory / CONFIG_FILE).write_text(json.dumps(config, indent=2), encoding="utf-8")
    return directory
