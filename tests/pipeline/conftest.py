"""Fixtures of the pipeline tests that run stages for real: clones of this checkout, and one slice
of the ci DAG (the intro-5-in-2 figure and its experiment: data, train, metrics, figure) run
locally by Snakemake, which the SLURM and DVC-remote tests compare their results with."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ..conftest import REPO_ROOT

BIN = Path(sys.executable).parent
CI_DVC_YAML = "workflow/dvc/ci/dvc.yaml"
#: The slice: one figure of the ci profile and the experiment it reads.
SLICE_FIGURE = "intro-5-in-2"
SLICE_STAGES = [f"data-{SLICE_FIGURE}", f"train-{SLICE_FIGURE}", f"metrics-{SLICE_FIGURE}", f"figure-{SLICE_FIGURE}"]
SLICE_TARGET = f"results/ci/figures/{SLICE_FIGURE}.png"

GIT_IDENTITY = {"GIT_AUTHOR_NAME": "test", "GIT_AUTHOR_EMAIL": "test@example.org",
                "GIT_COMMITTER_NAME": "test", "GIT_COMMITTER_EMAIL": "test@example.org"}


def tool_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment the tools run in: this interpreter's bin/ first on PATH, fixed hash seed."""
    env = os.environ | GIT_IDENTITY | {"PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
                                      "PYTHONHASHSEED": "0", "DVC_NO_ANALYTICS": "1"}
    return env | (extra or {})


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(args, cwd=cwd, env=env or tool_env(), capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
    return result


def clone_checkout(target: Path) -> Path:
    """A git clone of this checkout with its uncommitted changes copied over.

    A clone, not a copy: the artifacts record the commit of the code that made them
    (:mod:`toy_superposition.provenance`), so a run in the clone records what a run here does.
    """
    run(["git", "clone", "-q", "--no-hardlinks", str(REPO_ROOT), str(target)], cwd=target.parent)
    listed = subprocess.run(["git", "ls-files", "--modified", "--others", "--exclude-standard"], cwd=REPO_ROOT,
                            capture_output=True, text=True, check=True).stdout.splitlines()
    deleted = subprocess.run(["git", "ls-files", "--deleted"], cwd=REPO_ROOT, capture_output=True, text=True,
                             check=True).stdout.splitlines()
    for name in sorted(set(listed) - set(deleted)):
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO_ROOT / name, target / name)
    for name in deleted:
        (target / name).unlink(missing_ok=True)
    return target


def digests(root: Path) -> dict[str, str]:
    """sha256 of every artifact under ``root`` (logs and benchmarks excluded: they hold timings)."""
    found = {}
    for path in sorted(root.rglob("*")):
        if (path.is_file() and not {"logs", "benchmarks"} & set(path.parts)
                and path.suffix in {".parquet", ".safetensors", ".json", ".png", ".svg", ".csv", ".html"}):
            found[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


@pytest.fixture(scope="session")
def slice_run(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """The slice run locally by Snakemake in a fresh clone: (clone, digests of results/ci)."""
    checkout = clone_checkout(tmp_path_factory.mktemp("slice") / "repo")
    run([str(BIN / "snakemake"), "--cores", "2", SLICE_TARGET, "--config", "profile=ci"], cwd=checkout)
    found = digests(checkout / "results" / "ci")
    # the clone also holds the committed ci metrics of every other experiment (summary.json, claims.json)
    tracked = set(run(["git", "ls-files", "results/ci"], cwd=checkout).stdout.split())
    made = [name for name in found if f"results/ci/{name}" not in tracked or name.startswith(f"{SLICE_FIGURE}/")]
    assert len(made) == 11, made  # data 2, train 4, metrics 2, figure 3
    return checkout, found

