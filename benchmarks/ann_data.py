"""Benchmark datasets: the sample catalog's real embeddings and larger sets grown from them.

How the sets are made (also written up in ``docs/benchmarks/README.md``):

* **catalog**: every product of the sample catalog, embedded with the model under test:
  the photo gives the ``image`` vector, ``product_text`` (title + occasion + season) the
  ``text`` vector, exactly as ``indexer.index_entries`` stores them. Payload fields are
  the catalog's own.
* **grown sets (100k, 1M)**: the catalog's image vectors come first, unchanged; every
  further product picks a source product uniformly at random and gets
  ``normalize(v_src + g)``, where ``g`` is isotropic Gaussian noise whose expected norm
  equals the catalog's median nearest-neighbour distance (so a synthetic product sits
  about as far from its source as real products sit from their closest neighbour, and
  the catalog's clusters keep their shape without collapsing into exact duplicates).
  Its payload is the payload of a random catalog product *of the same sub-category as
  the source*, which keeps the link between where a vector lies and what it is, and
  keeps the joint distribution of (category, sub-category, occasion), hence the filter
  selectivities, the catalog's in expectation.
* **queries**: text vectors of randomly drawn catalog products (a shopper describing a
  product in words), searched against the ``image`` vectors: the cross-modal case the
  product serves, and the harder one for an ANN index because text and image vectors
  occupy different regions of the shared space.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from encoder import Encoder, normalize
from indexer import product_text, read_catalog
from indexer.schema import Product

PAYLOAD_FIELDS = ("category", "sub_category", "occasion", "gender")
"""The payload fields a benchmark product carries (the filters use the first three)."""

FILTERS: dict[str, dict[str, list[str]]] = {
    "none": {},
    "~50%": {"category": ["Apparel"], "occasion": ["Casual", "Formal"]},
    "~5%": {"category": ["Apparel"], "occasion": ["Formal"]},
    "~0.5%": {"sub_category": ["Socks"], "occasion": ["Sports"]},
}
"""Filters by target selectivity (catalog shares: 48.0%, 4.9% and 0.50%)."""

SIZES = {"catalog": 0, "10k": 10_000, "25k": 25_000, "50k": 50_000, "100k": 100_000, "1m": 1_000_000}
"""Dataset names accepted on the command line; 0 means the catalog as it is."""


@dataclass
class Dataset:
    """Vectors with categorical payloads stored as codes into per-field vocabularies."""

    name: str
    image: np.ndarray  # (n, d) float32, unit rows: the indexed vectors
    text: np.ndarray  # (m, d) float32 text vectors of the catalog products (the query pool)
    vocab: dict[str, list[str]]
    codes: dict[str, np.ndarray]  # field -> (n,) int32 index into vocab[field]
    model: str

    @property
    def n(self) -> int:
        return int(self.image.shape[0])

    @property
    def dim(self) -> int:
        return int(self.image.shape[1])

    def payload(self, i: int) -> dict[str, str]:
        """Product ``i``'s payload as Qdrant stores it."""
        return {f: self.vocab[f][int(self.codes[f][i])] for f in PAYLOAD_FIELDS}

    def mask(self, spec: dict[str, list[str]]) -> np.ndarray:
        """Which products match a filter (AND across fields, any-of within a field)."""
        out = np.ones(self.n, dtype=bool)
        for field, values in spec.items():
            wanted = [self.vocab[field].index(v) for v in values if v in self.vocab[field]]
            out &= np.isin(self.codes[field], np.asarray(wanted, dtype=np.int32))
        return out


def model_slug(model_id: str) -> str:
    """A file-name-safe form of a model identity."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", model_id)[:80]


def encode_payloads(products: Sequence[Product]) -> tuple[dict[str, list[str]], dict[str, np.ndarray]]:
    """Per-field vocabularies and codes; a missing value becomes the empty string."""
    vocab: dict[str, list[str]] = {}
    codes: dict[str, np.ndarray] = {}
    for field in PAYLOAD_FIELDS:
        values = [getattr(p, field) or "" for p in products]
        vocab[field] = sorted(set(values))
        lookup = {v: i for i, v in enumerate(vocab[field])}
        codes[field] = np.fromiter((lookup[v] for v in values), dtype=np.int32, count=len(values))
    return vocab, codes


def embed_products(encoder: Encoder, products: Sequence[Product], name: str = "catalog") -> Dataset:
    """Embed products the way the indexer does (photo -> image, product_text -> text)."""
    image = encoder.embed_images([p.image for p in products])
    text = encoder.embed_texts([product_text(p) for p in products])
    vocab, codes = encode_payloads(products)
    return Dataset(name, image, text, vocab, codes, encoder.model_id)


def load_catalog_dataset(catalog: Path, encoder: Encoder, cache_dir: Path) -> Dataset:
    """The catalog's embeddings, cached in ``cache_dir`` per model (embedding takes minutes)."""
    path = cache_dir / f"catalog-{model_slug(encoder.model_id)}.npz"
    products = [e.product for e in read_catalog(catalog).entries]
    if path.is_file():
        z = np.load(path)
        if z["image"].shape[0] == len(products):
            vocab, codes = encode_payloads(products)
            return Dataset("catalog", z["image"], z["text"], vocab, codes, encoder.model_id)
    ds = embed_products(encoder, products)
    cache_dir.mkdir(parents=True, exist_ok=True)
    np.savez(path, image=ds.image, text=ds.text)
    return ds


