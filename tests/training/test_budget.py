"""The training budget: FLOP counts against hand-computed cases, the measured times from Snakemake's records."""

from __future__ import annotations

import json

import pytest

from toy_superposition.cli import main
from toy_superposition.config import ExperimentSpec, PipelineConfig, TrainingConfig
from toy_superposition.paths import train_benchmark_path
from toy_superposition.training.budget import profile_budget, training_flops


def spec(name: str = "t", restarts: int = 3) -> ExperimentSpec:
    return ExperimentSpec(name=name, model="relu_output", features=4, hidden=2, grid={"feature_probability": (0.5, 1.0)},
                          training=TrainingConfig(steps=3, batch_size=8), restarts=restarts)


def pipeline(tmp_path, *specs: ExperimentSpec) -> PipelineConfig:
    return PipelineConfig(profile="t", results_dir=str(tmp_path), seed=0,
                          experiments={s.name: s for s in specs}, figures={})


def test_flops_are_five_products_per_instance_and_two_at_the_input_density() -> None:
    # one product: 2·n·m·B·steps = 2·4·2·8·3 = 384 FLOP; 2 densities × 3 restarts = 6 instances
    dense, sparse = training_flops(spec())
    assert dense == 6 * 5 * 384
    # p = 0.5: 3 + 2·0.5 = 4 products; p = 1: all 5; three restarts each
    assert sparse == 3 * 4 * 384 + 3 * 5 * 384


def test_rows_come_costliest_first_with_the_last_measured_train_time(tmp_path) -> None:
    config = pipeline(tmp_path, spec("small", restarts=1), spec("large", restarts=4))
    record = train_benchmark_path(config, "large")
    record.parent.mkdir(parents=True)
    record.write_text("s\th:m:s\tmax_rss\n12.5\t0:00:12\t100\n7.25\t0:00:07\t90\n")
    rows = profile_budget(config)
    assert [row.experiment for row in rows] == ["large", "small"]
    assert [row.instances for row in rows] == [8, 2]
    assert rows[0].measured_seconds == 7.25  # the last record: a rerun appends a row
    assert rows[1].measured_seconds is None  # no record: never trained here


def test_the_command_prints_and_writes_the_paper_profile_budget(tmp_path, capsys) -> None:
    out = tmp_path / "budget.json"
    assert main(["budget", "--profile", "paper", "--peak-gflops", "100", "--output", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["profile"] == "paper" and report["matmul_peak_flop_per_s"] == pytest.approx(1e11)
    first = report["experiments"][0]
    printed = capsys.readouterr().out
    assert first["experiment"] in printed and "100 GFLOP/s" in printed
    flops = [row["dense_flop"] for row in report["experiments"]]
    assert flops == sorted(flops, reverse=True) and all(
        row["x_sparse_flop"] <= row["dense_flop"] for row in report["experiments"])
