"""Where every artifact lives: the file layout of the README's artifact contract, defined once.

The Snakemake rules, the dvc.yaml generator, the stages and the command line all ask this
module for paths. It imports nothing heavy, so the Snakefile parses without torch or pandas.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .config import PipelineConfig


@dataclass(frozen=True)
class ExperimentPaths:
    root: Path
    plan: Path  # data stage: one row per instance, its settings and seed
    distribution: Path  # data stage: per-instance feature probability and importance
    model: Path  # train stage: final weights
    snapshots: Path  # train stage: weights at chosen steps
    instances: Path  # train stage: plan + final loss + selected restart
    loss_curve: Path  # train stage: loss per logged step and instance
    features: Path  # metrics stage: one row per (instance, feature)
    summary: Path  # metrics stage: small JSON summary (dvc metrics)

    @property
    def data_outputs(self) -> list[Path]:
        return [self.plan, self.distribution]

    @property
    def train_outputs(self) -> list[Path]:
        return [self.model, self.snapshots, self.instances, self.loss_curve]

    @property
    def metrics_outputs(self) -> list[Path]:
        return [self.features, self.summary]


# Snakemake's record of each train job (wall time, memory), relative to the results folder: the
# train rule's `benchmark:` and `toy-superposition budget` read it from here.
TRAIN_BENCHMARK = "benchmarks/train/{experiment}.tsv"


def train_benchmark_path(config: PipelineConfig, experiment: str) -> Path:
    return Path(config.results_dir) / TRAIN_BENCHMARK.format(experiment=experiment)


def experiment_paths(config: PipelineConfig, experiment: str) -> ExperimentPaths:
    root = Path(config.results_dir) / experiment
    return ExperimentPaths(
        root=root,
        plan=root / "plan.parquet",
        distribution=root / "distribution.safetensors",
        model=root / "model.safetensors",
        snapshots=root / "snapshots.safetensors",
        instances=root / "instances.parquet",
        loss_curve=root / "loss_curve.parquet",
        features=root / "features.parquet",
        summary=root / "summary.json",
    )


def figure_paths(config: PipelineConfig, figure: str) -> list[Path]:
    """PNG, its vector copy (SVG) and the figure's data table."""
    root = Path(config.results_dir) / "figures"
    return [root / f"{figure}.png", root / f"{figure}.svg", root / f"{figure}.parquet"]


def report_paths(config: PipelineConfig) -> dict[str, Path]:
    """The outputs of the claims, plots and report stages."""
    root = Path(config.results_dir)
    return {
        "claims_table": root / "claims.parquet",
        "claims_json": root / "claims.json",
        "dims_per_feature_csv": root / "plots" / "dims-per-feature.csv",
        "loss_curves_csv": root / "plots" / "loss-curves.csv",
        "report": root / "report.html",
    }


def convergence_paths(config: PipelineConfig, profile_b: str) -> dict[str, Path]:
    """Where ``claims --compare A B`` writes: A's results folder, ``convergence/A-vs-B.*``."""
    root = report_paths(config)["claims_table"].parent / "convergence"
    stem = f"{config.profile}-vs-{profile_b}"
    return {"claims": root / f"{stem}.parquet", "losses": root / f"{stem}-losses.parquet",
            "markdown": root / f"{stem}.md"}


def comparison_tables(config: PipelineConfig) -> dict[str, Path]:
    """The claims table of every comparison on disk with this profile as A, by B's name, sorted.

    What the report shows beside each claim, and so the report stage's inputs in the DAG."""
    root = convergence_paths(config, "*")["claims"].parent
    prefix = f"{config.profile}-vs-"
    paths = sorted(root.glob(f"{prefix}*.parquet")) if root.is_dir() else []
    return {path.stem[len(prefix):]: path for path in paths if not path.name.endswith("-losses.parquet")}
