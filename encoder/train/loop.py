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
- Options of model v2 (all off by default, which is the shipped recipe): hard-negative
  batches (``sampler``), attribute heads trained jointly and shipped beside the model
  (``heads``), captions in shoppers' words (a phrase table passed in as ``shopper_words``).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from encoder.augment import OPENAI_MEAN, OPENAI_STD, augment, normalize_pixels
from encoder.captions import ConstraintCodes, ShopperWords, match_matrix
from encoder.embedder import pick_device
from encoder.pixels import decode_pixels
from encoder.train.config import VARIANTS, TrainConfig, with_overrides
from encoder.train.data import (
    Sample,
    article_labels,
    epoch_captions,
    sample_from_product,
    split_ids,
    type_key,
)
from encoder.train.export import export
from encoder.train.heads import AttributeHeadModule, HeadTargets, heads_loss, to_attribute_heads
from encoder.train.losses import image_label_loss, soft_clip_loss
from encoder.train.model import TextSide, build_model, param_groups, trainable_parameters
from encoder.train.sampler import hard_negative_batches

__all__ = ["VARIANTS", "Sample", "TrainConfig", "sample_from_product", "split_ids", "train", "with_overrides"]

log = logging.getLogger(__name__)

CHECKPOINT_NAME = "last.pt"


def _atomic_save(obj: Any, path: Path) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save(obj, tmp)
    tmp.replace(path)


