"""The package's import structure: the layers contract in pyproject.toml holds, and no module
imports itself back through others."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import grimp

from .conftest import REPO_ROOT

BIN = Path(sys.executable).parent


def lint_imports(cwd: Path, config: Path, pythonpath: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "lint-imports"), "--config", str(config), "--no-cache"], cwd=cwd,
                          capture_output=True, text=True, env={"PYTHONPATH": str(pythonpath), "PATH": str(BIN)})


def test_the_layers_contract_is_kept():
    result = lint_imports(REPO_ROOT, REPO_ROOT / "pyproject.toml", REPO_ROOT / "src")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_an_upward_import_breaks_the_contract(tmp_path):
    """The contract can fail: the same check on a copy where an analysis imports the pipeline."""
    shutil.copytree(REPO_ROOT / "src" / "toy_superposition", tmp_path / "toy_superposition")
    (tmp_path / "pyproject.toml").write_text((REPO_ROOT / "pyproject.toml").read_text())
    geometry = tmp_path / "toy_superposition" / "analysis" / "geometry.py"
    geometry.write_text(geometry.read_text() + "\nfrom ..pipeline import stages  # noqa\n")
    result = lint_imports(tmp_path, tmp_path / "pyproject.toml", tmp_path)
    assert result.returncode != 0
    assert "toy_superposition.analysis.geometry -> toy_superposition.pipeline.stages" in result.stdout


def import_cycles(modules, imports_of) -> list[list[str]]:
    """Every cycle a depth-first walk of the import graph closes, except a package and its own
    submodules importing each other (an ``__init__`` that re-exports is not a cycle of code)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    cycles: list[list[str]] = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for imported in sorted(imports_of(module)):
            if state.get(imported) == 1:
                cycles.append(path[path.index(imported):] + [imported])
            elif imported not in state:
                visit(imported, path + [imported])
        state[module] = 2

    for module in sorted(modules):
        if module not in state:
            visit(module, [module])
    return [c for c in cycles if not any(b.startswith(a + ".") or a.startswith(b + ".") for a, b in zip(c, c[1:]))]


def test_the_cycle_finder_finds_a_cycle_and_ignores_packages_importing_their_submodules():
    graph = {"p": {"p.a"}, "p.a": {"p.b"}, "p.b": {"p.c"}, "p.c": {"p.a"}, "q": {"q.x"}, "q.x": {"q"}}
    assert import_cycles(graph, graph.__getitem__) == [["p.a", "p.b", "p.c", "p.a"]]


def test_no_import_cycles():
    graph = grimp.build_graph("toy_superposition", cache_dir=None)
    assert len(graph.modules) > 40
    assert import_cycles(graph.modules, graph.find_modules_directly_imported_by) == []
