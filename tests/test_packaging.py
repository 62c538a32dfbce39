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


def test_one_version_string_and_a_citation_that_names_it():
    import tomllib

    import yaml

    import toy_superposition

    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "toy_superposition.__version__"}
    citation = yaml.safe_load((REPO_ROOT / "CITATION.cff").read_text())
    assert citation["cff-version"] == "1.2.0" and citation["version"] == toy_superposition.__version__
    assert citation["license"] == "MIT" and citation["authors"]
    (paper,) = [ref for ref in citation["references"] if ref["title"] == "Toy Models of Superposition"]
    assert paper["authors"][0]["family-names"] == "Elhage" and paper["year"] == 2022
    assert (REPO_ROOT / "LICENSE").read_text().startswith("MIT License")
