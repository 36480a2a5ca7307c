"""The README stays true: its configuration table is the one the code generates."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from cli.config_reference import READERS, markdown, rows

README = Path(__file__).resolve().parents[2] / "README.md"


def test_configuration_table_matches_the_code() -> None:
    text = README.read_text(encoding="utf-8")
    start = text.index("<!-- config-reference:start -->") + len("<!-- config-reference:start -->")
    end = text.index("<!-- config-reference:end -->")
    assert text[start:end].strip() == markdown(), "regenerate with: python -m cli.config_reference"
    assert {"VITRINE_MODEL", "VITRINE_DATA_DIR", "QDRANT_URL", "VITRINE_REDIS_URL"} <= {r[0] for r in rows()}


def test_quick_start_names_the_two_commands() -> None:
    text = README.read_text(encoding="utf-8")
    assert "make demo" in text and "make test" in text
    makefile = (README.parent / "Makefile").read_text(encoding="utf-8")
    assert "\ndemo:" in makefile and "\ntest:" in makefile


def test_every_variable_the_settings_read_is_in_the_table() -> None:
    read: set[str] = set()
    for cls, _reader in READERS:
        read |= set(re.findall(r'"((?:VITRINE|QDRANT)_[A-Z0-9_]+)"', inspect.getsource(cls.from_env)))
    assert "VITRINE_TEXT_INT8" in read  # a name with a digit, which the table once dropped
    assert read <= {r[0] for r in rows()}
