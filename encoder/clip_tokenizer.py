"""open_clip's CLIP tokenizer without the rest of open_clip.

Importing ``open_clip.tokenizer`` runs the package's ``__init__``, which imports every model
family, timm and torchvision (and through torchvision ``torch._dynamo``): about 2 s of CPU
before a one-shot text search has read its first token. The tokenizer module itself imports
only torch, numpy, ftfy and regex, so a text tower loaded from the cache
(``encoder/text_cache.py``) tokenizes with open_clip's own ``tokenizer.py`` executed on its
own, under a private module name. It is the same code as ``open_clip.tokenizer``; the cache
also checks that it gives the tokens the full model's tokenizer gave when the cache was written.
"""

from __future__ import annotations

import copy
import functools
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

MODULE = "open_clip.tokenizer"
SIMPLE = "SimpleTokenizer"
_PRIVATE_NAME = "vitrine_open_clip_tokenizer"
DEFAULT_VOCAB = 49408  # the BPE merges, the byte tokens and start/end of text: no added tokens
DEFAULT_CLEAN = "_clean_lower"


def simple_tokenizer_length(tokenizer: object) -> int | None:
    """The context length of ``tokenizer`` if it is what ``simple_tokenizer`` builds (open_clip's
    ``SimpleTokenizer`` with its default vocabulary, cleaning and truncation), else None: another
    tokenizer, which only the full open_clip import can rebuild."""
    kind = type(tokenizer)
    if kind.__name__ != SIMPLE or kind.__module__ not in (MODULE, _PRIVATE_NAME):
        return None
    clean = getattr(getattr(tokenizer, "clean_fn", None), "__name__", None)
    if (getattr(tokenizer, "vocab_size", None) != DEFAULT_VOCAB or clean != DEFAULT_CLEAN
            or getattr(tokenizer, "reduction_fn", None) is not None):
        return None
    length = getattr(tokenizer, "context_length", None)
    return length if isinstance(length, int) and length > 0 else None


@functools.cache
def _tokenizer_module() -> ModuleType:
    loaded = sys.modules.get(MODULE)
    if loaded is not None:  # open_clip is imported already: nothing to save
        return loaded
    package = importlib.util.find_spec("open_clip")  # finds the package without importing it
    if package is None or not package.submodule_search_locations:
        raise ImportError("open_clip is not installed")
    path = Path(next(iter(package.submodule_search_locations))) / "tokenizer.py"
    spec = importlib.util.spec_from_file_location(_PRIVATE_NAME, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def simple_tokenizer(context_length: int) -> Any:
    """``open_clip.tokenizer.SimpleTokenizer(context_length=...)``, without importing open_clip's
    package.

    Raises:
        ImportError: open_clip is not installed or its tokenizer module cannot be read.
    """
    module = _tokenizer_module()
    built = getattr(module, "_tokenizer", None)  # the module makes a default one as it loads
    if built is None or simple_tokenizer_length(built) is None:
        return getattr(module, SIMPLE)(context_length=context_length)
    # Reading the vocabulary is most of the constructor's time, and the arguments differ from
    # the module's tokenizer in the context length alone: a copy with that changed is the same
    # tokenizer (the BPE memo it shares only fills in).
    tokenizer = copy.copy(built)
    tokenizer.context_length = context_length
    return tokenizer
