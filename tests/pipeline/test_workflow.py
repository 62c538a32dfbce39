"""The Snakemake workflow as software: it parses without the heavy libraries, lints clean, names a
pinned environment that agrees with the constraints, and marks every figure for its report."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib

import yaml

from ..conftest import REPO_ROOT
from .conftest import BIN, run


def test_the_dag_module_imports_neither_torch_nor_pandas():
    """The Snakefile imports pipeline.dag (and through it config and paths) in every job it parses."""
    code = ("import sys, toy_superposition.pipeline.dag;"
            " print(sorted(m for m in ('torch', 'pandas', 'matplotlib', 'pyarrow') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_snakemake_lints_clean():
    result = run([str(BIN / "snakemake"), "--lint", "--config", "profile=ci"], cwd=REPO_ROOT)
    output = result.stdout + result.stderr
    assert "Lints for" not in output, output
    assert "Congratulations, your workflow is in a good condition!" in output


def pins(lines) -> dict[str, str]:
    found = {}
    for line in lines:
        match = re.match(r"^\s*-?\s*([A-Za-z0-9_.-]+)==(\S+)\s*$", line)
        if match:
            found[match.group(1).lower().replace("_", "-")] = match.group(2)
    return found


def test_the_rules_environment_pins_the_constraints_versions():
    environment = (REPO_ROOT / "workflow/envs/pipeline.yaml").read_text()
    pinned = pins(yaml.safe_load(environment)["dependencies"][-1]["pip"])
    constraints = pins((REPO_ROOT / "requirements/constraints.txt").read_text().splitlines())
    dependencies = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    names = {re.match(r"[A-Za-z0-9_.-]+", dep).group(0).lower().replace("_", "-") for dep in dependencies}
    assert set(pinned) == names  # every runtime dependency of the package, nothing else
    assert {name: constraints[name] for name in names} == pinned
    for rule in ("data", "train", "metrics", "figures", "report"):
        assert '"../envs/pipeline.yaml"' in (REPO_ROOT / f"workflow/rules/{rule}.smk").read_text(), rule


def test_the_train_rule_records_a_benchmark():
    jobs = run([str(BIN / "snakemake"), "-n", "--forceall", "--cores", "1", "results/ci/intro-5-in-2/model.safetensors",
                "--config", "profile=ci"], cwd=REPO_ROOT)
    assert "benchmark: results/ci/benchmarks/train/intro-5-in-2.tsv" in jobs.stdout + jobs.stderr
