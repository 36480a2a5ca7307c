"""Extrapolating on paper: how build time, latency and memory grow with the number of products.

    python -m benchmarks.ann_growth [--results docs/benchmarks] [--to 1000000]
        [--engine qdrant-edge --setting m=16,efC=100 --knob 128 --filter ~50%]

Reads the ``ann_<dataset>.csv`` files that ``benchmarks.ann_compare`` wrote for several
sizes, fits ``y = a * n^b`` (a straight line in log-log) through the measured sizes of
at least ``--min-n`` products for each engine and setting, and predicts the value at
``--to`` products. Build time is fitted per engine/setting; latency and recall at the
configuration named by ``--knob``/``--filter`` (and the engine's own knob values when
not given). Writes ``growth.md`` and ``growth.png``. Everything it prints for ``--to``
is an extrapolation, not a measurement.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from benchmarks.ann_report import knob_text, read_csv


def fit_power(ns: Sequence[float], ys: Sequence[float]) -> tuple[float, float]:
    """(a, b) of the least-squares line log y = log a + b log n; b = 1 for a single point."""
    if len(ns) == 1:
        return ys[0] / ns[0], 1.0
    b, log_a = np.polyfit(np.log(ns), np.log(ys), 1)
    return float(math.exp(log_a)), float(b)


def load_results(directory: Path) -> list[dict]:
    """Every ``ann_*.csv`` row under ``directory``."""
    rows: list[dict] = []
    for path in sorted(directory.glob("ann_*.csv")):
        rows += read_csv(path)
    return rows


def growth_rows(rows: Sequence[dict], to: int, min_n: int, knobs: dict[str, int], flt: str) -> list[dict]:
    """Per engine/setting: measured sizes, fitted exponents and the predicted values at ``to``."""
    out = []
    series: dict[tuple[str, str], dict[int, dict]] = {}
    for r in rows:
        if r["n"] < min_n or r.get("candidates", 10) != 10:
            continue
        knob = knobs.get(r["engine"])
        if r["filter"] != flt or (knob is not None and r["knob_value"] != knob):
            continue
        series.setdefault((r["engine"], r["setting"]), {})[r["n"]] = r
    for (engine, setting), by_n in sorted(series.items()):
        ns = sorted(by_n)
        build_a, build_b = fit_power(ns, [max(by_n[n]["build_s"], 1e-3) for n in ns])
        p50_a, p50_b = fit_power(ns, [by_n[n]["p50_ms"] for n in ns])
        measured = ns[-1] >= to  # nothing to extrapolate: the size itself was run
        out.append(
            {
                "engine": engine,
                "setting": setting,
                "knob": knob_text(by_n[ns[-1]]["knob"], by_n[ns[-1]]["knob_value"]),
                "filter": flt,
                "sizes": "/".join(f"{n // 1000}k" for n in ns),
                "build_s_measured": by_n[ns[-1]]["build_s"],
                "build_exponent": round(build_b, 2),
                # HNSW construction grows as n log n: a check on fits from noisy timings.
                "build_s_nlogn": round(
                    by_n[ns[-1]]["build_s"] * to * math.log(to) / (ns[-1] * math.log(ns[-1])), 1
                ),
                "build_s_predicted": by_n[ns[-1]]["build_s"] if measured else round(build_a * to**build_b, 1),
                "p50_ms_measured": by_n[ns[-1]]["p50_ms"],
                "p50_exponent": round(p50_b, 2),
                "p50_ms_predicted": by_n[ns[-1]]["p50_ms"] if measured else round(p50_a * to**p50_b, 2),
                "measured_at_target": measured,
                "recall_measured": by_n[ns[-1]]["recall_at_10"],
                "bytes_per_product": by_n[ns[-1]]["bytes_per_product"],
                "gib_predicted": round(by_n[ns[-1]]["bytes_per_product"] * to / 2**30, 2),
            }
        )
    return out


def markdown(rows: Sequence[dict], to: int) -> str:
    head = (
        f"| engine | setting | at | filter | sizes fitted | build s (largest) | exponent "
        f"| build s at {to:,} (extrapolated) | build s at {to:,} if n log n | p50 ms (largest) | exponent "
        f"| p50 ms at {to:,} (extrapolated) | recall@10 (largest) | GiB at {to:,} |\n" + "|---" * 14 + "|\n"
    )
    return head + "".join(
        f"| {r['engine']} | {r['setting']} | {r['knob']} | {r['filter']} | {r['sizes']} "
        f"| {r['build_s_measured']} "
        f"| {r['build_exponent']} | {r['build_s_predicted']} | {r['build_s_nlogn']} | {r['p50_ms_measured']} "
        f"| {r['p50_exponent']} "
        f"| {r['p50_ms_predicted']}{' (measured)' if r['measured_at_target'] else ''} "
        f"| {r['recall_measured']} "
        f"| {r['gib_predicted']} |\n"
        for r in rows
    )


def plot(all_rows: Sequence[dict], growth: Sequence[dict], to: int, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.0, 3.8))
    for g in growth:
        by_n = {
            r["n"]: r["build_s"]
            for r in all_rows
            if r["engine"] == g["engine"] and r["setting"] == g["setting"]
        }
        ns = sorted(by_n)
        (line,) = ax.plot(ns, [by_n[n] for n in ns], marker="o", ms=3, label=f"{g['engine']} {g['setting']}")
        a_n, a_y = ns[-1], by_n[ns[-1]]
        ax.plot([a_n, to], [a_y, g["build_s_predicted"]], ls=":", color=line.get_color())
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("products")
    ax.set_ylabel("build seconds (2 shared cores)")
    ax.set_title("Index build time: measured (solid), extrapolated (dotted)", fontsize=9)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=6, frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--results", type=Path, default=Path("docs/benchmarks"))
    parser.add_argument("--to", type=int, default=1_000_000)
    parser.add_argument("--min-n", type=int, default=20_000, help="fit only sizes at least this large")
    parser.add_argument("--edge-ef", type=int, default=128, help="Qdrant hnsw_ef whose latency is fitted")
    parser.add_argument("--faiss-ef", type=int, default=128, help="FAISS efSearch whose latency is fitted")
    parser.add_argument("--filter", default="~50%")
    args = parser.parse_args(argv)
    rows = [r for r in load_results(args.results) if r.get("candidates", 10) == 10]
    knobs = {"qdrant-edge": args.edge_ef, "qdrant-server": args.edge_ef, "faiss-hnsw": args.faiss_ef}
    growth = [g for g in growth_rows(rows, args.to, args.min_n, knobs, args.filter) if "/" in g["sizes"]]
    text = markdown(growth, args.to)
    print(text)
    (args.results / "growth.md").write_text(text, encoding="utf-8")
    if growth:
        plot([r for r in rows if r["n"] >= args.min_n], growth, args.to, args.results / "growth.png")
    return growth


if __name__ == "__main__":
    main()
