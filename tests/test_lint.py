"""The code is linted with the rules in pyproject.toml ([tool.ruff]): the package, the tests and
the research scripts under docs/ (the workflow's Snakefile is linted by `snakemake --lint`, in
tests/pipeline/test_workflow.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .conftest import REPO_ROOT

RUFF = Path(sys.executable).parent / "ruff"


def ruff_check(*paths: Path) -> subprocess.CompletedProcess:
    """`ruff check` with the project's rules, wherever the paths are."""
    return subprocess.run([str(RUFF), "check", "--no-cache", "--config", str(REPO_ROOT / "pyproject.toml"),
                           *map(str, paths)], cwd=REPO_ROOT, capture_output=True, text=True)


def test_ruff_finds_nothing():
    result = ruff_check(REPO_ROOT / "src", REPO_ROOT / "tests", REPO_ROOT / "docs")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_would_find_an_unused_import(tmp_path):
    """The check can fail: the same rules on a file with an unused import."""
    bad = tmp_path / "bad.py"
    bad.write_text("import os\n")
    result = ruff_check(bad)
    assert result.returncode == 1 and "F401" in result.stdout
