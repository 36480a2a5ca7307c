"""Qdrant (Edge, server) against FAISS on the catalog's embeddings and sets grown from them.

    python -m benchmarks.ann_compare --catalog ../shared/catalog --dataset catalog --dataset 100k
        [--model SPEC|tiny|stand-in:vitrine-rn64]
        [--engines edge,edge-sq,faiss-flat,faiss-hnsw,faiss-ivfflat,faiss-ivfpq]
        [--queries 200] [--repeats 3] [--ef 16,32,64,128,256,512] [--nprobe 1,4,16,64,128,256]
        [--hnsw-m 16,32] [--faiss-hnsw-m 16,32] [--full-scan-kb 10000]
        [--out docs/benchmarks] [--data-dir data/bench]

For each dataset: build every engine (timed), then for each filter (none, ~50%, ~5%,
~0.5%) and each search-knob value measure recall@10 against exact search, single-
query p50/p99 and QPS, and batched QPS. Writes ``ann_<dataset>.csv``, ``.md`` and two
plots per dataset under ``--out``, and prints the default-setting pick. The Qdrant
server engines run only when ``QDRANT_URL`` is set. ``--model tiny`` uses a small
random open_clip model (for trying the harness out); figures worth reading use the
default model. How the datasets are made: ``benchmarks.ann_data``.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

import faiss

from benchmarks.ann_data import SIZES, Dataset, grow, load_catalog_dataset, make_queries
from benchmarks.ann_engines import FULL_SCAN_KB, EdgeEngine, Engine, FaissEngine, ServerEngine
from benchmarks.ann_harness import as_dicts, ground_truth, measure_engine
from benchmarks.ann_report import (
    cheapest_per_setting,
    markdown_table,
    plot_latency_selectivity,
    plot_recall_qps,
    summary_table,
    write_csv,
)
from encoder import Encoder, save_model_dir
from indexer import Settings

log = logging.getLogger("benchmarks.ann_compare")

CONFIGS_DIR = Path(__file__).resolve().parents[1] / "encoder" / "configs"

ALL_ENGINES = (
    "edge",
    "edge-sq",
    "edge-acorn",
    "server",
    "server-sq",
    "faiss-flat",
    "faiss-hnsw",
    "faiss-ivfflat",
    "faiss-ivf-hybrid",
    "faiss-ivfpq",
)

# A tiny open_clip CLIP (random weights, seeded), the same shape tests/conftest.py uses.
TINY_CFG = {
    "embed_dim": 64,
    "vision_cfg": {"image_size": 32, "layers": 2, "width": 64, "patch_size": 8, "head_width": 32},
    "text_cfg": {"context_length": 32, "vocab_size": 49408, "width": 64, "heads": 2, "layers": 2},
}


def load_model(spec: str | None, data_dir: Path) -> Encoder:
    """The encoder under test.

    ``tiny`` is a small random open_clip model; ``stand-in:NAME`` the architecture
    ``encoder/configs/NAME.json`` with random (seeded) weights, for the right dimension and
    speed before trained weights exist. Both are written once under ``data_dir``; their
    vectors carry no meaning, so figures worth reading use a trained model (the default).
    """
    if spec == "tiny" or (spec or "").startswith("stand-in:"):
        import json

        import torch
        from open_clip.model import CLIP

        name = "tiny" if spec == "tiny" else spec.removeprefix("stand-in:")  # type: ignore[union-attr]
        cfg = TINY_CFG if name == "tiny" else json.loads((CONFIGS_DIR / f"{name}.json").read_text())
        directory = data_dir / ("tiny-model" if name == "tiny" else f"stand-in-{name}")
        if not directory.is_dir():
            torch.manual_seed(0)
            save_model_dir(CLIP(**cfg), cfg, directory)
        spec = str(directory)
    settings = Settings.from_env(**({"model": spec} if spec else {}))
    return Encoder.load(settings.model, device=settings.device or "cpu")


def make_engines(names: list[str], args: argparse.Namespace, edge_root: Path) -> list[Engine]:
    """Engine objects for the requested names (server ones only with QDRANT_URL)."""
    settings = Settings.from_env()
    out: list[Engine] = []
    for name in names:
        if name in ("edge", "edge-sq", "edge-acorn"):
            out += [
                EdgeEngine(
                    edge_root,
                    m=m,
                    ef_construct=efc,
                    quantization=name == "edge-sq",
                    acorn=name == "edge-acorn",
                    knob_values=args.ef,
                    full_scan_kb=args.full_scan_kb,
                )
                for m in args.hnsw_m
                for efc in args.hnsw_efc
            ]
        elif name in ("server", "server-sq"):
            if not settings.qdrant_url:
                log.warning("QDRANT_URL is not set: skipping engine %s", name)
                continue
            from qdrant_client import QdrantClient

            client = QdrantClient(url=settings.qdrant_url, api_key=settings.qdrant_api_key, timeout=600)
            out += [
                ServerEngine(
                    client,
                    m=m,
                    ef_construct=efc,
                    quantization=name == "server-sq",
                    knob_values=args.ef,
                )
                for m in args.hnsw_m
                for efc in args.hnsw_efc
            ]
        elif name == "faiss-flat":
            out.append(FaissEngine("flat"))
        elif name == "faiss-hnsw":
            out += [
                FaissEngine("hnsw", args.ef, M=m, efC=efc) for m in args.faiss_hnsw_m for efc in args.hnsw_efc
            ]
        elif name == "faiss-ivfflat":
            out.append(FaissEngine("ivfflat", args.nprobe))
        elif name == "faiss-ivf-hybrid":
            out.append(FaissEngine("ivfflat", args.nprobe, exact_below=args.exact_below))
        elif name == "faiss-ivfpq":
            out.append(FaissEngine("ivfpq", args.nprobe))
        else:
            raise SystemExit(f"unknown engine {name!r}; choose from {', '.join(ALL_ENGINES)}")
    return out


def run_dataset(
    ds: Dataset, base: Dataset, engines: list[Engine], args: argparse.Namespace, out_dir: Path | None
) -> list[dict]:
    """Measure every engine on one dataset; write its CSV, markdown and plots when ``out_dir``."""
    queries = make_queries(base, args.queries, seed=args.seed + 1)
    started = time.perf_counter()
    truths = ground_truth(ds, queries)
    log.info("%s: %d x %d, ground truth in %.1f s", ds.name, ds.n, ds.dim, time.perf_counter() - started)
    rows = []
    for engine in engines:
        rows += measure_engine(
            engine,
            ds,
            queries,
            truths,
            repeats=args.repeats,
            batch_threads=args.threads,
            candidates=args.candidates,
            on_row=lambda r: log.info(
                "%s %s %s=%d %s: recall %.3f p50 %.2f ms qps %.0f/%.0f",
                r.engine,
                r.setting,
                r.knob,
                r.knob_value,
                r.filter,
                r.recall_at_10,
                r.p50_ms,
                r.qps_single,
                r.qps_batch,
            ),
        )
    dicts = as_dicts(rows)
    if out_dir is not None and dicts:
        write_csv(dicts, out_dir / f"ann_{ds.name}{args.tag}.csv")
        (out_dir / f"ann_{ds.name}{args.tag}.md").write_text(markdown_table(dicts), encoding="utf-8")
        if not args.no_plots:
            plot_recall_qps(dicts, out_dir / f"recall_qps_{ds.name}{args.tag}.png")
            plot_latency_selectivity(dicts, out_dir / f"latency_selectivity_{ds.name}{args.tag}.png")
    return dicts


def _ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--catalog", type=Path, default=Path("../shared/catalog"))
    parser.add_argument(
        "--dataset", action="append", choices=sorted(SIZES), help="repeatable (default: catalog)"
    )
    parser.add_argument(
        "--model",
        default=None,
        help="model spec, 'tiny' or 'stand-in:CONFIG' (default: VITRINE_MODEL or shipped)",
    )
    parser.add_argument("--engines", default=",".join(ALL_ENGINES))
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2, help="threads for batched search and builds")
    parser.add_argument(
        "--ef", type=_ints, default=[16, 32, 64, 128, 256, 512], help="HNSW ef values (Edge and FAISS)"
    )
    parser.add_argument("--nprobe", type=_ints, default=[1, 4, 16, 64, 128, 256])
    parser.add_argument(
        "--exact-below",
        type=float,
        default=0.02,
        help="faiss-ivf-hybrid scans exactly under this selectivity",
    )
    parser.add_argument(
        "--hnsw-m", type=_ints, default=[16, 32], help="Qdrant HNSW m values (its default: 16)"
    )
    parser.add_argument(
        "--hnsw-efc",
        type=_ints,
        default=[100],
        help="HNSW ef_construct values, Qdrant and FAISS (Qdrant's: 100)",
    )
    parser.add_argument("--faiss-hnsw-m", type=_ints, default=[16, 32])
    parser.add_argument(
        "--full-scan-kb",
        type=int,
        default=FULL_SCAN_KB,
        help="Qdrant full_scan_threshold, KB (default 10000)",
    )
    parser.add_argument(
        "--candidates", type=int, default=10, help="results asked per search, re-ranked exactly to the top 10"
    )
    parser.add_argument("--tag", default="", help="suffix of the output file names")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("docs/benchmarks"))
    parser.add_argument("--data-dir", type=Path, default=Path("data/bench"))
    parser.add_argument("--no-plots", action="store_true")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> list[dict]:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    args = parse_args(argv)
    faiss.omp_set_num_threads(args.threads)
    encoder = load_model(args.model, args.data_dir)
    base = load_catalog_dataset(args.catalog, encoder, args.data_dir / "embeddings")
    log.info("catalog: %d products, model %s", base.n, base.model)
    all_rows: list[dict] = []
    for name in args.dataset or ["catalog"]:
        ds = base if SIZES[name] == 0 else grow(base, SIZES[name], name, seed=args.seed)
        engines = make_engines(args.engines.split(","), args, args.data_dir / "edge" / name)
        rows = run_dataset(ds, base, engines, args, args.out)
        all_rows += rows
        picks = cheapest_per_setting(rows)
        print(f"\n{name}: {ds.n:,} products, dim {ds.dim}, model {ds.model}")
        print("Cheapest knob per index setting with recall@10 >= 0.95 and p50 <= 10 ms under every filter:")
        print(summary_table(picks) if picks else "none\n")
        del ds  # a 1M set is a gigabyte: let it go before the next
    return all_rows


if __name__ == "__main__":
    main()
