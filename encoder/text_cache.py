"""The compiled text tower kept on disk, so a one-shot text search starts without open_clip.

Building the text tower the API searches with (``encoder/scripted.py``: open_clip's model,
trimmed, int8 linear layers, compiled with TorchScript, checked against the eager model) costs
a cold ``vitrine search`` most of its time: importing open_clip (which imports torchvision, timm
and ``torch._dynamo``), creating the model, quantizing, compiling and checking. The compiled
module needs none of that to run. So a process that built it writes it to a cache directory
(the CLI's: ``DATA_DIR/cache``), and a text-only command line loads it with
``torch.jit.load`` and tokenizes with open_clip's tokenizer module alone
(``encoder/clip_tokenizer.py``).

The tower is used only when every input of the build is the same (``cache_key``): the model's
weights (their SHA-256), int8 on or off, torch and open_clip versions, the quantized engine and
CPU capability, and the source of the modules that build the tower. At load it must also pass
three checks: the CRC-32 of the module's bytes (a bit flip in a weight would otherwise load
silently: TorchScript does not check its zip entries' CRCs), the tokenizer giving the tokens
the model's own tokenizer gave on ``TOKENIZER_PROBES``, and the tower giving the vectors the
freshly built one gave on them. A missing, unreadable, stale or failing file is not an error:
the tower is built again from the model and the files rewritten.

Files: ``text-tower-DIGEST.pt``, the TorchScript archive, and ``text-tower-DIGEST.json``, its
record (the key, the archive's CRC-32, the probe tokens and vectors); DIGEST names the key.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import io
import json
import logging
import os
import tempfile
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from encoder.clip_tokenizer import simple_tokenizer, simple_tokenizer_length
from encoder.loading import ModelIdentity
from encoder.text_trim import PROBES, same_vectors

log = logging.getLogger(__name__)

PREFIX = "text-tower-"
# Upper case, punctuation and non-ASCII besides the trimming probes: the tokenizer check
# covers the cleaning and the byte-level fallback, not only plain words.
TOKENIZER_PROBES = (*PROBES, "Men's BLACK Leather Watch, 2-pack!", "t-shirt  &  jeans: ünïcödé 日本")
# The modules whose code decides what the cached tower computes: an edit to any of them
# makes older files stale.
_BUILDERS = ("scripted.py", "quantize.py", "text_trim.py", "clip_tokenizer.py", "text_cache.py")
CACHEABLE_KINDS = ("torchscript-int8", "torchscript")


@dataclass(frozen=True)
class CachedTextTower:
    """A text tower read back from the cache, with what the encoder needs beside it."""

    module: torch.jit.ScriptModule
    kind: str
    dim: int
    tokenizer: Any


def _open_clip_version() -> str:
    try:
        return importlib.metadata.version("open_clip_torch")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _code_digest() -> str:
    here = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for name in _BUILDERS:
        digest.update(name.encode() + b"\0" + (here / name).read_bytes())
    return digest.hexdigest()


def cache_key(identity: ModelIdentity, int8: bool) -> dict[str, Any]:
    """Everything the cached tower depends on; a file written under another key is not used."""
    return {
        "model": identity.name, "weights": identity.checksum, "int8": int8,
        "torch": str(torch.__version__), "open_clip": _open_clip_version(),
        "engine": torch.backends.quantized.engine, "cpu": torch.backends.cpu.get_cpu_capability(),
        "code": _code_digest(),
    }


def _quiet_quantized_warning() -> None:
    # torch warns once per process that quantized tensors are deprecated. Raised from inside
    # torch.jit.load, the warning bypasses Python's filters and is printed on stderr; raised
    # here first, under a filter, it is spent before the load (see encoder/quantize.py for why
    # the int8 tower is used anyway).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.quantize_per_tensor(torch.zeros(1), 1.0, 0, torch.qint8)


def _crc32(path: Path) -> int:
    # Against damage, not tampering (whoever can write the data dir can rewrite the store
    # itself): the check zip would have made, at a quarter of SHA-256's time (55 MB: 0.02 s).
    crc = 0
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            crc = zlib.crc32(chunk, crc)
    return crc


def _probe_vectors(module: Any, tokens: torch.Tensor) -> torch.Tensor:
    with torch.jit.optimized_execution(False), torch.inference_mode():
        return module(tokens).float()


def _paths(directory: Path, key: dict[str, Any]) -> tuple[Path, Path]:
    """(the TorchScript archive, its JSON record), named by the key's digest so that towers
    built for other keys never replace each other under one name."""
    name = PREFIX + hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
    return directory / f"{name}.pt", directory / f"{name}.json"


def load(directory: Path, identity: ModelIdentity, int8: bool) -> CachedTextTower | None:
    """The tower cached in ``directory`` for this model and setting, or None when there is none
    that passes every check (the reason is logged; the caller builds the tower)."""
    try:
        key = cache_key(identity, int8)  # inside: a source file that cannot be read disables the cache
        archive, record = _paths(directory, key)
        meta = json.loads(record.read_text(encoding="utf-8"))
        if meta.get("key") != key:
            raise ValueError("written for another model, setting, torch or code")
        if _crc32(archive) != meta["crc32"]:
            raise ValueError("its bytes changed since it was written")
        _quiet_quantized_warning()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch.jit.load's deprecation notice (scripted.py: why)
            module = torch.jit.load(str(archive), map_location="cpu")
        tokenizer = simple_tokenizer(int(meta["context_length"]))
        tokens = tokenizer(list(TOKENIZER_PROBES))
        if tokens.tolist() != meta["probe_tokens"]:
            raise ValueError("the tokenizer gives other tokens than the model's")
        expected = torch.tensor(meta["probe_vectors"], dtype=torch.float32)
        if not same_vectors(lambda t: _probe_vectors(module, t), lambda _: expected, tokens):
            raise ValueError("the tower gives other vectors than when it was built")
        return CachedTextTower(module=module, kind=str(meta["kind"]), dim=int(meta["dim"]),
                               tokenizer=tokenizer)
    except FileNotFoundError:
        return None
    except Exception as e:  # whatever is wrong with the files, the model can rebuild the tower
        log.info("not using the cached text tower in %s: %s", directory, e)
        return None


def _write(path: Path, data: bytes) -> None:
    # Written beside and renamed over: a reader sees the old file or the new one, whole.
    fd, temporary = tempfile.mkstemp(prefix=".writing-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(temporary, 0o644)  # mkstemp's 0600 would hide it from a server's other user
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def store(directory: Path, identity: ModelIdentity, int8: bool, module: Any, kind: str,
          tokenizer: Any) -> bool:
    """Write ``module`` (the text tower just built and checked for this model) to the cache, in
    place of any other tower there; False (logged) when it is not of a kind that can be cached
    or the directory cannot be written."""
    length = simple_tokenizer_length(tokenizer)
    if kind not in CACHEABLE_KINDS or length is None or not isinstance(module, torch.jit.ScriptModule):
        return False
    try:
        key = cache_key(identity, int8)
        archive, record = _paths(directory, key)
        tokens = tokenizer(list(TOKENIZER_PROBES))
        if not torch.equal(simple_tokenizer(length)(list(TOKENIZER_PROBES)), tokens):
            return False  # the light tokenizer would not reproduce this one
        vectors = _probe_vectors(module, tokens)
        buffer = io.BytesIO()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch.jit.save's deprecation notice
            torch.jit.save(module, buffer)
        data = buffer.getvalue()
        meta = {"key": key, "kind": kind, "dim": int(vectors.shape[-1]), "context_length": length,
                "probe_tokens": tokens.tolist(), "probe_vectors": vectors.tolist(),
                "crc32": zlib.crc32(data)}
        directory.mkdir(parents=True, exist_ok=True)
        _write(archive, data)
        _write(record, json.dumps(meta).encode())  # last: a record names a complete archive
        # One tower at a time (55 MB for the shipped model): older ones are for other weights,
        # settings or code.
        for old in directory.glob(PREFIX + "*"):
            if old not in (archive, record):
                old.unlink(missing_ok=True)
    except Exception as e:  # a read-only or full disk: the next start builds the tower again
        log.info("text tower not cached in %s: %s", directory, e)
        return False
    log.info("cached the text tower (%s) in %s", kind, directory)
    return True


def written_for(directory: Path, identity: ModelIdentity, int8: bool) -> bool:
    """Whether the cache holds a tower written under this key (its record alone is read: the
    checks of the tower are ``load``'s)."""
    try:
        key = cache_key(identity, int8)
        archive, record = _paths(directory, key)
        return archive.is_file() and json.loads(record.read_text(encoding="utf-8")).get("key") == key
    except Exception:  # missing or unreadable: not written for it
        return False
