"""Retrieval quality of a model on a catalog folder, against a random-weights floor.

    python -m benchmarks.quality --catalog ../shared/catalog [--model SPEC] [--split val]
        [--json OUT] [--no-floor]

Runs on any catalog folder in the sample format (``styles.csv`` + ``images/``, or
``products.jsonl``). The folder's products are embedded with the model (photos
and titles) and searched exactly (brute-force cosine, which is what an exact
index returns). Reported, each in [0, 1]:

- ``title_to_image``: the product title as the query over all photos; R@1, R@10
  and MRR of the product's own photo (products with an identical title all count).
- ``category_p10``: "a photo of <sub-category>", P@10, macro-averaged over
  sub-categories with at least 10 products.
- ``colour_category_p10``: "<colour> <sub-category>", both must match, over pairs
  with at least 10 products.
- ``image_to_image_p10``: a product photo as the query (itself excluded); relevant:
  same sub-category, and same article type when both products have one.
- ``composed_p10``: photo of X plus the text "<colour>" naming another colour, for
  (X's sub-category, colour) pairs with at least 5 products; relevant: same
  sub-category as X in the requested colour; precision over the top
  min(10, #relevant), X excluded; text only, image only and fused at alpha
  0.25 / 0.5 / 0.75 (``encoder.fuse``).
- ``occasion_accuracy``: zero-shot ``occasion`` (the CSV's ``usage``) from prompts,
  balanced accuracy over values with at least 10 products; ``occasion_heads_accuracy``:
  the same from the model's attribute heads, for a model that ships them (``encoder/heads.py``).
- ``floor``: the same numbers for a randomly initialised model of the same architecture.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.quality_metrics import (
    balanced_accuracy,
    first_relevant_rank,
    mean_reciprocal_rank,
    precision_at,
    recall_at,
)
from encoder import Encoder, fuse
from encoder.errors import EncoderError
from encoder.loading import resolve_spec
from encoder.train.data import held_out_ids, split_ids
from indexer.catalog import read_catalog
from indexer.schema import Product

log = logging.getLogger(__name__)

MIN_CATEGORY = 10
MIN_COLOUR_CATEGORY = 10
MIN_COMPOSED = 5
MIN_OCCASION = 10
ALPHAS = ("0.25", "0.5", "0.75")
MAX_COMPOSED_QUERIES = 3000
OCCASION_PROMPTS = ("a photo of {} wear", "{} wear", "{}")
COMPOSED_SEED = 0


def _norm(value: str | None) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split()).lower()
    return text or None


def _mean(values: Sequence[float]) -> float:
    return float(np.mean(values)) if len(values) else 0.0


def _groups(keys: Sequence[Any], minimum: int) -> dict[Any, np.ndarray]:
    """Indices per key (None keys dropped) for keys with at least ``minimum`` products."""
    found: dict[Any, list[int]] = defaultdict(list)
    for i, key in enumerate(keys):
        if key is not None and (not isinstance(key, tuple) or None not in key):
            found[key].append(i)
    return {k: np.asarray(v) for k, v in sorted(found.items()) if len(v) >= minimum}


def _text_p10(
    encoder: Encoder, images: np.ndarray, queries: dict[str, np.ndarray]
) -> float:
    """Macro P@10 of text queries, each with the indices of its relevant products."""
    if not queries:
        return 0.0
    texts = list(queries)
    sims = encoder.embed_texts(texts) @ images.T
    relevant = np.zeros(sims.shape, dtype=bool)
    for row, text in enumerate(texts):
        relevant[row, queries[text]] = True
    return _mean(precision_at(sims, relevant, 10).tolist())


def evaluate(encoder: Encoder, products: Sequence[Product], batch_size: int = 64) -> dict[str, Any]:
    """Every metric of this module for ``encoder`` on ``products`` (photos must be readable)."""
    n = len(products)
    started = time.monotonic()
    images = encoder.embed_images([p.image for p in products], batch_size=batch_size)
    titles = [" ".join(p.title.split()) for p in products]
    title_emb = encoder.embed_texts(titles)
    log.info("embedded %d products in %.1fs", n, time.monotonic() - started)

    sub = [_norm(p.sub_category) for p in products]
    art = [_norm(p.article_type) for p in products]
    colour = [_norm(p.colour) for p in products]
    occasion = [_norm(p.occasion) for p in products]
    title_key = np.asarray([_norm(t) for t in titles], dtype=object)
    sub_a = np.asarray(sub, dtype=object)
    art_a = np.asarray(art, dtype=object)
    colour_a = np.asarray(colour, dtype=object)

    # Title -> image.
    sims = title_emb @ images.T
    ranks = first_relevant_rank(sims, title_key[:, None] == title_key[None, :])
    title_metrics = {
        "r1": recall_at(ranks, 1),
        "r10": recall_at(ranks, 10),
        "mrr": mean_reciprocal_rank(ranks),
    }

    # Category and colour + category text queries.
    cats = _groups(sub, MIN_CATEGORY)
    category_p10 = _text_p10(encoder, images, {f"a photo of {c}": idx for c, idx in cats.items()})
    pairs = _groups(list(zip(colour, sub, strict=True)), MIN_COLOUR_CATEGORY)
    colour_category_p10 = _text_p10(encoder, images, {f"{c} {s}": idx for (c, s), idx in pairs.items()})

    # Image -> image.
    queries = np.asarray([i for i in range(n) if sub[i] is not None], dtype=np.int64)
    i2i: list[float] = []
    for start in range(0, len(queries), 512):
        q = queries[start : start + 512]
        sims = images[q] @ images.T
        same_sub = sub_a[q][:, None] == sub_a[None, :]
        both_art = (art_a[q][:, None] != None) & (art_a[None, :] != None)  # noqa: E711
        same_art = art_a[q][:, None] == art_a[None, :]
        relevant = same_sub & (~both_art | same_art)
        i2i.extend(precision_at(sims, relevant, 10, exclude=q).tolist())

    composed = _composed(encoder, images, sub_a, colour_a)

    # Zero-shot occasion (and the occasion head's, where the model has one).
    occasions = _groups(occasion, MIN_OCCASION)
    occasion_heads: dict[str, float] = {}
    heads = getattr(encoder, "heads", None)  # a stand-in encoder may have none
    if len(occasions) >= 2 and heads is not None and "occasion" in heads.labels:
        members = np.concatenate(list(occasions.values()))
        labels = heads.labels["occasion"]
        best = encoder.attribute_probabilities(images[members], ["occasion"])["occasion"].argmax(1)
        occasion_heads["occasion_heads_accuracy"] = balanced_accuracy(
            [occasion[i] for i in members], [_norm(labels[j]) for j in best]
        )
    occasion_accuracy = 0.0
    if len(occasions) >= 2:
        names = list(occasions)
        prompts = [t.format(o) for o in names for t in OCCASION_PROMPTS]
        emb = encoder.embed_texts(prompts).reshape(len(names), len(OCCASION_PROMPTS), -1).mean(1)
        members = np.concatenate(list(occasions.values()))
        pred = (images[members] @ emb.T).argmax(1)
        occasion_accuracy = balanced_accuracy(
            [occasion[i] for i in members], [names[j] for j in pred]
        )

    return {
        "products": n,
        "title_to_image": title_metrics,
        "category_p10": category_p10,
        "colour_category_p10": colour_category_p10,
        "image_to_image_p10": _mean(i2i),
        "composed_p10": composed,
        "occasion_accuracy": occasion_accuracy,
        **occasion_heads,
        "counts": {
            "sub_categories": len(cats),
            "colour_category_pairs": len(pairs),
            "image_queries": len(i2i),
            "composed_queries": composed.pop("queries"),
            "occasions": len(occasions),
        },
    }


def _composed(
    encoder: Encoder, images: np.ndarray, sub_a: np.ndarray, colour_a: np.ndarray
) -> dict[str, Any]:
    """Photo of X + "<other colour>": precision at min(10, #relevant), per fusion weight."""
    pairs = _groups(list(zip(sub_a.tolist(), colour_a.tolist(), strict=True)), MIN_COMPOSED)
    combos: list[tuple[int, str, np.ndarray]] = []
    for (s, c), relevant in pairs.items():
        refs = np.nonzero((sub_a == s) & (colour_a != c) & (colour_a != None))[0]  # noqa: E711
        combos.extend((int(x), c, relevant) for x in refs)
    rng = np.random.default_rng(COMPOSED_SEED)
    if len(combos) > MAX_COMPOSED_QUERIES:
        keep = np.sort(rng.choice(len(combos), MAX_COMPOSED_QUERIES, replace=False))
        combos = [combos[i] for i in keep]
    empty = {"text_only": 0.0, "image_only": 0.0, "fused": dict.fromkeys(ALPHAS, 0.0), "queries": 0}
    if not combos:
        return empty
    colours = sorted({c for _, c, _ in combos})
    colour_emb = dict(zip(colours, encoder.embed_texts(colours), strict=True))
    refs = np.asarray([x for x, _, _ in combos])
    text_q = np.stack([colour_emb[c] for _, c, _ in combos])
    image_q = images[refs]
    relevant = np.zeros((len(combos), len(images)), dtype=bool)
    for row, (_, _, idx) in enumerate(combos):
        relevant[row, idx] = True
    ks = np.minimum(10, relevant.sum(1))

    def score(q: np.ndarray) -> float:
        return _mean(precision_at(q @ images.T, relevant, ks, exclude=refs).tolist())

    return {
        "text_only": score(text_q),
        "image_only": score(image_q),
        "fused": {a: score(fuse(image_q, text_q, float(a))) for a in ALPHAS},
        "queries": len(combos),
    }


def floor_spec(spec: str) -> str:
    """The random-weights spec of the same architecture as ``spec``."""
    if spec.startswith("random:"):
        return spec
    resolved = resolve_spec(spec)
    if resolved.model_name.startswith("local-dir:"):
        return f"random:{resolved.model_name.removeprefix('local-dir:')}"
    return f"random:{resolved.model_name}"


def select_products(
    catalog: str | Path, split: str | None = None, split_file: str | Path | None = None,
    limit: int | None = None,
) -> list[Product]:
    """The catalog's products, optionally only those of the validation split: the project's fixed
    split (``split_ids``: a hash of the id, 15 %) unless ``split_file`` names another; ``limit``
    keeps the first N in catalog order."""
    report = read_catalog(catalog)
    if report.errors:
        log.warning("%d catalog row(s) skipped, e.g. %s", len(report.errors), report.errors[0])
    products = report.products
    if split is not None:
        if split != "val":
            raise SystemExit(f"--split takes 'val', got {split!r}")
        if split_file is None:
            val_ids = set(split_ids([p.id for p in products])[1])
        else:
            try:
                val_ids = set(json.loads(Path(split_file).read_text(encoding="utf-8"))["val_ids"])
            except (OSError, KeyError, ValueError) as e:
                raise SystemExit(f"cannot read the validation split from {split_file}: {e}") from e
        products = [p for p in products if p.id in val_ids]
        if not products:
            raise SystemExit(f"none of the catalog's products is in the validation split {split_file or ''}")
    return products[:limit] if limit else products


def seen_in_training(model: str, products: Sequence[Product]) -> int | None:
    """How many of ``products`` the model may have trained on: those its ``split.json`` does not
    hold out (all of them for a model trained on the whole catalog). None when the model has no
    split file (a model from elsewhere: unknown)."""
    try:
        directory = resolve_spec(model).directory
    except EncoderError:  # an unresolvable spec fails later, in Encoder.load, with its own message
        return None
    held_out = held_out_ids(directory) if directory is not None else None
    if held_out is None:
        return None
    return sum(p.id not in held_out for p in products)


def warn_if_seen(model: str, products: Sequence[Product]) -> int | None:
    """Say on stderr when the figures are not held-out figures; returns ``seen_in_training``."""
    seen = seen_in_training(model, products)
    if seen:
        log.warning("note: the model trained on %d of these %d products (its split.json), so these are "
                    "not held-out figures; a twin trained without them gives those", seen, len(products))
    return seen


ROWS = (
    ("title -> image R@1", ("title_to_image", "r1")),
    ("title -> image R@10", ("title_to_image", "r10")),
    ("title -> image MRR", ("title_to_image", "mrr")),
    ("category P@10", ("category_p10",)),
    ("colour + category P@10", ("colour_category_p10",)),
    ("image -> image P@10", ("image_to_image_p10",)),
    ("composed, text only", ("composed_p10", "text_only")),
    ("composed, image only", ("composed_p10", "image_only")),
    *((f"composed, fused alpha {a}", ("composed_p10", "fused", a)) for a in ALPHAS),
    ("occasion balanced accuracy", ("occasion_accuracy",)),
    ("occasion balanced accuracy, heads", ("occasion_heads_accuracy",)),
)


def _get(result: dict[str, Any], path: tuple[str, ...]) -> float:
    value: Any = result
    for key in path:
        value = value[key]
    return float(value)


def markdown_table(result: dict[str, Any], model_name: str) -> str:
    floor = result.get("floor")
    head = f"| metric | {model_name} |" + (" random floor |" if floor else "")
    rule = "|---|---:|" + ("---:|" if floor else "")
    lines = [head, rule]
    for label, path in ROWS:
        if path[0] not in result:  # a row only some models have (the heads')
            continue
        row = f"| {label} | {_get(result, path):.3f} |"
        if floor:
            row += f" {_get(floor, path):.3f} |" if path[0] in floor else " |"
        lines.append(row)
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.quality", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--catalog", required=True, help="catalog folder (styles.csv + images/)")
    parser.add_argument("--model", default="default", help="model spec (see encoder.loading)")
    parser.add_argument("--split", choices=["val"], help="only the validation products of the split")
    parser.add_argument("--split-file",
                        help="split.json to use with --split (default: the project's fixed split)")
    parser.add_argument("--limit", type=int, help="only the first N products (after --split)")
    parser.add_argument("--json", dest="json_out", help="write the metrics to this JSON file")
    parser.add_argument("--no-floor", action="store_true", help="skip the random-weights floor")
    parser.add_argument("--device", help="cpu or cuda (default: cuda when present)")
    args = parser.parse_args(argv)
    if args.limit is not None and args.limit < 1:
        parser.error("--limit must be at least 1")
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)

    products = select_products(args.catalog, args.split, args.split_file, args.limit)
    seen = warn_if_seen(args.model, products)
    encoder = Encoder.load(args.model, device=args.device)
    result = evaluate(encoder, products)
    result["model"] = encoder.model_id
    result["products"] = len(products)
    result["products_seen_in_training"] = seen
    if not args.no_floor:
        floor_encoder = Encoder.load(floor_spec(args.model), device=args.device)
        result["floor"] = evaluate(floor_encoder, products)
        result["floor"]["model"] = floor_encoder.model_id
    print(f"{len(products)} products from {args.catalog}" + (" (validation split)" if args.split else ""))
    print(markdown_table(result, encoder.model_id))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
