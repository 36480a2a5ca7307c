"""Contrastive (CLIP) training of a compact open_clip model on product photos and captions.

Usage from code (the CLI converts catalog products into ``Sample``s)::

    train_ids, val_ids = split_ids([p.id for p in products])
    model_dir = train(train_samples, val_samples, "runs/fashion", config=VARIANTS["scratch"],
                      epochs=24, seed=0)
    Encoder.load(str(model_dir))

Design, for a small catalog and two CPU cores:

- Photos are decoded once into a uint8 tensor at the model's resolution (``pixels``),
  augmented per batch on tensors (``augment``).
- Each epoch every product gets a fresh caption drawn from its title or attributes
  (``captions``). The loss is CLIP's symmetric cross-entropy with *label-aware*
  targets: a caption's positives are all the products in the batch it is true of.
  A small supervised image-image term pulls photos of the same article type together.
- Everything random derives from ``(seed, epoch)``, so a resumed run repeats the
  run that was interrupted, and two runs with one seed give the same weights on CPU.
- Variant ``scratch`` trains both towers; ``minilm`` keeps a pretrained MiniLM text
  tower locked (its pooled features computed once) and trains its projection and
  the image tower to meet it.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import math
import shutil
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from encoder.augment import OPENAI_MEAN, OPENAI_STD, AugmentConfig, augment, normalize_pixels
from encoder.captions import CONSTRAINT_KEYS, MISSING, ConstraintCodes, draw_caption, match_matrix
from encoder.embedder import pick_device
from encoder.model_dir import save_model_dir
from encoder.pixels import decode_pixels
from encoder.text_towers import minilm_dir

log = logging.getLogger(__name__)

CONFIGS_DIR = Path(__file__).resolve().parents[1] / "configs"
CHECKPOINT_NAME = "last.pt"
SPLIT_FILE = "split.json"
HF_TEXT_FILES = (
    "config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.txt",
)
ATTRIBUTE_KEYS = ("gender", "sub_category", "article_type", "colour", "occasion")


@dataclass(frozen=True, kw_only=True)
class Sample:
    """One training product: a photo and what the catalog says about it.

    ``attrs`` holds any of ``gender``, ``sub_category``, ``article_type``, ``colour``
    and ``occasion`` (missing or None when unknown).
    """

    id: str
    image: str
    title: str
    attrs: Mapping[str, str | None] = field(default_factory=dict)


def sample_from_product(product: Any) -> Sample:
    """A Sample from any object with a catalog product's fields (``indexer.schema.Product``).

    Duck-typed so that the encoder does not import the indexer.
    """
    return Sample(
        id=str(product.id),
        image=str(product.image),
        title=str(product.title),
        attrs={k: getattr(product, k, None) for k in ATTRIBUTE_KEYS},
    )


@dataclass(frozen=True, kw_only=True)
class TrainConfig:
    """Everything that defines a training run besides the data, epochs and seed."""

    variant: str = "scratch"  # "scratch": both towers trained; "minilm": locked MiniLM text
    architecture: str = "vitrine-rn64"  # a JSON file in encoder/configs/
    batch_size: int = 128
    lr: float = 1e-3
    weight_decay: float = 0.05
    warmup_steps: int = 100
    image_loss_weight: float = 0.3  # supervised image-image term (same article type)
    label_aware: bool = True  # all products a caption is true of are positives
    half: bool = True  # export float16 weights (the shipped model must stay small)
    threads: int | None = None  # torch CPU threads; None leaves torch's default
    cache_dir: str | None = None  # where decoded photos are cached; None: no cache
    augment: AugmentConfig = field(default_factory=AugmentConfig)


VARIANTS: dict[str, TrainConfig] = {
    "scratch": TrainConfig(),
    "minilm": TrainConfig(variant="minilm", architecture="vitrine-rn64-minilm"),
}


def split_ids(
    ids: Iterable[str], val_size: float = 0.15, seed: int = 0
) -> tuple[list[str], list[str]]:
    """Split product ids into (train, validation), each in input order.

    A product's side depends only on its id and ``seed`` (a SHA-256 of both), so
    the split does not move when products are added or removed, and a new product
    always lands on the same side.

    Raises:
        ValueError: ``val_size`` is not a fraction in (0, 1).
    """
    if not 0.0 < val_size < 1.0:
        raise ValueError(f"val_size is the validation fraction, in (0, 1); got {val_size}")
    train_ids: list[str] = []
    val_ids: list[str] = []
    for pid in ids:
        digest = hashlib.sha256(f"{seed}:{pid}".encode()).digest()
        bucket = int.from_bytes(digest[:8], "big") / 2.0**64
        (val_ids if bucket < val_size else train_ids).append(str(pid))
    return train_ids, val_ids


def load_architecture(name: str) -> dict[str, Any]:
    """The model config ``encoder/configs/<name>.json`` (or a path to a JSON file)."""
    path = Path(name)
    if not path.is_file():
        path = CONFIGS_DIR / f"{name}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        known = ", ".join(sorted(p.stem for p in CONFIGS_DIR.glob("*.json")))
        raise ValueError(f"unknown architecture {name!r}; known: {known}") from e


def _build_model(config: TrainConfig) -> tuple[torch.nn.Module, dict[str, Any], Any]:
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


class _TextSide:
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


def _trainable_parameters(model: torch.nn.Module, locked_text: bool) -> list[torch.nn.Parameter]:
    if locked_text:
        for p in model.text.transformer.parameters():
            p.requires_grad_(False)
    return [p for p in model.parameters() if p.requires_grad]


def _param_groups(params: list[torch.nn.Parameter], model: torch.nn.Module, wd: float) -> list[dict]:
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


def soft_clip_loss(logits: torch.Tensor, match: torch.Tensor) -> torch.Tensor:
    """Symmetric CLIP loss with multi-positive targets.

    Args:
        logits: ``(n, n)`` scaled similarities, rows images, columns captions.
        match: ``(n, n)`` bool, ``match[i, j]``: caption i is true of image j
            (the diagonal must be true).
    """
    m = match.float()
    # caption -> image: each caption's row of targets over images.
    t2i = -(F.log_softmax(logits.t(), dim=1) * (m / m.sum(1, keepdim=True))).sum(1).mean()
    # image -> caption: each image's targets over the captions true of it.
    mt = m.t()
    i2t = -(F.log_softmax(logits, dim=1) * (mt / mt.sum(1, keepdim=True))).sum(1).mean()
    return 0.5 * (t2i + i2t)


def image_label_loss(features: torch.Tensor, labels: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """Supervised contrastive term: photos with one label are positives (unknown labels sit out)."""
    n = features.shape[0]
    logits = scale * features @ features.t()
    eye = torch.eye(n, dtype=torch.bool, device=features.device)
    logits = logits.masked_fill(eye, -1e4)
    pos = (labels[:, None] == labels[None, :]) & ~eye & (labels[:, None] >= 0)
    anchors = pos.any(1)
    if not anchors.any():
        return logits.new_zeros(())
    target = pos.float() / pos.float().sum(1, keepdim=True).clamp(min=1.0)
    loss = -(F.log_softmax(logits, dim=1) * target).sum(1)
    return loss[anchors].mean()


def _article_labels(codes: ConstraintCodes) -> np.ndarray:
    """One label per product: (sub-category, article type), -1 where the sub-category is unknown."""
    sub = codes.products[:, CONSTRAINT_KEYS.index("sub_category")]
    art = codes.products[:, CONSTRAINT_KEYS.index("article_type")]
    labels = np.where(sub >= 0, sub * 100_000 + np.maximum(art, MISSING) + 2, -1)
    return labels


def _epoch_captions(samples: Sequence[Sample], seed: int, epoch: int) -> list:
    rng = np.random.default_rng([seed, epoch, 1])
    return [draw_caption(s.title, {k: s.attrs.get(k) for k in ATTRIBUTE_KEYS}, rng) for s in samples]


def _atomic_save(obj: Any, path: Path) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save(obj, tmp)
    tmp.replace(path)


@torch.no_grad()
def _validate(
    model: torch.nn.Module,
    text: _TextSide,
    pixels: torch.Tensor,
    titles: Sequence[str],
    device: torch.device,
    mean: tuple[float, float, float],
    std: tuple[float, float, float],
) -> dict[str, float]:
    """Title -> image recall on held-out products: a cheap signal printed every epoch."""
    model.eval()
    feats = []
    for start in range(0, len(pixels), 512):
        batch = normalize_pixels(pixels[start : start + 512], mean, std).to(device)
        feats.append(model.encode_image(batch, normalize=True))
    img = torch.cat(feats)
    txt = torch.cat([text.features(list(titles[s : s + 512])) for s in range(0, len(titles), 512)])
    sims = txt @ img.t()
    rank = (sims > sims.diag()[:, None]).sum(1)
    model.train()
    return {"val_r1": float((rank < 1).float().mean()), "val_r10": float((rank < 10).float().mean())}


def train(
    samples: Sequence[Sample],
    val_samples: Sequence[Sample],
    out_dir: str | Path,
    *,
    config: TrainConfig = VARIANTS["scratch"],
    epochs: int = 24,
    seed: int = 0,
    resume: bool = False,
    device: str | None = None,
    progress: bool = True,
    on_epoch: Callable[[dict[str, float]], None] | None = None,
) -> Path:
    """Train a model on ``samples`` and write a loadable model directory to ``out_dir``.

    ``out_dir`` receives ``open_clip_config.json`` + ``open_clip_model.safetensors``
    (load it with ``Encoder.load(str(out_dir))``), ``split.json`` (the validation
    ids), ``training.json`` (the config and per-epoch log) and ``checkpoints/last.pt``
    (written after every epoch; ``resume=True`` continues from it).

    Args:
        samples: training products.
        val_samples: held-out products, never trained on (only scored each epoch); may be empty.
        out_dir: the model directory to write.
        config: the variant and its hyper-parameters (see ``VARIANTS``).
        epochs: passes over ``samples``.
        seed: seeds captions, batches, augmentation and initial weights.
        resume: continue from ``out_dir/checkpoints/last.pt`` when it exists.
        device: ``cpu``/``cuda``; None picks CUDA when present.
        progress: show a progress bar with the running loss.
        on_epoch: called with each epoch's log record.

    Returns:
        ``out_dir`` as a Path.

    Raises:
        ValueError: fewer than two training samples, overlapping train/val ids, or a bad config.
        ImageDecodeError: a photo cannot be read.
    """
    if len(samples) < 2:
        raise ValueError("training needs at least two samples")
    overlap = {s.id for s in samples} & {s.id for s in val_samples}
    if overlap:
        raise ValueError(f"{len(overlap)} product(s) are in both training and validation sets")
    out = Path(out_dir)
    ckpt_dir = out / "checkpoints"
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    torch_device = pick_device(device)
    if config.threads:
        torch.set_num_threads(config.threads)
    torch.manual_seed(seed)
    np.random.seed(seed)

    model, model_cfg, tokenizer = _build_model(config)
    model = model.to(torch_device)
    locked = config.variant == "minilm"
    params = _trainable_parameters(model, locked)
    size = int(model_cfg["vision_cfg"]["image_size"])
    mean, std = OPENAI_MEAN, OPENAI_STD

    pixels = decode_pixels([s.image for s in samples], size, cache_dir=config.cache_dir, progress=progress)
    val_pixels = decode_pixels(
        [s.image for s in val_samples], size, cache_dir=config.cache_dir, progress=progress
    )
    codes = ConstraintCodes([s.title for s in samples], [dict(s.attrs) for s in samples])
    labels = torch.from_numpy(_article_labels(codes))
    text = _TextSide(model, tokenizer, locked, torch_device)

    n = len(samples)
    batch_size = min(config.batch_size, n)
    steps_per_epoch = max(1, n // batch_size)
    total_steps = steps_per_epoch * epochs
    optimizer = torch.optim.AdamW(_param_groups(params, model, config.weight_decay), lr=config.lr)

    def lr_at(step: int) -> float:
        if step < config.warmup_steps:
            return (step + 1) / config.warmup_steps
        progress_ = (step - config.warmup_steps) / max(1, total_steps - config.warmup_steps)
        return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress_)))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_at)
    history: list[dict[str, float]] = []
    start_epoch = 0
    ckpt_path = ckpt_dir / CHECKPOINT_NAME
    if resume and ckpt_path.is_file():
        state = torch.load(ckpt_path, map_location=torch_device, weights_only=False)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        history = state["history"]
        start_epoch = state["epoch"] + 1
        log.info("resuming from %s at epoch %d", ckpt_path, start_epoch + 1)

    if locked:
        all_texts = [c.text for e in range(epochs) for c in _epoch_captions(samples, seed, e)]
        text.precompute([*all_texts, *(s.title for s in val_samples)], progress)

    model.train()
    for epoch in range(start_epoch, epochs):
        started = time.monotonic()
        captions = _epoch_captions(samples, seed, epoch)
        cap_codes = np.stack([codes.caption_codes(c) for c in captions])
        order = np.random.default_rng([seed, epoch, 2]).permutation(n)
        gen = torch.Generator().manual_seed(seed * 100_003 + epoch)
        bar = tqdm(
            range(steps_per_epoch),
            desc=f"epoch {epoch + 1}/{epochs}",
            disable=not progress,
            leave=False,
        )
        running = 0.0
        for step in bar:
            idx = order[step * batch_size : (step + 1) * batch_size]
            images = augment(pixels[idx], gen, config.augment, mean, std).to(torch_device)
            texts = [captions[i].text for i in idx]
            img_f = model.encode_image(images, normalize=True)
            txt_f = text.features(texts)
            scale = model.logit_scale.exp()
            logits = scale * img_f @ txt_f.t()
            if config.label_aware:
                match = torch.from_numpy(match_matrix(cap_codes[idx], codes.products[idx]))
            else:
                match = torch.eye(len(idx), dtype=torch.bool)
            loss = soft_clip_loss(logits, match.to(torch_device))
            if config.image_loss_weight:
                loss = loss + config.image_loss_weight * image_label_loss(
                    img_f, labels[idx].to(torch_device), scale
                )
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            with torch.no_grad():
                model.logit_scale.clamp_(0, math.log(100))
            running = loss.item() if step == 0 else 0.9 * running + 0.1 * loss.item()
            bar.set_postfix(loss=f"{running:.3f}")
        record = {"epoch": epoch + 1, "loss": running, "seconds": time.monotonic() - started}
        if len(val_samples):
            record |= _validate(
                model, text, val_pixels, [s.title for s in val_samples], torch_device, mean, std
            )
        history.append(record)
        log.info("epoch %d/%d %s", epoch + 1, epochs, record)
        if progress:
            tqdm.write(f"epoch {epoch + 1}/{epochs} " + " ".join(f"{k}={v:.4g}" for k, v in record.items()))
        if on_epoch:
            on_epoch(record)
        _atomic_save(
            {
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "epoch": epoch,
                "history": history,
                "config": asdict(config),
                "seed": seed,
            },
            ckpt_path,
        )

    return export(
        model,
        model_cfg,
        out,
        config=config,
        epochs=epochs,
        seed=seed,
        history=history,
        train_count=len(samples),
        val_ids=[s.id for s in val_samples],
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
) -> Path:
    """Write the loadable model directory, its validation split and its training log."""
    info = {
        "variant": config.variant,
        "architecture": config.architecture,
        "epochs": epochs,
        "seed": seed,
        "train_products": train_count,
        "val_products": len(val_ids),
    }
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
    (out / SPLIT_FILE).write_text(
        json.dumps({"val_ids": sorted(val_ids)}, indent=0), encoding="utf-8"
    )
    (out / "training.json").write_text(
        json.dumps({**info, "config": asdict(config), "history": history}, indent=2),
        encoding="utf-8",
    )
    return out


def with_overrides(config: TrainConfig, **changes: Any) -> TrainConfig:
    """A copy of ``config`` with some fields changed (None values are ignored)."""
    return replace(config, **{k: v for k, v in changes.items() if v is not None})
