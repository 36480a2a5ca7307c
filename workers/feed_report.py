"""The table ``vitrine sync`` ends with: what the feed held and what the sync did with it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from workers.sync import SyncReport

SHOWN = 20  # problem rows listed by line; the rest are counted


def report_table(report: SyncReport) -> str:
    """Counts, one per line, then the rejected and duplicate rows with their line numbers."""
    currencies = ", ".join(f"{c} ({n})" for c, n in sorted(report.currencies.items())) or "none given"
    rows = [
        ("rows read", report.rows),
        ("products", report.products),
        ("variants", report.variants),
        ("new", len(report.new)),
        ("changed", len(report.changed)),
        ("unchanged", report.unchanged),
        ("still queued", report.waiting),
        ("retried after a failure", len(report.retried)),
        ("removed", len(report.removed)),
        ("rejected", len(report.errors)),
        ("duplicate ids", len(report.duplicates)),
        ("currencies", currencies),
        ("jobs queued", len(report.jobs)),
    ]
    width = max(len(name) for name, _ in rows)
    lines = [f"feed {report.source}"] + [f"  {name:<{width}}  {value}" for name, value in rows]
    for title, problems in (("rejected", report.errors), ("duplicates", report.duplicates)):
        for problem in problems[:SHOWN]:
            lines.append(f"  {title}: line {problem.line}: {problem.reason}"
                         + (f" (id {problem.product_id})" if problem.product_id else ""))
        if len(problems) > SHOWN:
            lines.append(f"  {title}: ... and {len(problems) - SHOWN} more (--json lists them all)")
    for product_id, why in report.retried[:SHOWN]:
        lines.append(f"  retrying {product_id}: {why}")
    return "\n".join(lines)
