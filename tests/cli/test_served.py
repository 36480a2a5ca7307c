"""The command line beside a running server: search, stats and doctor go through it (and say so
with -v) instead of failing on the store it holds; without a server they explain in one line."""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import served
from cli.main import cli

PHOTO = Path(__file__).resolve().parents[2] / "docs" / "examples" / "black-watch.jpg"


def _run(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env=env)
    return result.exit_code, result.output


def test_search_stats_and_doctor_go_through_the_running_server(
    serving: tuple[Path, dict[str, str], str], caplog: pytest.LogCaptureFixture, tiny_model_dir: Path
) -> None:
    data_dir, env, _ = serving
    # A model that is not the collection's: only a search through the server can succeed.
    env = {**env, "VITRINE_MODEL": str(tiny_model_dir / "missing")}
    with caplog.at_level(logging.INFO, logger="vitrine"):
        code, out = _run(env, "-v", "search", "black watch", "--filter", "occasion=Casual", "-k", "3",
                         "--json")
    assert code == 0, out
    results = json.loads(out)["results"]
    assert len(results) == 3 and all(r["product"]["occasion"] == "Casual" for r in results)
    assert f"the store at {data_dir.resolve()} is served by process" in caplog.text
    assert "(vitrine serve at http://127.0.0.1:" in caplog.text

    code, out = _run(env, "search", "--image", str(PHOTO), "-k", "2")
    assert code == 0 and "2 results from" in out, out
    code, out = _run(env, "stats")
    assert code == 0 and "location: served by process" in out and "points: 240" in out, out
    code, out = _run(env, "doctor")
    assert "is served by process" in out and "240 products" in out, out
    code, out = _run(env, "search", "watch", "--exact")
    assert code == 1 and "search without --exact, or stop the server first" in out
    code, out = _run(env, "index", "--catalog", str(data_dir))
    assert code == 1 and f"`vitrine ingest --catalog {data_dir}`" in out


def test_a_store_held_without_an_announcement_is_explained_in_one_line(
    serving: tuple[Path, dict[str, str], str], tiny_model_dir: Path
) -> None:
    data_dir, env, _ = serving
    (data_dir / served.FILE_NAME).unlink()
    env = {**env, "VITRINE_MODEL": str(tiny_model_dir)}
    for args in (("search", "black watch"), ("stats",)):
        code, out = _run(env, *args)
        assert code == 1, out
        assert out.strip() == (f"Error: the store at {data_dir.resolve()} is open in another process (a "
                               "`vitrine serve`, `vitrine worker` or `vitrine index`); stop it, or wait "
                               "for it to finish, then run this again")
        assert "WouldBlock" not in out and "WAL" not in out


def test_an_announcement_left_by_a_dead_server_is_ignored(
    indexed_data_dir: Path, tmp_path: Path, tiny_model_dir: Path
) -> None:
    data_dir = tmp_path / "data"
    shutil.copytree(indexed_data_dir, data_dir)
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True)
    (data_dir / served.FILE_NAME).write_text(json.dumps(
        {"pid": int(finished.stdout), "url": "http://127.0.0.1:9", "collection": "products"}))
    env = {"VITRINE_DATA_DIR": str(data_dir), "VITRINE_MODEL": str(tiny_model_dir)}
    code, out = _run(env, "search", "black watch", "-k", "2")
    assert code == 0 and "2 results from" in out, out
