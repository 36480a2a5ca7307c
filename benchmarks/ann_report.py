"""Turning benchmark rows into a CSV, markdown tables, the default-setting pick and plots."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path

TARGET_RECALL = 0.95
TARGET_P50_MS = 10.0


def write_csv(rows: Sequence[dict], path: Path) -> None:
    """Rows (dicts with the same keys) as a CSV file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def read_csv(path: Path) -> list[dict]:
    """A CSV written by ``write_csv``, numbers parsed back."""
    out = []
    with path.open(encoding="utf-8") as fh:
        for raw in csv.DictReader(fh):
            row: dict = {}
            for k, v in raw.items():
                try:
                    row[k] = int(v)
                except ValueError:
                    try:
                        row[k] = float(v)
                    except ValueError:
                        row[k] = v
            out.append(row)
    return out


def config_key(row: dict) -> tuple[str, str, int]:
    return (row["engine"], row["setting"], row["knob_value"])


def knob_text(knob: str, value: int) -> str:
    """``ef=64``; exact search has no knob."""
    return "exact" if knob == "-" else f"{knob}={value}"


def markdown_table(rows: Sequence[dict]) -> str:
    """One line per engine/setting/knob/filter with the headline metrics."""
    head = (
        "| engine | setting | knob | filter (selectivity) | recall@10 | p50 ms | p99 ms | QPS 1-thread "
        "| QPS batch | build s | B/product |\n|---|---|---|---|---|---|---|---|---|---|---|\n"
    )
    lines = [
        f"| {r['engine']} | {r['setting']} | {knob_text(r['knob'], r['knob_value'])} | {r['filter']} "
        f"({100 * r['selectivity']:.2f}%) | {r['recall_at_10']:.3f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} "
        f"| {r['qps_single']:.0f} | {r['qps_batch']:.0f} | {r['build_s']:.1f} "
        f"| {r['bytes_per_product']:.0f} |"
        for r in rows
    ]
    return head + "\n".join(lines) + "\n"


def configs_meeting(
    rows: Iterable[dict], *, recall: float = TARGET_RECALL, p50_ms: float | None = TARGET_P50_MS
) -> list[tuple[tuple[str, str, int], list[dict]]]:
    """Configurations that meet the targets under every filter, fastest (worst p50) first."""
    by_config: dict[tuple[str, str, int], list[dict]] = {}
    for r in rows:
        by_config.setdefault(config_key(r), []).append(r)
    good = [
        (key, rs)
        for key, rs in by_config.items()
        if all(r["recall_at_10"] >= recall for r in rs)
        and (p50_ms is None or all(r["p50_ms"] <= p50_ms for r in rs))
    ]
    return sorted(good, key=lambda item: max(r["p50_ms"] for r in item[1]))


def cheapest_per_setting(
    rows: Sequence[dict], *, recall: float = TARGET_RECALL, p50_ms: float | None = TARGET_P50_MS
) -> list[tuple[tuple[str, str, int], list[dict]]]:
    """For each engine and index setting, the smallest knob value (least search work) that
    meets recall and p50 under every filter; settings that never do are left out."""
    picks: dict[tuple[str, str], tuple[tuple[str, str, int], list[dict]]] = {}
    for key, rs in sorted(configs_meeting(rows, recall=recall, p50_ms=p50_ms), key=lambda item: item[0]):
        picks.setdefault(key[:2], (key, rs))
    return list(picks.values())


def summary_table(picks: Sequence[tuple[tuple[str, str, int], list[dict]]]) -> str:
    """Per picked configuration: worst recall and p50/p99 over the filters, memory and build."""
    head = (
        "| engine | setting | knob | min recall@10 | worst p50 ms | worst p99 ms | build s | B/product |\n"
        "|---|---|---|---|---|---|---|---|\n"
    )
    lines = []
    for (engine, setting, knob), rs in picks:
        lines.append(
            f"| {engine} | {setting} | {knob_text(rs[0]['knob'], knob)} "
            f"| {min(r['recall_at_10'] for r in rs):.3f} "
            f"| {max(r['p50_ms'] for r in rs):.2f} | {max(r['p99_ms'] for r in rs):.2f} "
            f"| {rs[0]['build_s']:.1f} | {rs[0]['bytes_per_product']:.0f} |"
        )
    return head + "\n".join(lines) + "\n"


def plot_recall_qps(rows: Sequence[dict], path: Path) -> None:
    """Recall@10 against single-thread QPS, one panel per filter, one curve per engine+setting."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter

    filters = list(dict.fromkeys(r["filter"] for r in rows))
    fig, axes = plt.subplots(1, len(filters), figsize=(4.2 * len(filters), 3.8), sharey=True, squeeze=False)
    curves = list(dict.fromkeys((r["engine"], r["setting"]) for r in rows))
    for ax, flt in zip(axes[0], filters, strict=True):
        for engine, setting in curves:
            pts = sorted(
                (r["knob_value"], r["qps_single"], r["recall_at_10"])
                for r in rows
                if r["filter"] == flt and r["engine"] == engine and r["setting"] == setting
            )
            if pts:
                ax.plot(
                    [p[1] for p in pts], [p[2] for p in pts], marker="o", ms=3, label=f"{engine} {setting}"
                )
        sel = next(r["selectivity"] for r in rows if r["filter"] == flt)
        ax.set_title(f"filter {flt} ({100 * sel:.2f}%)", fontsize=9)
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(NullFormatter())  # minor labels overlap on short log ranges
        ax.set_xlabel("queries/s, 1 thread")
        ax.axhline(TARGET_RECALL, color="grey", lw=0.6, ls="--")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("recall@10")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(4, len(labels)), fontsize=7, frameon=False)
    r0 = rows[0]
    fig.suptitle(f"{r0['dataset']}: {r0['n']:,} products, dim {r0['dim']}, top-10", fontsize=10)
    fig.tight_layout(rect=(0, 0.1 + 0.03 * (len(labels) // 4), 1, 0.95))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=80)
    plt.close(fig)


def plot_latency_selectivity(rows: Sequence[dict], path: Path, *, min_recall: float = TARGET_RECALL) -> None:
    """p50 latency against filter selectivity; per engine+setting, the cheapest knob value
    that reaches ``min_recall`` under every filter (else its largest knob value)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    curves = list(dict.fromkeys((r["engine"], r["setting"]) for r in rows))
    for engine, setting in curves:
        mine = [r for r in rows if r["engine"] == engine and r["setting"] == setting]
        knobs = sorted({r["knob_value"] for r in mine})
        meets = [
            k for k in knobs if all(r["recall_at_10"] >= min_recall for r in mine if r["knob_value"] == k)
        ]
        chosen = meets[0] if meets else knobs[-1]
        pts = sorted((max(r["selectivity"], 1e-4), r["p50_ms"]) for r in mine if r["knob_value"] == chosen)
        note = "" if meets else f", recall < {min_recall} somewhere"
        ax.plot(
            [p[0] for p in pts],
            [p[1] for p in pts],
            marker="o",
            ms=3,
            ls="-" if meets else ":",
            label=f"{engine} {setting} ({knob_text(mine[0]['knob'], chosen)}{note})",
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("share of products passing the filter (1 = no filter)")
    ax.set_ylabel("p50 latency, ms (1 thread)")
    ax.axhline(TARGET_P50_MS, color="grey", lw=0.6, ls="--")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=6, frameon=False)
    r0 = rows[0]
    ax.set_title(
        f"{r0['dataset']}: {r0['n']:,} products; cheapest setting with recall@10 >= {min_recall}", fontsize=9
    )
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
