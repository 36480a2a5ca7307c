"""Attribute tagging accuracy against the catalog's own labels: zero-shot prompts and, for a
model that ships attribute heads, the heads, side by side.

    python -m benchmarks.tagging --catalog ../shared/catalog [--model SPEC] [--limit N]
        [--split val [--split-file SPLIT]] [--json OUT]

Each product is tagged as if its occasion, colour and sub-category were missing (the
way the ingestion pipeline tags products that lack them), and the prediction is
compared with the label the catalog gives. Reported per field: accuracy, balanced
accuracy (mean recall over labels with at least 10 products), and accuracy among the
predictions the tagger was most confident about (top half). Products whose label is
outside the tagger's vocabulary are counted separately, not as errors; when both sources
are measured, only products whose label both can name are scored, so the two columns
count the same products. Heads were trained on the training products: measure them with
``--split val`` (the model's ``split.json``), never on the whole catalog.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from benchmarks.quality import select_products, warn_if_seen
from benchmarks.results import write_json
from encoder import load_encoder, load_image
from indexer import Settings
from indexer.ingest import product_text
from indexer.schema import TAGGED_FIELDS
from workers.tagging import Tagger

MIN_PER_LABEL = 10


def evaluate(tagger: Tagger, products: list, image_vectors: np.ndarray, text_vectors: np.ndarray,
             also_named_by: Sequence[Tagger] = ()) -> dict:
    """Per-field accuracy of predictions made with the field hidden (``also_named_by``: only
    products whose label those taggers can name as well)."""
    results: dict = {}
    for name in TAGGED_FIELDS:
        vocabulary = {v.casefold(): v for v in tagger.labels[name]}
        for other in also_named_by:
            named = {v.casefold() for v in other.labels[name]}
            vocabulary = {k: v for k, v in vocabulary.items() if k in named}
        rows = [
            i
            for i, p in enumerate(products)
            if getattr(p, name) and getattr(p, name).casefold() in vocabulary
        ]
        hidden = [dataclasses.replace(products[i], **{name: None}) for i in rows]
        predictions = tagger.predict(hidden, image_vectors[rows], text_vectors[rows], fields=[name])
        truth = [vocabulary[getattr(products[i], name).casefold()] for i in rows]
        guessed = [p[0].value for p in predictions]
        confidence = np.array([p[0].confidence for p in predictions])
        correct = np.array([g == t for g, t in zip(guessed, truth, strict=True)])
        per_label: dict[str, list[bool]] = defaultdict(list)
        for t, c in zip(truth, correct, strict=True):
            per_label[t].append(bool(c))
        recalls = [float(np.mean(v)) for v in per_label.values() if len(v) >= MIN_PER_LABEL]
        confident = correct[confidence >= np.median(confidence)] if len(confidence) else correct
        results[name] = {
            "products": len(rows),
            "outside_vocabulary": sum(1 for p in products if getattr(p, name)) - len(rows),
            "accuracy": round(float(correct.mean()), 4) if len(correct) else None,
            "balanced_accuracy": round(float(np.mean(recalls)), 4) if recalls else None,
            "confident_half_accuracy": round(float(confident.mean()), 4) if len(confident) else None,
            "labels": len(per_label),
            "source": tagger.sources.get(name, "prompts"),
        }
    return results


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--catalog", required=True, type=Path)
    parser.add_argument(
        "--model", default=None, help="model spec (default: VITRINE_MODEL or the shipped model)"
    )
    parser.add_argument("--limit", type=int, default=2000, help="products sampled (seeded); 0 for all")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--split", choices=["val"], help="only the validation products of the split")
    parser.add_argument("--split-file",
                        help="split.json to use with --split (default: the project's fixed split)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)

    settings = Settings.from_env(**({"model": args.model} if args.model else {}))
    encoder = load_encoder(settings.model, settings.device, settings.torch_threads)
    products = select_products(args.catalog, args.split, args.split_file)
    if args.limit and len(products) > args.limit:
        products = random.Random(args.seed).sample(products, args.limit)
    seen = warn_if_seen(settings.model, products)
    image_vectors = encoder.embed_images([load_image(p.image) for p in products])
    text_vectors = encoder.embed_texts([product_text(p) for p in products])
    prompts = Tagger(encoder, head_fields=())
    taggers = {"prompts": prompts}
    if encoder.heads is not None:  # every field the heads cover, whatever the ingestion default
        taggers["heads"] = Tagger(encoder, head_fields=TAGGED_FIELDS)
    results: dict = {
        "model": encoder.model_id,
        "catalog": str(args.catalog),
        "split": args.split,
        "products": len(products),
        "products_seen_in_training": seen,
        "sources": {
            source: evaluate(tagger, products, image_vectors, text_vectors,
                             [t for s, t in taggers.items() if s != source])
            for source, tagger in taggers.items()
        },
    }
    results["fields"] = results["sources"]["prompts"]  # the zero-shot figures, as before
    where = " (validation split)" if args.split else ""
    print(f"\nTagging, {len(products)} products{where}, model {encoder.model_id}\n")
    print("| field | source | products | accuracy | balanced accuracy | accuracy, confident half |")
    print("|---|---|---|---|---|---|")
    for name in TAGGED_FIELDS:
        for source, fields in results["sources"].items():
            r = fields[name]
            print(
                f"| {name} | {source if r['source'] == source else source + ' (no head: prompts)'} | "
                f"{r['products']} | {r['accuracy']} | {r['balanced_accuracy']} | "
                f"{r['confident_half_accuracy']} |"
            )
    write_json(args.json, results)
    return results


if __name__ == "__main__":
    main()
