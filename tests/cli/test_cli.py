"""The vitrine command line, as a user runs it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli


@pytest.fixture
def run(tmp_path: Path, tiny_model_dir: Path):
    env = {"VITRINE_DATA_DIR": str(tmp_path / "data"), "VITRINE_MODEL": str(tiny_model_dir)}

    def _run(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
        return result.exit_code, result.output

    return _run


def test_index_search_stats(run, catalog_dir: Path) -> None:
    code, out = run("index", "--catalog", str(catalog_dir), "--limit", "60")
    assert code == 0, out
    assert "indexed 60, unchanged 0, skipped 0" in out and "products/s" in out
    code, out = run("index", "--catalog", str(catalog_dir), "--limit", "60")
    assert "indexed 0, unchanged 60" in out and "holds 60 points" in out

    code, out = run("search", "black watch", "--filter", "occasion=casual", "-k", "5", "--json")
    assert code == 0, out
    data = json.loads(out)
    assert len(data["results"]) == 5
    first = data["results"][0]
    assert set(first) == {"id", "score", "breakdown", "product"}
    assert {"s_image", "s_text", "alpha", "weights", "matched_filters"} <= set(first["breakdown"])
    assert all(r["product"]["occasion"] == "Casual" for r in data["results"])
    assert {"encode_ms", "candidates_ms", "rerank_ms"} <= set(data["timings"])

    image = catalog_dir / "images" / "10000.jpg"
    code, out = run("search", "red", "--image", str(image), "--alpha", "0.7", "-k", "3")
    assert code == 0 and "results from" in out and "s_img" in out

    code, out = run("stats")
    assert code == 0
    assert "points: 60" in out and "model: tiny-clip@" in out and "data_dir:" in out


def test_errors_are_clear(run, catalog_dir: Path, tmp_path: Path) -> None:
    code, out = run("search", "x", "--filter", "material=leather")
    assert code == 2 and "unknown filter field 'material'; filterable fields are" in out
    code, out = run("search")
    assert code == 2 and "give a search TEXT" in out
    code, out = run("search", "shirt")
    assert code == 1 and "index a catalog first" in out
    code, out = run("index", "--catalog", str(tmp_path / "missing"))
    assert code == 1 and "does not exist" in out
    run("index", "--catalog", str(catalog_dir), "--limit", "10")
    code, out = run("search", "shirt", "--alpha", "3")
    assert code == 1 and "alpha must be between 0.0 and 1.0" in out  # the search service's words
    code, out = run("search", "shirt", "--image", str(tmp_path / "nope.jpg"))
    assert code == 1 and "cannot open image" in out


def test_production_refuses_to_serve_without_a_jwt_secret(run) -> None:
    result = CliRunner().invoke(
        cli, ["serve", "--port", "8999"], env={"VITRINE_ENV": "production", "VITRINE_JWT_SECRET": ""}
    )
    assert result.exit_code == 1
    assert "VITRINE_ENV=production needs VITRINE_JWT_SECRET" in result.output


def test_train_writes_a_loadable_model(run, catalog_dir: Path, tmp_path: Path) -> None:
    from encoder import Encoder

    out = tmp_path / "trained"
    code, output = run(
        "train", "--catalog", str(catalog_dir), "--out", str(out), "--epochs", "1", "--limit", "40"
    )
    assert code == 0, output
    assert "validating on" in output and f"VITRINE_MODEL={out}" in output
    encoder = Encoder.load(str(out), device="cpu")
    assert encoder.embed_text("black watch").shape == (encoder.dim,)


def test_train_with_every_model_v2_option(run, catalog_dir: Path, tmp_path: Path) -> None:
    from encoder import Encoder

    out = tmp_path / "v2"
    code, output = run(
        "train", "--catalog", str(catalog_dir), "--out", str(out), "--epochs", "1", "--limit", "60",
        "--architecture", "vitrine-tiny", "--hard-negatives", "--heads", "--synonyms",
    )
    assert code == 0, output
    assert "(vitrine-tiny)" in output and "with hard negatives, attribute heads, shopper words" in output
    encoder = Encoder.load(str(out), device="cpu")
    assert encoder.heads is not None and "gender" in encoder.heads.labels
    code, output = run("train", "--catalog", str(catalog_dir), "--out", str(tmp_path / "x"), "--epochs", "1",
                       "--limit", "20", "--architecture", "nope")
    assert code == 1 and "unknown architecture 'nope'" in output


def test_train_on_the_whole_catalog_holds_nothing_out(run, catalog_dir: Path, tmp_path: Path) -> None:
    from benchmarks.quality import seen_in_training, select_products

    out = tmp_path / "whole"
    code, output = run(
        "train", "--catalog", str(catalog_dir), "--out", str(out), "--epochs", "1", "--limit", "40",
        "--architecture", "vitrine-tiny", "--whole-catalog",
    )
    assert code == 0, output
    assert "on 40 products, validating on 0" in output
    assert json.loads((out / "split.json").read_text(encoding="utf-8"))["val_ids"] == []
    assert json.loads((out / "training.json").read_text(encoding="utf-8"))["train_products"] == 40
    # The benchmarks then say their figures are not held-out ones.
    products = select_products(catalog_dir, limit=40)
    assert seen_in_training(str(out), products) == 40
    assert seen_in_training("default", products) is not None


def test_help_and_argument_errors_load_no_model_or_store_code() -> None:
    """`vitrine --help` answers at once: torch, open_clip and the Qdrant client load only when a
    command needs them (timed in docs/performance.md)."""
    import subprocess
    import sys

    heavy = ("torch", "open_clip", "qdrant_client", "qdrant_edge", "rq", "flask")
    probe = ("import sys; from cli.main import cli\n"
             "for args in (['--help'], ['search', '--help'], ['search'],\n"
             "             ['clients', 'create', '--rate-limit', 'x']):\n"
             "    try: cli(args, prog_name='vitrine')\n"
             "    except SystemExit: pass\n"
             f"print(sorted(m for m in {heavy!r} if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout + done.stderr
    assert "give a search TEXT" in done.stderr


def test_a_cold_search_scores_what_the_api_scores(indexed_data_dir: Path, tmp_path: Path,
                                                   tiny_model_dir: Path, encoder,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    """`vitrine search` builds the text tower once and then reads it from the data dir's cache
    (encoder/text_cache.py); either way its scores are the API's (a freshly loaded model), to the
    digit."""
    import logging
    import shutil

    from indexer import EdgeStore, Searcher, Settings
    from indexer.search import SearchRequest, SearchService

    data_dir = tmp_path / "data"
    shutil.copytree(indexed_data_dir, data_dir)
    env = {"VITRINE_DATA_DIR": str(data_dir), "VITRINE_MODEL": str(tiny_model_dir)}
    queries = ("black watch", "Men's BLUE jeans", "red summer dress for women")

    def scored(body: dict) -> list[tuple[str, float, float]]:
        return [(r["id"], r["score"], r["breakdown"]["s_text"]) for r in body["results"]]

    def cli_scores(query: str) -> list[tuple[str, float, float]]:
        result = CliRunner().invoke(cli, ["search", query, "-k", "8", "--json"], env=env,
                                    catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return scored(json.loads(result.output))

    built, cached = {}, {}
    for query in queries:
        shutil.rmtree(data_dir / "cache", ignore_errors=True)
        built[query] = cli_scores(query)
        assert any(p.suffix == ".pt" for p in (data_dir / "cache").iterdir())
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="encoder"):
            cached[query] = cli_scores(query)
        assert "read from" in caplog.text  # the second search used the cached tower

    store = EdgeStore(data_dir)
    try:
        service = SearchService(Searcher(encoder, store, Settings(data_dir=data_dir)))
        for query in queries:
            page = service.search(SearchRequest(text=query, k=8, facets=False))
            api = scored({**page.result.to_json(), **page.reading_json()})
            assert len(api) == 8
            assert built[query] == api and cached[query] == api, query
    finally:
        store.close()
