"""benchmarks/taste.py runs end to end on a small slice with the tiny model."""

from __future__ import annotations

from pathlib import Path

from benchmarks.taste import main


def test_taste_benchmark_reports_shares(tiny_model_dir: Path, catalog_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "taste.json"
    summary = main(["--catalog", str(catalog_dir), "--model", str(tiny_model_dir), "--products", "120",
                    "--favorites", "4", "--weights", "0.25,5", "--data-dir", str(tmp_path / "data"),
                    "--json", str(out)])
    assert out.is_file() and summary["favorites"] == 4
    assert 0 <= summary["without"] <= 1 and set(summary["with"]) == {"0.25", "5"}
    # An overwhelming taste weight fills the top 10 with the shopper's kind of product.
    assert summary["with"]["5"] >= summary["without"]
    assert len(summary["per_query"]) == summary["queries"]
