"""The figure registry: one module per figure, named after it, registering itself."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from toy_superposition import figures
from toy_superposition.config import ConfigError, load_config
from toy_superposition.figures import FIGURES, discover, figure, module_name, renderer
from toy_superposition.pipeline import dag

FIGURES_DIR = Path(figures.__file__).parent


def figure_modules() -> list[Path]:
    return sorted(p for p in FIGURES_DIR.glob("*.py") if p.stem not in {"__init__", "registry"})


def test_every_configured_figure_has_its_own_module_that_registers_it():
    registry = discover()
    configured = set(load_config(profile="paper").figures) | set(load_config(profile="ci").figures)
    assert configured, "no figure configured"
    assert configured <= set(registry)
    for figure_id in configured:
        assert registry[figure_id].__module__ == module_name(figure_id)
        assert (FIGURES_DIR / f"{figure_id.replace('-', '_')}.py").is_file()


def test_every_figure_module_draws_a_configured_figure():
    configured = set(load_config(profile="paper").figures)
    modules = figure_modules()
    assert modules
    assert {p.stem.replace("_", "-") for p in modules} == configured


def test_figure_modules_import_no_other_figure_module():
    """A figure's code dependencies are its own script, figures/common/ and analysis/ (pipeline.dag),
    so a figure module may not borrow code from another figure's module."""
    names = {p.stem for p in figure_modules()}
    for path in figure_modules():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                imported = {node.module} if node.module else {alias.name for alias in node.names}
                assert not imported & names, f"{path.name} imports figure module(s) {imported & names}"


def test_the_dag_lists_each_figure_script_as_its_code_dependency():
    config = load_config(profile="ci")
    for figure_id in config.figures:
        deps = dag.expand_code(dag.code_deps("figure", figure_id))
        script = dag.figure_script(figure_id)
        assert script in deps and Path(script).is_file()
        assert any(dep.startswith("src/toy_superposition/analysis/") for dep in deps)
        assert any(dep.startswith("src/toy_superposition/figures/common/") for dep in deps)


def test_a_renderer_must_live_in_the_module_named_after_its_figure():
    def render(config, spec):  # defined in this test module, not figures/<id>.py
        raise AssertionError("never drawn")

    with pytest.raises(ValueError, match="must be drawn by toy_superposition.figures.not_a_figure"):
        figure("not-a-figure")(render)
    assert "not-a-figure" not in FIGURES


def test_an_unknown_figure_id_names_the_missing_module():
    with pytest.raises(ConfigError, match="figures.no-such-figure: no script draws this figure"):
        renderer("no-such-figure")


def test_the_command_line_loads_matplotlib_and_the_claims_only_for_the_stages_that_use_them():
    """Every Snakemake job is a fresh `toy-superposition` process; the data, train and metrics jobs
    (three quarters of them) must not pay for importing matplotlib or the claim registry."""
    heavy = ("matplotlib", "toy_superposition.figures.registry", "toy_superposition.claims.registry")
    code = ("import sys, toy_superposition.cli; "
            f"print([m for m in {heavy!r} if m in sys.modules]); "
            "from toy_superposition.figures import FIGURES; "
            "print('matplotlib' in sys.modules, type(FIGURES).__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0] == "[]", out
    assert out[1] == "True dict", out  # the registry's names still resolve, importing it then