@torch.no_grad()
def _validate(
    model: Any,  # an open_clip CLIP: its towers' methods are not typed
    text: TextSide,
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
    shopper_words: ShopperWords | None = None,
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
        shopper_words: shopper phrases for the captions (``encoder.captions.shopper_words``);
            needed when ``config.synonym_share`` is above 0.

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
    if config.synonym_share > 0 and not shopper_words:
        raise ValueError("captions in shoppers' words (synonym_share > 0) need a phrase table")
    out = Path(out_dir)
    ckpt_path = out / "checkpoints" / CHECKPOINT_NAME
    ckpt_path.parent.mkdir(parents=True, exist_ok=True)
    run = _start(samples, val_samples, config, epochs, seed, device, progress, shopper_words)
    if resume and ckpt_path.is_file():
        run.resume(ckpt_path)
    if run.text.locked:
        all_texts = [c.text for e in range(epochs)
                     for c in epoch_captions(samples, seed, e, shopper_words, config.synonym_share)]
        run.text.precompute([*all_texts, *(s.title for s in val_samples)], progress)
    run.model.train()
    for epoch in range(run.start_epoch, epochs):
        started = time.monotonic()
        loss = run.epoch(samples, epoch, progress)
        record = {"epoch": epoch + 1, "loss": loss, "seconds": time.monotonic() - started}
        if len(val_samples):
            record |= _validate(run.model, run.text, run.val_pixels, [s.title for s in val_samples],
                                run.device, OPENAI_MEAN, OPENAI_STD)
        run.history.append(record)
        log.info("epoch %d/%d %s", epoch + 1, epochs, record)
        if progress:
            tqdm.write(f"epoch {epoch + 1}/{epochs} " + " ".join(f"{k}={v:.4g}" for k, v in record.items()))
        if on_epoch:
            on_epoch(record)
        _atomic_save(run.checkpoint(epoch), ckpt_path)
    heads = (to_attribute_heads(run.heads, run.head_targets.labels)
             if run.heads is not None and run.head_targets is not None else None)
    return export(run.model, run.model_cfg, out, config=config, epochs=epochs, seed=seed,
                  history=run.history, train_count=len(samples), val_ids=[s.id for s in val_samples],
                  heads=heads, shopper_phrases=sum(len(v) for v in (shopper_words or {}).values()))


def _start(
    samples: Sequence[Sample], val_samples: Sequence[Sample], config: TrainConfig, epochs: int, seed: int,
    device: str | None, progress: bool, shopper_words: ShopperWords | None = None,
) -> _Run:
    """Seed, build the model, decode the photos and set up the optimizer, in that order (the
    order the random numbers are drawn in, so that one seed gives one model)."""
    torch_device = pick_device(device)
    if config.threads:
        torch.set_num_threads(config.threads)
    torch.manual_seed(seed)
    np.random.seed(seed)
    model, model_cfg, tokenizer = build_model(config)
    model = model.to(torch_device)
    locked = config.variant == "minilm"
    params = trainable_parameters(model, locked)
    size = int(model_cfg["vision_cfg"]["image_size"])
    pixels = decode_pixels([s.image for s in samples], size, cache_dir=config.cache_dir, progress=progress)
    val_pixels = decode_pixels(
        [s.image for s in val_samples], size, cache_dir=config.cache_dir, progress=progress
    )
    codes = ConstraintCodes([s.title for s in samples], [dict(s.attrs) for s in samples])
    text = TextSide(model, tokenizer, locked, torch_device)
    batch_size = min(config.batch_size, len(samples))
    steps_per_epoch = max(1, len(samples) // batch_size)
    groups = param_groups(params, model, config.weight_decay)
    head_targets, heads = None, None
    if config.head_weight > 0:
        head_targets = HeadTargets(samples, config.head_min_count)
        heads = AttributeHeadModule(head_targets.labels, int(model_cfg["embed_dim"])).to(torch_device)
        # No weight decay: the heads are small, and decay would fight the confidence they need.
        groups.append({"params": list(heads.parameters()), "weight_decay": 0.0})
    optimizer = torch.optim.AdamW(groups, lr=config.lr)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, _warmup_cosine(config.warmup_steps, steps_per_epoch * epochs))
    return _Run(model=model, model_cfg=model_cfg, text=text, device=torch_device, config=config, seed=seed,
                epochs=epochs, pixels=pixels, val_pixels=val_pixels, codes=codes,
                labels=torch.from_numpy(article_labels(codes)), batch_size=batch_size,
                steps_per_epoch=steps_per_epoch, optimizer=optimizer, scheduler=scheduler,
                heads=heads, head_targets=head_targets, words=shopper_words,
                types=[type_key(s.attrs) for s in samples],
                colours=[(s.attrs.get("colour") or "").strip().lower() or None for s in samples])


def _warmup_cosine(warmup_steps: int, total_steps: int) -> Callable[[int], float]:
    """The learning-rate factor: a linear warm-up, then a cosine decay to zero."""
    def lr_at(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        done = (step - warmup_steps) / max(1, total_steps - warmup_steps)
        return 0.5 * (1.0 + math.cos(math.pi * min(1.0, done)))
    return lr_at


@dataclass
class _Run:
    """One training run's model, data and optimizer state."""

    model: Any  # an open_clip CLIP: its towers' methods are not typed
    model_cfg: dict[str, Any]
    text: TextSide
    device: torch.device
    config: TrainConfig
    seed: int
    epochs: int
    pixels: torch.Tensor
    val_pixels: torch.Tensor
    codes: ConstraintCodes
    labels: torch.Tensor
    batch_size: int
    steps_per_epoch: int
    optimizer: torch.optim.Optimizer
    scheduler: Any
    heads: AttributeHeadModule | None = None
    head_targets: HeadTargets | None = None
    words: ShopperWords | None = None
    types: list[str | None] = field(default_factory=list)
    colours: list[str | None] = field(default_factory=list)
    start_epoch: int = 0
    history: list[dict[str, float]] = field(default_factory=list)

    def resume(self, path: Path) -> None:
        state = torch.load(path, map_location=self.device, weights_only=False)
        self.model.load_state_dict(state["model"])
        if self.heads is not None:
            self.heads.load_state_dict(state["heads"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        self.history = state["history"]
        self.start_epoch = state["epoch"] + 1
        log.info("resuming from %s at epoch %d", path, self.start_epoch + 1)

    def checkpoint(self, epoch: int) -> dict[str, Any]:
        return {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                "heads": self.heads.state_dict() if self.heads is not None else None,
                "scheduler": self.scheduler.state_dict(), "epoch": epoch, "history": self.history,
                "config": asdict(self.config), "seed": self.seed}

    def epoch(self, samples: Sequence[Sample], epoch: int, progress: bool) -> float:
        """One pass over ``samples``; returns the running loss."""
        seed, config, model = self.seed, self.config, self.model
        captions = epoch_captions(samples, seed, epoch, self.words, config.synonym_share)
        cap_codes = self.codes.caption_rows(captions)
        batches = self._batches(len(samples), epoch)
        gen = torch.Generator().manual_seed(seed * 100_003 + epoch)
        bar = tqdm(range(self.steps_per_epoch), desc=f"epoch {epoch + 1}/{self.epochs}",
                   disable=not progress, leave=False)
        running = 0.0
        for step in bar:
            idx = batches[step]
            images = augment(self.pixels[idx], gen, config.augment, OPENAI_MEAN, OPENAI_STD).to(self.device)
            img_f = model.encode_image(images, normalize=True)
            txt_f = self.text.features([captions[i].text for i in idx])
            scale = model.logit_scale.exp()
            if config.label_aware:
                match = torch.from_numpy(match_matrix(cap_codes[idx], self.codes.products[idx]))
            else:
                match = torch.eye(len(idx), dtype=torch.bool)
            loss = soft_clip_loss(scale * img_f @ txt_f.t(), match.to(self.device))
            if config.image_loss_weight:
                loss = loss + config.image_loss_weight * image_label_loss(
                    img_f, self.labels[idx].to(self.device), scale)
            if self.heads is not None and self.head_targets is not None:
                loss = loss + config.head_weight * heads_loss(self.heads, img_f, self.head_targets, idx)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            self.scheduler.step()
            with torch.no_grad():
                model.logit_scale.clamp_(0, math.log(100))
            running = loss.item() if step == 0 else 0.9 * running + 0.1 * loss.item()
            bar.set_postfix(loss=f"{running:.3f}")
        return running

    def _batches(self, n: int, epoch: int) -> list[np.ndarray]:
        """The epoch's batches: slices of a permutation, or hard-negative batches (``sampler``)."""
        rng = np.random.default_rng([self.seed, epoch, 2])
        if self.config.hard_negative_anchors:
            return hard_negative_batches(self.types, self.colours, self.batch_size, self.steps_per_epoch,
                                         self.config.hard_negative_anchors, rng).batches
        order = rng.permutation(n)
        return [order[s * self.batch_size : (s + 1) * self.batch_size] for s in range(self.steps_per_epoch)]
