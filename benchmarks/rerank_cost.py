"""Cost of the re-ranking step alone: the product's FAISS path against plain numpy.

    python -m benchmarks.rerank_cost [--catalog ../shared/catalog] [--model SPEC|tiny]
        [--counts 100,200,500,1000,2000,5000] [--repeats 7] [--out docs/benchmarks]

For each candidate count, scores that many catalog products' image and text vectors
against a fused query, ``w_image * cos(q, image) + w_text * cos(q, text)``, through
``indexer.rerank.rerank`` (a FAISS IndexFlatIP built over the candidates per call)
and through two numpy matrix-vector products. Both are timed in the same loop,
alternating, and reported as medians over ``repeats``; the scores are checked equal.
Writes ``rerank_cost.csv``, ``rerank_cost.md`` and ``rerank_cost.png``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import faiss
import numpy as np

from benchmarks.ann_data import load_catalog_dataset
from benchmarks.ann_report import write_csv
from encoder import normalize
from indexer.rerank import rerank

COUNTS = (100, 200, 500, 1000, 2000, 5000)


def numpy_rerank(
    query: np.ndarray, image: np.ndarray, text: np.ndarray, w_image: float, w_text: float
) -> np.ndarray:
    """The same scores as ``indexer.rerank.rerank`` with two matrix-vector products."""
    return (w_image * (image @ query) + w_text * (text @ query)).astype(np.float32)


def _per_call(fn: Callable[[], object], inner: int) -> float:
    t0 = time.perf_counter()
    for _ in range(inner):
        fn()
    return (time.perf_counter() - t0) / inner


def measure(
    image: np.ndarray,
    text: np.ndarray,
    counts: Sequence[int],
    *,
    repeats: int = 7,
    seed: int = 0,
    threads: int = 1,
) -> list[dict]:
    """Median microseconds per re-rank call for each count, FAISS and numpy side by side.

    Both run on ``threads`` threads (FAISS's OpenMP and numpy's BLAS): on a shared machine
    a multi-threaded BLAS call of a few microseconds' work can wait milliseconds for its
    threads, which measures the neighbours, not the method.
    """
    from threadpoolctl import threadpool_limits

    previous = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(threads)
    try:
        with threadpool_limits(limits=threads):
            return _measure(image, text, counts, repeats=repeats, seed=seed)
    finally:
        faiss.omp_set_num_threads(previous)


def _measure(
    image: np.ndarray, text: np.ndarray, counts: Sequence[int], *, repeats: int, seed: int
) -> list[dict]:
    rng = np.random.default_rng(seed)
    rows = []
    for count in counts:
        idx = rng.choice(image.shape[0], size=count, replace=count > image.shape[0])
        img = np.ascontiguousarray(image[idx])
        txt = np.ascontiguousarray(text[idx])
        q = normalize(0.5 * image[rng.integers(image.shape[0])] + 0.5 * text[rng.integers(text.shape[0])])
        faiss_scores = rerank(q, img, txt, 0.5, 0.5).score
        np_scores = numpy_rerank(q, img, txt, 0.5, 0.5)
        if not np.allclose(faiss_scores, np_scores, atol=1e-5):
            raise AssertionError(f"FAISS and numpy re-rank scores differ at {count} candidates")
        inner = max(3, 20_000 // count)  # calls per timing, so each timing spans milliseconds
        f_times, n_times = [], []
        for _ in range(repeats):
            f_times.append(_per_call(lambda q=q, a=img, b=txt: rerank(q, a, b, 0.5, 0.5), inner))
            n_times.append(_per_call(lambda q=q, a=img, b=txt: numpy_rerank(q, a, b, 0.5, 0.5), inner))
        f_us, n_us = statistics.median(f_times) * 1e6, statistics.median(n_times) * 1e6
        rows.append(
            {
                "candidates": count,
                "dim": int(image.shape[1]),
                "faiss_us": round(f_us, 1),
                "numpy_us": round(n_us, 1),
                "faiss_over_numpy": round(f_us / n_us, 2),
                "threads": faiss.omp_get_max_threads(),
                "repeats": repeats,
            }
        )
    return rows


def markdown(rows: Sequence[dict]) -> str:
    head = "| candidates | FAISS µs | numpy µs | FAISS / numpy |\n|---|---|---|---|\n"
    return head + "".join(
        f"| {r['candidates']} | {r['faiss_us']:.0f} | {r['numpy_us']:.0f} | {r['faiss_over_numpy']:.2f} |\n"
        for r in rows
    )


def plot(rows: Sequence[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.2, 3.4))
    x = [r["candidates"] for r in rows]
    ax.plot(x, [r["faiss_us"] for r in rows], marker="o", ms=3, label="FAISS IndexFlatIP per call (product)")
    ax.plot(x, [r["numpy_us"] for r in rows], marker="o", ms=3, label="numpy matrix-vector")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("candidates re-ranked (image + text vectors each)")
    ax.set_ylabel("µs per query (median)")
    ax.set_title(f"Re-ranking step alone, dim {rows[0]['dim']}, {rows[0]['threads']} thread(s)", fontsize=9)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def main(argv: list[str] | None = None) -> list[dict]:
    from benchmarks.ann_compare import load_model

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--catalog", type=Path, default=Path("../shared/catalog"))
    parser.add_argument("--model", default=None, help="model spec, tiny or stand-in:CONFIG")
    parser.add_argument("--counts", default=",".join(map(str, COUNTS)))
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1, help="FAISS and BLAS threads for both")
    parser.add_argument("--out", type=Path, default=Path("docs/benchmarks"))
    parser.add_argument("--data-dir", type=Path, default=Path("data/bench"))
    args = parser.parse_args(argv)
    encoder = load_model(args.model, args.data_dir)
    ds = load_catalog_dataset(args.catalog, encoder, args.data_dir / "embeddings")
    counts = [int(c) for c in args.counts.split(",") if c.strip()]
    rows = measure(ds.image, ds.text, counts, repeats=args.repeats, threads=args.threads)
    print(f"Re-ranking step alone, model {ds.model}, dim {ds.dim} (median µs per query)\n", file=sys.stderr)
    print(markdown(rows))
    write_csv(rows, args.out / "rerank_cost.csv")
    (args.out / "rerank_cost.md").write_text(markdown(rows), encoding="utf-8")
    plot(rows, args.out / "rerank_cost.png")
    return rows


if __name__ == "__main__":
    main()
