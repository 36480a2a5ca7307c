"""Zero-shot attribute tagging accuracy against the catalog's own labels.

    python -m benchmarks.tagging --catalog ../shared/catalog [--model SPEC] [--limit N] [--json OUT]

Each product is tagged as if its occasion, colour and sub-category were missing (the
way the ingestion pipeline tags products that lack them), and the prediction is
compared with the label the catalog gives. Reported per field: accuracy, balanced
accuracy (mean recall over labels with at least 10 products), and accuracy among the
predictions the tagger was most confident about (top half). Products whose label is
outside the tagger's vocabulary are counted separately, not as errors.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
from collections import defaultdict
from pathlib import Path

import numpy as np

from benchmarks.results import write_json
from encoder import load_encoder, load_image
from indexer import Settings, read_catalog
from indexer.ingest import product_text
from indexer.schema import TAGGED_FIELDS
from workers.tagging import Tagger

MIN_PER_LABEL = 10


def evaluate(tagger: Tagger, products: list, image_vectors: np.ndarray, text_vectors: np.ndarray) -> dict:
    """Per-field accuracy of predictions made with the field hidden."""
    results: dict = {}
    for name in TAGGED_FIELDS:
        vocabulary = {v.casefold(): v for v in tagger.labels[name]}
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
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)

    settings = Settings.from_env(**({"model": args.model} if args.model else {}))
    encoder = load_encoder(settings.model, settings.device, settings.torch_threads)
    products = read_catalog(args.catalog).products
    if args.limit and len(products) > args.limit:
        products = random.Random(args.seed).sample(products, args.limit)
    image_vectors = encoder.embed_images([load_image(p.image) for p in products])
    text_vectors = encoder.embed_texts([product_text(p) for p in products])
    results = {
        "model": encoder.model_id,
        "catalog": str(args.catalog),
        "products": len(products),
        "fields": evaluate(Tagger(encoder), products, image_vectors, text_vectors),
    }
    print(f"\nZero-shot tagging, {len(products)} products, model {encoder.model_id}\n")
    print("| field | products | accuracy | balanced accuracy | accuracy, confident half |")
    print("|---|---|---|---|---|")
    for name, r in results["fields"].items():
        print(
            f"| {name} | {r['products']} | {r['accuracy']} | {r['balanced_accuracy']} | "
            f"{r['confident_half_accuracy']} |"
        )
    write_json(args.json, results)
    return results


if __name__ == "__main__":
    main()
