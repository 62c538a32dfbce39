"""The package works without its source tree: a built (non-editable) install finds its schema,
and validates a clone's config/config.yaml from that clone's working directory."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from .conftest import REPO_ROOT


def test_a_wheel_install_validates_a_clones_config(tmp_path):
    wheels, site, clone, source = tmp_path / "wheels", tmp_path / "site", tmp_path / "clone", tmp_path / "source"
    # build from a copy: setuptools writes build/ and *.egg-info next to the sources
    shutil.copytree(REPO_ROOT / "src", source / "src", ignore=shutil.ignore_patterns("*.egg-info", "__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO_ROOT / name, source / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "--wheel-dir", str(wheels), str(source)], check=True, capture_output=True, timeout=300)
    (wheel,) = wheels.glob("toy_superposition-*.whl")
    assert "toy_superposition/config.schema.json" in zipfile.ZipFile(wheel).namelist()
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site), str(wheel)],
                   check=True, capture_output=True, timeout=300)
    (clone / "config").mkdir(parents=True)
    shutil.copy(REPO_ROOT / "config" / "config.yaml", clone / "config" / "config.yaml")
    env = {"PYTHONPATH": str(site), "PATH": str(Path(sys.executable).parent)}
    where = subprocess.run([sys.executable, "-c", "import toy_superposition as t; print(t.__file__)"], cwd=clone,
                           env=env, capture_output=True, text=True, check=True)
    assert Path(where.stdout.strip()).is_relative_to(site)  # the installed copy, not the source tree
    result = subprocess.run([sys.executable, "-m", "toy_superposition", "validate", "--profile", "ci"], cwd=clone,
                            env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "profile ci: results in results/ci/" in result.stdout
    outside = subprocess.run([sys.executable, "-m", "toy_superposition", "validate"], cwd=tmp_path, env=env,
                             capture_output=True, text=True, timeout=300)
    assert outside.returncode == 2 and "config/config.yaml: not found" in outside.stderr
