"""compare-results: byte-identical to the committed dvc.lock, else every metric within tolerance and
every claim's verdict the same; a failure names the file and the key or column."""

from __future__ import annotations

import hashlib
import json
import math
import subprocess

import pandas as pd
import pytest
import yaml

from toy_superposition.pipeline import compare
from toy_superposition.pipeline.compare import close, compare_json

from .conftest import GIT_IDENTITY

DVC_YAML = {
    "stages": {
        "metrics": {"cmd": "true", "outs": ["results/table.parquet"],
                    "metrics": [{"results/summary.json": {"cache": False}}]},
        "claims": {"cmd": "true", "outs": [], "metrics": [{"results/claims.json": {"cache": False}}]},
    }
}
TABLE = pd.DataFrame({"instance": [0, 1, 2], "norm": [1.0, 0.5, 0.25], "represented": [True, True, False]})
SUMMARY = {"final_loss_mean": 0.125, "dimensions_per_feature": {"p=0.1": 0.5, "p=1": 1.0},
           "features_represented": {"p=0.1": 8}, "provenance": {"code_commit": "a" * 40}}
CLAIMS = {"claims": 2, "hold": 1, "results": {"c1": {"value": 0.9, "holds": True, "threshold": ">= 0.75"},
                                               "c2": {"value": 0.1, "holds": False, "threshold": ">= 0.75"}}}


def md5(path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def git(*args, cwd):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env={**GIT_IDENTITY, "PATH": "/usr/bin:/bin"})


@pytest.fixture
def committed(tmp_path, monkeypatch):
    """A repository whose committed dvc.lock and metrics are those of the files on disk."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "results").mkdir()
    (tmp_path / "dvc.yaml").write_text(yaml.safe_dump(DVC_YAML))
    TABLE.to_parquet(tmp_path / "results/table.parquet", index=False)
    write(tmp_path, SUMMARY, CLAIMS)
    outs = {"metrics": ["results/table.parquet", "results/summary.json"], "claims": ["results/claims.json"]}
    lock = {"schema": "2.0", "stages": {name: {"cmd": "true", "outs": [
        {"path": p, "hash": "md5", "md5": md5(tmp_path / p), "size": (tmp_path / p).stat().st_size} for p in paths]}
        for name, paths in outs.items()}}
    (tmp_path / "dvc.lock").write_text(yaml.safe_dump(lock))
    git("init", "-q", cwd=tmp_path)
    git("add", "dvc.yaml", "dvc.lock", "results/summary.json", "results/claims.json", cwd=tmp_path)
    git("commit", "-qm", "results", cwd=tmp_path)
    return tmp_path


def write(root, summary, claims):
    (root / "results/summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    (root / "results/claims.json").write_text(json.dumps(claims, indent=2, sort_keys=True) + "\n")


def test_the_same_files_are_byte_identical(committed):
    result = compare.compare_results(committed / "dvc.yaml")
    assert result.verdict == "byte-identical" and result.files == 3
    assert "byte-identical: all 3 outputs" in result.report()


def test_small_differences_are_within_tolerance_and_name_the_files(committed):
    nudged = json.loads(json.dumps(SUMMARY))
    nudged["dimensions_per_feature"]["p=0.1"] = 0.5 * (1 + compare.RTOL / 2)
    nudged["provenance"]["code_commit"] = "b" * 40  # another commit's code: not compared
    write(committed, nudged, CLAIMS)
    table = TABLE.assign(norm=TABLE["norm"] + 1e-9)
    table.to_parquet(committed / "results/table.parquet", index=False)
    reference = committed / "reference"
    (reference / "results").mkdir(parents=True)
    TABLE.to_parquet(reference / "results/table.parquet", index=False)
    result = compare.compare_results(committed / "dvc.yaml", reference_dir=reference)
    assert result.verdict == "within tolerance", result.report()
    assert result.different == ["results/summary.json", "results/table.parquet"]
    assert "within tolerance" in result.report() and "results/table.parquet" in result.report()


def test_a_number_outside_the_tolerance_names_file_and_key(committed):
    moved = json.loads(json.dumps(SUMMARY))
    moved["dimensions_per_feature"]["p=0.1"] = 0.5 * (1 + 3 * compare.RTOL)
    write(committed, moved, CLAIMS)
    result = compare.compare_results(committed / "dvc.yaml")
    assert result.verdict == "failed"
    assert result.failures == [f"results/summary.json: dimensions_per_feature.p=0.1: {0.5 * (1 + 3 * compare.RTOL)!r},"
                               f" committed 0.5 (tolerance {compare.ATOL:g} + {compare.RTOL:g}·|committed|)"]


def test_a_changed_verdict_fails_even_when_the_value_is_close(committed):
    flipped = json.loads(json.dumps(CLAIMS))
    flipped["results"]["c2"]["holds"] = True
    flipped["hold"] = 2
    write(committed, SUMMARY, flipped)
    result = compare.compare_results(committed / "dvc.yaml")
    assert result.verdict == "failed"
    assert "results/claims.json: results.c2.holds: True, committed False (a claim's verdict changed)" in result.failures
    assert "results/claims.json: hold: 2, committed 1" in result.failures


def test_a_table_column_outside_the_tolerance_is_named(committed):
    TABLE.assign(norm=[1.0, 0.6, 0.25]).to_parquet(committed / "results/table.parquet", index=False)
    reference = committed / "reference"
    (reference / "results").mkdir(parents=True)
    TABLE.to_parquet(reference / "results/table.parquet", index=False)
    result = compare.compare_results(committed / "dvc.yaml", reference_dir=reference)
    assert result.verdict == "failed"
    assert result.failures == ["results/table.parquet: column 'norm': 1 rows differ, first row 1: 0.6, committed 0.5"]


def test_a_missing_output_fails(committed):
    (committed / "results/table.parquet").unlink()
    result = compare.compare_results(committed / "dvc.yaml")
    assert result.verdict == "failed" and "results/table.parquet: missing" in result.failures


def test_without_a_committed_lock_there_is_nothing_to_compare(committed):
    git("rm", "-q", "--cached", "dvc.lock", cwd=committed)
    git("commit", "-qm", "no lock", cwd=committed)
    with pytest.raises(compare.NothingCommitted, match="dvc.lock is not committed"):
        compare.compare_results(committed / "dvc.yaml")


@pytest.mark.parametrize(("value", "reference", "same"), [
    (math.inf, math.inf, True), (-math.inf, -math.inf, True), (math.inf, -math.inf, False),
    (math.inf, 1e300, False), (1.0, math.inf, False), (math.nan, math.nan, True), (math.nan, 1.0, False),
    (1.0 + 1e-4, 1.0, True), (1.1, 1.0, False),
])
def test_infinite_and_nan_values_match_only_themselves(value, reference, same):
    assert close(value, reference) is same
    assert (compare_json({"v": value}, {"v": reference}, "f.json") == []) is same
