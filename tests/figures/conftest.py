"""The figure tests' shared data: every ci experiment a figure reads, trained once per test session."""

from __future__ import annotations

import dataclasses

import pytest

from toy_superposition.config import ExperimentSpec, PipelineConfig, load_config, with_training
from toy_superposition.pipeline import stages

#: Tiny training: the figures only need valid artifacts of the right shapes, not converged models.
STEPS = 40


def short_training(spec: ExperimentSpec) -> ExperimentSpec:
    """``spec`` trained for STEPS steps on CPU, keeping its snapshots up to STEPS (or two, if it had later ones)."""
    snapshots = tuple(step for step in spec.training.snapshot_steps if step <= STEPS)
    if spec.training.snapshot_steps and not snapshots:
        snapshots = (STEPS // 2, STEPS)
    return with_training(spec, steps=STEPS, batch_size=64, eval_batches=1, log_every=10, compile=False, device="cpu",
                         snapshot_steps=snapshots)


@pytest.fixture(scope="session")
def config(tmp_path_factory) -> PipelineConfig:
    """The ci profile with every figure's experiments trained (data, train, metrics stages) into a temporary folder."""
    base = load_config(profile="ci")
    needed = sorted({name for figure in base.figures.values() for name in figure.experiments})
    assert needed, "the ci profile draws no figure"
    cfg = dataclasses.replace(base, results_dir=str(tmp_path_factory.mktemp("results")),
                              experiments={name: short_training(spec) for name, spec in base.experiments.items()})
    for name in needed:
        stages.run_data(cfg, name)
        stages.run_train(cfg, name, progress=False)
        stages.run_metrics(cfg, name)
    return cfg
