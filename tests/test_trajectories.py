"""Snapshots: stacking, loading with checks, and the loss of each snapshot on a fixed batch."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from toy_superposition import stages
from toy_superposition.artifacts import ArtifactError, experiment_paths, save_tensors
from toy_superposition.config import ExperimentSpec, TrainingConfig, load_config
from toy_superposition.distributions import distribution_for
from toy_superposition.trajectories import load_snapshots, snapshot_losses, stack_snapshots


def spec(**changes) -> ExperimentSpec:
    base = ExperimentSpec(name="t", model="relu_output", features=4, hidden=2, grid={"feature_probability": (0.5, 1.0)},
                          training=TrainingConfig(steps=3, batch_size=8, snapshot_steps=(1, 3), compile=False,
                                                  device="cpu", eval_batches=1))
    return dataclasses.replace(base, **changes)


def test_stack_orders_steps_and_groups_parameters():
    tensors = {"step_00000010/W": torch.full((2, 3), 10.0), "step_00000002/W": torch.full((2, 3), 2.0),
               "step_00000010/b": torch.ones(2), "step_00000002/b": torch.zeros(2)}
    steps, stacked = stack_snapshots(tensors)
    assert steps.tolist() == [2, 10]
    assert stacked["W"].shape == (2, 2, 3) and stacked["W"][:, 0, 0].tolist() == [2.0, 10.0]
    assert stacked["b"][:, 0].tolist() == [0.0, 1.0]


@pytest.mark.parametrize("tensors, message", [
    ({"W": torch.zeros(1)}, "not of the form"),
    ({"step_00000001/W": torch.zeros(1), "step_00000002/b": torch.zeros(1)}, "expected"),
])
def test_stack_rejects_malformed_keys(tensors, message):
    with pytest.raises(ArtifactError, match=message):
        stack_snapshots(tensors)


def test_loading_checks_shapes_and_presence(tmp_path):
    experiment = spec()
    path = tmp_path / "snapshots.safetensors"
    save_tensors(path, {})
    with pytest.raises(ArtifactError, match="no snapshots"):
        load_snapshots(path, experiment)
    save_tensors(path, {"step_00000001/W": torch.zeros(2, 4, 3), "step_00000001/b": torch.zeros(2, 4)})
    with pytest.raises(ArtifactError, match="shape"):
        load_snapshots(path, experiment)


def test_snapshot_losses_by_hand():
    """W = 0 and b = 0 output 0, so the loss is mean I x²; b = 1 with x ∈ [0, 1) gives mean I (1 − x)²."""
    experiment = spec()
    dist = distribution_for(experiment)
    params = {"W": torch.zeros(2, 2, 4, 2), "b": torch.stack([torch.zeros(2, 4), torch.ones(2, 4)])}
    losses = snapshot_losses(experiment, params, dist, [0, 1], batch_size=20_000)
    assert losses.shape == (2, 2)
    # E[x²] = p/3 for x = U[0,1) with probability p; E[(1 − x)²] = (1 − p) + p/3
    np.testing.assert_allclose(losses[0], [0.5 / 3, 1.0 / 3], rtol=0.03)
    np.testing.assert_allclose(losses[1], [0.5 + 0.5 / 3, 1.0 / 3], rtol=0.03)
    again = snapshot_losses(experiment, params, dist, [1], batch_size=20_000)
    np.testing.assert_array_equal(again[:, 0], losses[:, 1])  # one fixed batch per instance, seeded


def test_training_snapshots_round_trip(tmp_path):
    """The train stage's snapshots load back at the configured steps, the last equal to the final weights."""
    base = load_config(profile="ci")
    experiment = dataclasses.replace(spec(), name="correlated-6-in-3")
    config = dataclasses.replace(base, results_dir=str(tmp_path), experiments={"correlated-6-in-3": experiment})
    stages.run_data(config, "correlated-6-in-3")
    stages.run_train(config, "correlated-6-in-3", progress=False)
    steps, stacked = load_snapshots(experiment_paths(config, "correlated-6-in-3").snapshots, experiment)
    assert steps.tolist() == [1, 3]
    final = stages.load_model(config, "correlated-6-in-3")
    np.testing.assert_array_equal(stacked["W"][-1], final["W"])
    assert not torch.equal(stacked["W"][0], stacked["W"][-1])
