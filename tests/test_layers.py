"""The import graph, read from the source (imports inside functions and under
``TYPE_CHECKING`` included): the layers read in one order, hw, then the flows' tools, then
sim, then dse, with only the command line above dse, and no module imports another that
(directly or not) imports it back."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("hw", "flows", "sim", "dse", "constraints")
CLI = "flows.cli"


def _modules() -> dict[str, Path]:
    out = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            out[name] = path
    return out


MODULES = _modules()


def _target(name: str) -> str | None:
    """The module of ours that an imported name lives in (None: a third-party one)."""
    while name and name not in MODULES:
        if "." not in name:
            return None
        name = name.rsplit(".", 1)[0]
    return name or None


def _imports(module: str) -> set[str]:
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            # ``from package import name``: the submodule if ``name`` is one, else the
            # package (or module) that defines ``name``
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
                     for alias in node.names]
        for name in names:
            target = _target(name)
            # a package's own submodules, and a submodule's own package, are one unit
            if target and target != module and not module.startswith(target + ".") \
                    and not target.startswith(module + "."):
                found.add(target)
    return found


GRAPH = {module: _imports(module) for module in MODULES}


def _layer(module: str) -> int:
    """0 hw, 1 the flows' tools (and constraint files), 2 sim, 3 dse, 4 the command line."""
    if module == CLI:
        return 4
    return {"hw": 0, "constraints": 1, "flows": 1, "sim": 2, "dse": 3}[module.split(".")[0]]


def test_no_import_runs_up_the_layers():
    upward = sorted(f"{module} -> {target}" for module, targets in GRAPH.items()
                    for target in targets if _layer(target) > _layer(module))
    assert upward == []


def test_the_models_are_pure():
    """dse.models import parameter classes and the workload types, never the simulator,
    the tools, the searches or Optuna."""
    allowed = ("hw.", "dse.models", "dse.workload")
    impure = sorted(f"{module} -> {target}" for module, targets in GRAPH.items()
                    if module.startswith("dse.models") for target in targets
                    if not target.startswith(allowed))
    assert impure == []
    for module, path in MODULES.items():
        if module.startswith("dse.models"):
            assert "import optuna" not in path.read_text(), module


def test_no_import_circles():
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(module: str) -> None:  # Tarjan's strongly connected components
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in GRAPH[module]:
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for module in GRAPH:
        if module not in index:
            visit(module)
    assert circles == []


@pytest.mark.parametrize(("source", "expected"), [
    ("from dse.spec import Spec", {"dse.spec"}),
    ("from dse.models import systolic", {"dse.models.systolic"}),
    ("import numpy", set()),
])
def test_the_reader_resolves_imports(tmp_path, source, expected, monkeypatch):
    module = "dse.probe_for_the_layer_test"
    path = tmp_path / "probe.py"
    path.write_text(source + "\n")
    monkeypatch.setitem(MODULES, module, path)
    assert _imports(module) == expected
