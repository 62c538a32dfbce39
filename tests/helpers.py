"""Helpers shared by tests of several layers."""

from __future__ import annotations

from toy_superposition.artifacts import plan_table
from toy_superposition.config import ExperimentSpec
from toy_superposition.distributions import distribution_for
from toy_superposition.training.trainer import TrainResult, train


def plan_seeds(spec: ExperimentSpec) -> list[int]:
    """Each instance's seed, as the data stage writes it into the plan."""
    return [settings.seed for settings in spec.instances()]


def train_spec(spec: ExperimentSpec) -> TrainResult:
    """Train ``spec`` on what its data stage would write (plan and distribution), without files."""
    return train(spec, plan_table(spec), distribution_for(spec), progress=False)
