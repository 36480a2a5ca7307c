"""The README stays true: its examples run as printed on the sample catalog, its configuration
table (in docs/configuration.md) is the one the code generates, and it stays a short guide."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cli.config_reference import READERS, markdown, rows
from cli.main import cli
from settings.shared import SharedSettings

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
CONFIGURATION = REPO / "docs" / "configuration.md"
MARK = "<!-- examples: sample catalog -->"


def readme_examples() -> list[str]:
    """The command lines of every code block marked as running on the sample catalog
    (continuation lines joined)."""
    text = README.read_text(encoding="utf-8")
    commands: list[str] = []
    for block in text.split(MARK)[1:]:
        body = block.split("```sh\n", 1)[1].split("```", 1)[0]
        commands += [line.strip() for line in body.replace("\\\n", " ").splitlines() if line.strip()]
    return commands


def test_the_readme_marks_cli_and_api_examples() -> None:
    commands = readme_examples()
    assert sum(c.startswith("vitrine search") for c in commands) >= 3
    assert sum(c.startswith("curl") for c in commands) >= 4
    assert any("docs/examples/black-watch.jpg" in c for c in commands)
    assert (REPO / "docs" / "examples" / "black-watch.jpg").stat().st_size < 50_000


def _returned(body: dict[str, Any]) -> int:
    if "results" in body:
        return len(body["results"])
    if "suggestions" in body:
        return len(body["suggestions"])
    return 1 if "product" in body else 0


def _run_vitrine(command: str, env: dict[str, str]) -> int:
    result = CliRunner().invoke(cli, shlex.split(command)[1:], env=env)
    assert result.exit_code == 0, (command, result.output)
    if "--json" in command:
        return _returned(json.loads(result.output))
    if command.startswith("vitrine stats"):
        return int(re.search(r"points: (\d+)", result.output).group(1))  # type: ignore[union-attr]
    found = re.search(r"(\d+) results from", result.output)
    assert found, (command, result.output)
    return int(found.group(1))


def _run_curl(command: str, url: str) -> int:
    done = subprocess.run(["bash", "-c", command.replace("localhost:8000", url.removeprefix("http://"))],
                          cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, (command, done.stderr)
    body = json.loads(done.stdout)
    assert "error" not in body, (command, body)
    return _returned(body)


def test_every_sample_catalog_example_returns_results(serving: tuple[Path, dict[str, str], str]) -> None:
    """Through a served copy of the test store (the sample catalog's first products), as a user
    runs them beside `make demo`."""
    _, env, url = serving
    for command in readme_examples():
        if command.startswith("vitrine "):
            returned = _run_vitrine(command, env)
        elif command.startswith("curl "):
            returned = _run_curl(command, url)
        else:
            pytest.fail(f"the examples block holds a line the test cannot run: {command}")
        assert returned > 0, command


def test_configuration_table_matches_the_code() -> None:
    text = CONFIGURATION.read_text(encoding="utf-8")
    start = text.index("<!-- config-reference:start -->") + len("<!-- config-reference:start -->")
    end = text.index("<!-- config-reference:end -->")
    assert text[start:end].strip() == markdown(), "regenerate with: python -m cli.config_reference"
    assert {"VITRINE_MODEL", "VITRINE_DATA_DIR", "QDRANT_URL", "VITRINE_REDIS_URL"} <= {r[0] for r in rows()}
    assert "docs/configuration.md" in README.read_text(encoding="utf-8")


def test_quick_start_names_the_two_commands_and_how_to_reach_vitrine() -> None:
    text = README.read_text(encoding="utf-8")
    assert "make demo" in text and "make test" in text and ". .venv/bin/activate" in text
    makefile = (README.parent / "Makefile").read_text(encoding="utf-8")
    assert "\ndemo:" in makefile and "\ntest:" in makefile


def test_the_readme_is_a_short_guide_that_links_the_measurements() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text.encode()) < 15_000
    for page in ("docs/performance.md", "docs/reliability.md", "docs/relevance.md", "docs/benchmarks/"):
        assert f"]({page}" in text
    for heading in ("## Feeds", "## Merchandising", "## Discovery", "## Security and reliability"):
        assert heading in text
    for link in re.findall(r"\]\(((?:docs|encoder)/[^)#]*)", text):
        assert (REPO / link).exists(), link


def test_the_cpu_torch_the_readme_and_makefile_install_is_the_pinned_one() -> None:
    pins = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    torch = next(p for p in pins if p.startswith("torch=="))
    vision = next(p for p in pins if p.startswith("torchvision=="))
    assert f"pip install {torch} {vision} --index-url https://download.pytorch.org/whl/cpu" in \
        README.read_text(encoding="utf-8")
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert f"TORCH_VERSION := {torch.split('==')[1]}" in makefile
    assert f"TORCHVISION_VERSION := {vision.split('==')[1]}" in makefile


def test_every_variable_the_settings_read_is_in_the_table() -> None:
    read: set[str] = set(SharedSettings.ENV_NAMES.values())
    for cls, _reader in READERS:
        read |= set(vars(cls)["ENV_NAMES"].values())
    assert "VITRINE_TEXT_INT8" in read  # a name with a digit, which the table once dropped
    assert read <= {r[0] for r in rows()}