def median_nn_distance(vectors: np.ndarray, sample: int = 1000, seed: int = 0) -> float:
    """Median Euclidean distance from a sample of rows to their nearest other row."""
    rng = np.random.default_rng(seed)
    idx = rng.choice(vectors.shape[0], size=min(sample, vectors.shape[0]), replace=False)
    sims = vectors[idx] @ vectors.T
    sims[np.arange(idx.size), idx] = -np.inf  # not oneself
    best = np.clip(sims.max(axis=1), -1.0, 1.0)
    return float(np.median(np.sqrt(2.0 - 2.0 * best)))


def grow(base: Dataset, n: int, name: str, seed: int = 0, noise_scale: float = 1.0) -> Dataset:
    """A set of ``n`` products grown from ``base`` (see the module docstring for the recipe)."""
    if n <= base.n:
        return Dataset(
            name,
            base.image[:n].copy(),
            base.text,
            base.vocab,
            {f: c[:n].copy() for f, c in base.codes.items()},
            base.model,
        )
    rng = np.random.default_rng(seed)
    extra = n - base.n
    source = rng.integers(0, base.n, size=extra)
    # Noise of expected norm sigma * sqrt(d) = median NN distance.
    sigma = noise_scale * median_nn_distance(base.image) / np.sqrt(base.dim)
    image = np.empty((n, base.dim), dtype=np.float32)
    image[: base.n] = base.image
    chunk = 100_000  # bounded temporaries at 1M
    for start in range(0, extra, chunk):
        src = source[start : start + chunk]
        noisy = base.image[src] + rng.normal(0.0, sigma, size=(src.size, base.dim)).astype(np.float32)
        image[base.n + start : base.n + start + src.size] = normalize(noisy)
    # Payload donor: a random catalog product of the source's sub-category.
    sub = base.codes["sub_category"]
    order = np.argsort(sub, kind="stable")
    starts = np.searchsorted(sub[order], np.arange(len(base.vocab["sub_category"])))
    counts = np.bincount(sub, minlength=len(base.vocab["sub_category"]))
    src_sub = sub[source]
    donor = order[starts[src_sub] + (rng.random(extra) * counts[src_sub]).astype(np.int64)]
    codes = {f: np.concatenate([c, c[donor]]).astype(np.int32) for f, c in base.codes.items()}
    return Dataset(name, image, base.text, base.vocab, codes, base.model)


def make_queries(base: Dataset, count: int, seed: int = 1) -> np.ndarray:
    """Text vectors of ``count`` random catalog products, as contiguous float32."""
    rng = np.random.default_rng(seed)
    idx = rng.choice(base.text.shape[0], size=count, replace=count > base.text.shape[0])
    return np.ascontiguousarray(base.text[idx], dtype=np.float32)


def exact_top_k(
    vectors: np.ndarray, queries: np.ndarray, k: int, mask: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Ground truth: ids of the ``k`` highest inner products among masked rows (-1 pads),
    and each query's k-th best score (the bar a result must reach to count as a hit)."""
    ids = np.arange(vectors.shape[0]) if mask is None else np.flatnonzero(mask)
    out = np.full((queries.shape[0], k), -1, dtype=np.int64)
    kth = np.full(queries.shape[0], -np.inf, dtype=np.float32)
    if ids.size == 0:
        return out, kth
    kk = min(k, ids.size)
    chunk = max(1, 50_000_000 // max(ids.size, 1))  # bounded score matrices at 1M
    sub = vectors if mask is None else vectors[ids]
    for start in range(0, queries.shape[0], chunk):
        scores = queries[start : start + chunk] @ sub.T
        part = np.argpartition(-scores, kk - 1, axis=1)[:, :kk]
        top = np.take_along_axis(scores, part, axis=1)
        order = np.argsort(-top, axis=1, kind="stable")
        out[start : start + chunk, :kk] = ids[np.take_along_axis(part, order, axis=1)]
        kth[start : start + chunk] = top.min(axis=1)
    return out, kth


def recall_at_k(
    found: np.ndarray, truth: np.ndarray, kth: np.ndarray, vectors: np.ndarray, queries: np.ndarray
) -> float:
    """Mean over queries of hits / |truth|, where a hit is a distinct returned id scoring at
    least the exact k-th score: products with tied vectors (the catalog has duplicate photos)
    are equally right answers, whichever of them an engine returns."""
    total = 0.0
    for f, t, bar, q in zip(found, truth, kth, queries, strict=True):
        want = int((t >= 0).sum())
        if not want:
            total += 1.0
            continue
        got = np.unique(f[f >= 0])
        hits = int((vectors[got] @ q >= bar - 1e-5).sum()) if got.size else 0
        total += min(hits, want) / want
    return total / len(truth)
