"""The arithmetic floor of a profile's training time: its matmul FLOPs at this machine's matmul peak.

Every model of the pipeline does five (n × m) products per sample and step, whatever its
activation (forward ``W x`` and ``W h``; backward ``Wᵀ g``, ``g hᵀ`` and ``x ∂hᵀ``; the untied
absolute-value model has the same five with two matrices), so an experiment's training costs

    dense     = Σ_instances 5 · 2nm · B · steps                 FLOP
    x-sparse  = Σ_instances (3 + 2p) · 2nm · B · steps          FLOP

where p is the instance's feature probability: ``x-sparse`` is what is left for a step that
computes the two products reading x at x's density and the other three densely (what
docs/benchmark.md leaves as the one untried idea). Divided by the square fp32 matmul's FLOP/s
(``benchmark.matmul_peak_flops``, the best rate a matmul reaches on the machine), each is a time
no step can beat there: tiny products (n = 5, m = 2) run far below that peak, and everything
but the products (sampling, the optimizer, the evaluation, process start, the other stages)
comes on top. Where the results folder holds Snakemake's record of a train job
(``paths.train_benchmark_path``), the measured wall time is shown beside it, with the dense
FLOP/s it reached.

Adversarial training's attack and the evaluation batches are left out, so the floor is low.
"""

from __future__ import annotations

import csv
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from ..config import ExperimentSpec, PipelineConfig
from ..paths import train_benchmark_path

PRODUCTS = 5  # (n × m) products per sample and step, forward and backward
PRODUCTS_READING_X = 2  # W x forward, x ∂hᵀ backward


@dataclass(frozen=True)
class ExperimentBudget:
    experiment: str
    instances: int
    steps: int
    batch_size: int
    dense_flop: float
    x_sparse_flop: float
    measured_seconds: float | None  # the train job's wall time (Snakemake's record), if on disk


def training_flops(spec: ExperimentSpec) -> tuple[float, float]:
    """(dense, x-sparse) matmul FLOPs of training ``spec``: the sums of the module docstring."""
    per_product = 2 * spec.features * spec.hidden * spec.training.batch_size * spec.training.steps
    dense = float(PRODUCTS * per_product * spec.n_instances)
    sparse = sum((PRODUCTS - PRODUCTS_READING_X + PRODUCTS_READING_X * instance.feature_probability) * per_product
                 for instance in spec.instances())
    return dense, float(sparse)


def measured_train_seconds(config: PipelineConfig, experiment: str) -> float | None:
    """Wall seconds of the experiment's last train job (the ``s`` column of Snakemake's record)."""
    path = train_benchmark_path(config, experiment)
    if not path.exists():
        return None
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return float(rows[-1]["s"]) if rows else None


def profile_budget(config: PipelineConfig) -> list[ExperimentBudget]:
    """One row per experiment of the profile, the costliest first."""
    rows = []
    for spec in config.experiments.values():
        dense, sparse = training_flops(spec)
        rows.append(ExperimentBudget(spec.name, spec.n_instances, spec.training.steps, spec.training.batch_size,
                                     dense, sparse, measured_train_seconds(config, spec.name)))
    return sorted(rows, key=lambda row: -row.dense_flop)


def print_budget(config: PipelineConfig, rows: list[ExperimentBudget], peak: float, top: int = 12) -> None:
    print(f"Training FLOPs of the {config.profile} profile ({len(rows)} experiments) and their floor at the square "
          f"fp32 matmul peak, {peak / 1e9:.0f} GFLOP/s; measured: Snakemake's train records in {config.results_dir}/")
    header = (f"{'experiment':<34}{'instances':>10}{'steps':>8}{'dense TFLOP':>13}{'floor s':>9}"
              f"{'x-sparse TFLOP':>16}{'floor s':>9}{'measured s':>12}{'GFLOP/s':>9}")
    print(header)
    print("-" * len(header))
    for row in rows[:top]:
        measured = (f"{row.measured_seconds:>12,.0f}{row.dense_flop / row.measured_seconds / 1e9:>9.0f}"
                    if row.measured_seconds else f"{'':>12}{'':>9}")
        print(f"{row.experiment:<34}{row.instances:>10,}{row.steps:>8,}{row.dense_flop / 1e12:>13.1f}"
              f"{row.dense_flop / peak:>9,.0f}{row.x_sparse_flop / 1e12:>16.1f}{row.x_sparse_flop / peak:>9,.0f}"
              + measured)
    if len(rows) > top:
        print(f"... and {len(rows) - top} more")
    dense = sum(row.dense_flop for row in rows)
    sparse = sum(row.x_sparse_flop for row in rows)
    timed = [row for row in rows if row.measured_seconds]
    print(f"{'all':<34}{sum(row.instances for row in rows):>10,}{'':>8}{dense / 1e12:>13.1f}{dense / peak:>9,.0f}"
          f"{sparse / 1e12:>16.1f}{sparse / peak:>9,.0f}")
    if timed:
        seconds = sum(row.measured_seconds for row in timed)
        flop = sum(row.dense_flop for row in timed)
        print(f"measured: {len(timed)} of {len(rows)} train jobs, {seconds:,.0f} s for {flop / 1e12:.1f} dense TFLOP "
              f"({flop / seconds / 1e9:.0f} GFLOP/s; their floor {flop / peak:,.0f} s)")


def run_budget(config: PipelineConfig, peak: float | None = None, output: Path | None = None) -> dict:
    """Print the profile's budget (measuring the matmul peak unless ``peak``, FLOP/s, is given)."""
    if peak is None:
        import torch

        from .benchmark import cpu_model, matmul_peak_flops

        print(f"{cpu_model()}; {torch.get_num_threads()} threads; measuring the square fp32 matmul peak")
        peak = matmul_peak_flops(torch.device("cpu"))
    rows = profile_budget(config)
    print_budget(config, rows, peak)
    report = {"profile": config.profile, "matmul_peak_flop_per_s": peak, "experiments": [asdict(row) for row in rows]}
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(report, indent=2) + "\n")
        print(f"wrote {output}")
    return report
