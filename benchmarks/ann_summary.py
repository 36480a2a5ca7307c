"""One page of headline tables from the CSVs that ``benchmarks.ann_compare`` wrote.

    python -m benchmarks.ann_summary [--results docs/benchmarks] [--recall 0.95] [--p50-ms 10]

For each ``ann_*.csv``: every index setting's cheapest knob value meeting the targets
under every filter, and for the settings that never meet them, their best worst-case
recall. Writes ``summary.md`` beside the CSVs.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from benchmarks.ann_report import (
    TARGET_P50_MS,
    TARGET_RECALL,
    cheapest_per_setting,
    knob_text,
    read_csv,
    summary_table,
)


def best_effort(rows: Sequence[dict]) -> str:
    """Per setting, the knob with the highest worst-case recall over filters, and that recall."""
    by_setting: dict[tuple[str, str], dict[int, list[dict]]] = {}
    for r in rows:
        by_setting.setdefault((r["engine"], r["setting"]), {}).setdefault(r["knob_value"], []).append(r)
    lines = ["| engine | setting | knob | worst recall@10 (filter) | worst p50 ms |", "|---|---|---|---|---|"]
    for (engine, setting), by_knob in sorted(by_setting.items()):
        knob, rs = max(by_knob.items(), key=lambda kv: min(r["recall_at_10"] for r in kv[1]))
        worst = min(rs, key=lambda r: r["recall_at_10"])
        lines.append(
            f"| {engine} | {setting} | {knob_text(rs[0]['knob'], knob)} | {worst['recall_at_10']:.3f} "
            f"({worst['filter']}) | {max(r['p50_ms'] for r in rs):.2f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--results", type=Path, default=Path("docs/benchmarks"))
    parser.add_argument("--recall", type=float, default=TARGET_RECALL)
    parser.add_argument("--p50-ms", type=float, default=TARGET_P50_MS)
    args = parser.parse_args(argv)
    parts = []
    for path in sorted(args.results.glob("ann_*.csv")):
        rows = read_csv(path)
        r0 = rows[0]
        parts.append(
            f"## {path.stem}: {r0['n']:,} products, dim {r0['dim']}, model {r0['model']}, "
            f"{r0['queries']} queries, {r0.get('candidates', 10)} candidates re-ranked to 10\n"
        )
        picks = cheapest_per_setting(rows, recall=args.recall, p50_ms=args.p50_ms)
        parts.append(
            f"Cheapest knob with recall@10 >= {args.recall}, p50 <= {args.p50_ms} ms under every filter:\n"
        )
        parts.append((summary_table(picks) if picks else "none\n") + "\n")
        parts.append("Best worst-case recall of every setting:\n")
        parts.append(best_effort(rows) + "\n")
    text = "\n".join(parts)
    (args.results / "summary.md").write_text(text, encoding="utf-8")
    print(text)
    return text


if __name__ == "__main__":
    main()
