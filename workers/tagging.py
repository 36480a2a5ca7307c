"""Attribute tagging: predict a missing occasion, colour or sub-category with the encoder.

Two sources: zero-shot prompts (any model: the photo and title vectors against label
prompts such as "formal wear"), or the model's attribute heads (a model trained with
``vitrine train --heads`` ships a linear classifier per attribute over the image vector;
``encoder/heads.py``). The fields named in ``head_fields`` that the model has a head for are
predicted by it, over the head's own labels; other fields, and models without heads, use the
prompts. ``benchmarks.tagging`` measures both side by side, per field: a head reads the photo
only, so where the title says the answer (colour) prompts over photo and title can win.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from encoder import Encoder, normalize
from indexer.schema import CONFIDENCE_SUFFIX, PREDICTED_SUFFIX, TAGGED_FIELDS, Product
from settings.queue import QueueSettings

# Fields the attribute heads tag by default (VITRINE_TAG_HEADS): where the shipped model's heads
# beat the prompts (encoder/MODEL_CARD.md): occasion and sub-category; colour stays with the
# prompts, which read the title that names it.
HEAD_FIELDS: tuple[str, ...] = QueueSettings.tag_head_fields

# Vocabularies: the sample catalog's values plus ones a store needs that it lacks ("Party").
DEFAULT_LABELS: dict[str, tuple[str, ...]] = {
    "occasion": ("Casual", "Formal", "Sports", "Ethnic", "Smart Casual", "Travel", "Party"),
    "colour": (
        "Black", "White", "Blue", "Navy Blue", "Red", "Green", "Grey", "Brown", "Pink", "Purple",
        "Yellow", "Orange", "Beige", "Maroon", "Olive", "Silver", "Gold", "Cream", "Teal", "Multi",
    ),
    "sub_category": (
        "Topwear", "Bottomwear", "Dress", "Innerwear", "Loungewear and Nightwear", "Saree", "Shoes",
        "Sandal", "Flip Flops", "Watches", "Bags", "Belts", "Jewellery", "Eyewear", "Wallets",
        "Headwear", "Socks", "Ties", "Scarves", "Cufflinks", "Gloves", "Fragrance", "Lips", "Nails",
        "Makeup", "Accessories",
    ),
}
PROMPTS: dict[str, tuple[str, ...]] = {
    "occasion": ("{} wear", "a {} outfit", "clothes for {} occasions"),
    "colour": ("a {} product", "{} colour", "a photo of something {}"),
    "sub_category": ("a photo of {}", "{}", "a product photo of {}"),
}


@dataclass(frozen=True)
class Prediction:
    """A predicted value for one field, and the model's confidence in it (softmax probability)."""

    field: str
    value: str
    confidence: float


class Tagger:
    """Predicts tagged attributes from a product's image and title embeddings.

    Zero-shot: each label's prompts are embedded once; a product's score for a label is the
    mean of its image and title similarity to the label, scaled by the model's logit scale.
    The fields of ``head_fields`` that the model's attribute heads cover are predicted from
    the image vector by the heads instead, over the heads' labels (which replace ``labels``
    for those fields); ``sources`` says which source each field uses.
    """

    def __init__(self, encoder: Encoder, labels: Mapping[str, Sequence[str]] | None = None,
                 head_fields: Iterable[str] = HEAD_FIELDS) -> None:
        self.encoder = encoder
        self.labels = {f: tuple(v) for f, v in (labels or DEFAULT_LABELS).items()}
        heads = encoder.heads
        wanted = set(head_fields)
        self.sources = {f: "heads" if heads and f in wanted and f in heads.labels else "prompts"
                        for f in self.labels}
        for name, source in self.sources.items():
            if heads and source == "heads":
                self.labels[name] = heads.labels[name]
        scale = getattr(encoder.model, "logit_scale", None)
        self.scale = float(scale.exp().item()) if scale is not None else 100.0
        self._label_vectors = {f: self._embed_labels(f, values) for f, values in self.labels.items()
                               if self.sources[f] == "prompts"}

    def _embed_labels(self, field: str, values: Sequence[str]) -> np.ndarray:
        prompts = PROMPTS.get(field, ("{}",))
        texts = [p.format(v.lower()) for v in values for p in prompts]
        vectors = self.encoder.embed_texts(texts).reshape(len(values), len(prompts), -1)
        return normalize(vectors.mean(axis=1))

    def probabilities(self, field: str, image_vectors: np.ndarray, text_vectors: np.ndarray) -> np.ndarray:
        """``(n, labels)`` softmax probabilities of each label of ``field``."""
        if self.sources.get(field) == "heads":
            return self.encoder.attribute_probabilities(image_vectors, [field])[field]
        labels = self._label_vectors[field]
        logits = self.scale * 0.5 * (image_vectors @ labels.T + text_vectors @ labels.T)
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)

    def predict(
        self,
        products: Sequence[Product],
        image_vectors: np.ndarray,
        text_vectors: np.ndarray,
        fields: Iterable[str] = TAGGED_FIELDS,
        min_confidence: float = 0.0,
    ) -> list[list[Prediction]]:
        """Predictions for the fields each product lacks; fields the catalog gave are never touched."""
        out: list[list[Prediction]] = [[] for _ in products]
        for name in fields:
            missing = [i for i, p in enumerate(products) if getattr(p, name) is None]
            if not missing:
                continue
            probs = self.probabilities(name, image_vectors[missing], text_vectors[missing])
            for row, i in enumerate(missing):
                best = int(np.argmax(probs[row]))
                confidence = float(probs[row, best])
                if confidence >= min_confidence:
                    out[i].append(Prediction(name, self.labels[name][best], round(confidence, 4)))
        return out


def prediction_payload(predictions: Iterable[Prediction]) -> dict[str, object]:
    """Predictions as payload keys beside the fields: ``occasion_predicted``, ``occasion_confidence``."""
    payload: dict[str, object] = {}
    for p in predictions:
        payload[f"{p.field}{PREDICTED_SUFFIX}"] = p.value
        payload[f"{p.field}{CONFIDENCE_SUFFIX}"] = p.confidence
    return payload
