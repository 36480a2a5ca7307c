"""The layers of docs/architecture.md, checked on the source: imports flow one way
(cli -> api -> workers -> indexer -> encoder -> settings -> errors -> lazy), nothing below the API
loads Flask, and no two modules import each other, directly or around a loop."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# Lowest first: a module may import its own layer and the layers below it, never one above.
LAYERS = ["lazy", "errors", "settings", "encoder", "indexer", "workers", "api", "cli"]
HTTP_ONLY = ("flask", "flask_limiter", "werkzeug", "gunicorn")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources() -> dict[str, Path]:
    found = {"lazy": REPO / "lazy.py", "errors": REPO / "errors.py"}
    for layer in LAYERS[2:]:
        for path in sorted((REPO / layer).rglob("*.py")):
            found[_module_name(path)] = path
    return found


MODULES = _sources()


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node except those under ``if TYPE_CHECKING:`` (annotations only, never run)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            yield from (n for child in node.orelse for n in [child, *_runtime_nodes(child)])
            continue
        yield node
        yield from _runtime_nodes(node)


def imports_of(module: str) -> set[str]:
    """The modules ``module`` imports when it runs (function-level imports included)."""
    path = MODULES[module]
    out: set[str] = set()
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{module}: relative import (the project imports absolutely)"
            base = node.module or ""
            out.add(base)
            # "from indexer import search" imports the submodule indexer.search
            out.update(f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in MODULES)
    return out


def _layer(module: str) -> str:
    return module.split(".")[0]


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_upward_import(module: str) -> None:
    rank = LAYERS.index(_layer(module))
    upward = sorted(m for m in imports_of(module) if _layer(m) in LAYERS and LAYERS.index(_layer(m)) > rank)
    assert not upward, f"{module} ({_layer(module)}) imports from a layer above it: {upward}"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _layer(m) in LAYERS[:6]))
def test_nothing_below_the_api_loads_http(module: str) -> None:
    http = sorted(m for m in imports_of(module) if m.split(".")[0] in HTTP_ONLY)
    assert not http, f"{module} imports {http}: only api/ (and cli/) may"


def test_no_import_cycle() -> None:
    graph = {m: {i for i in imports_of(m) if i in MODULES and i != m} for m in MODULES}
    # A package's __init__ gathering its own modules is how a package exports, not a loop.
    for m, deps in graph.items():
        if MODULES[m].name == "__init__.py":
            graph[m] = {d for d in deps if not d.startswith(m + ".")}
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph[node]):
            if state.get(dep) == 1:
                cycles.append([*stack[stack.index(dep):], dep])
            elif dep not in state:
                visit(dep)
        stack.pop()
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_the_layers_are_all_checked() -> None:
    # A new top-level package must be placed in LAYERS (and in docs/architecture.md).
    packages = {p.name for p in REPO.iterdir() if (p / "__init__.py").is_file()}
    assert packages - {"benchmarks", "tests"} == set(LAYERS) - {"lazy", "errors"}
