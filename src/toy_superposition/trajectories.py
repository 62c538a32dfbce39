"""Training trajectories: the weight snapshots of an experiment and their loss, step by step.

The train stage saves the weights at the configured ``snapshot_steps`` as
``snapshots.safetensors`` with keys ``step_00001000/W`` (see the artifact contract). This
module stacks them into one tensor per parameter and measures each snapshot's loss.

Shapes: ``T`` snapshots, ``I`` instances, ``B`` batch, ``n`` features, ``m`` hidden.

Loss of a snapshot. The logged training loss is the mean over a window of fresh batches,
so it is noisy where features are sparse (few active features per batch). To see small
steps in the loss, :func:`snapshot_losses` evaluates every snapshot on *one* fixed batch
``X`` drawn from the instance's distribution (common random numbers):

    L_t = (1 / (B n)) Σ_{b,i} I_i (x'_t(X)_{b,i} − X_{b,i})²

so differences between snapshots are the model's change, not the batch's. (No dropout and
no L1 term: the reconstruction loss of the deterministic model, like ``final_loss``.)
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from .artifacts import ArtifactError, load_tensors
from .config import ExperimentSpec, derive_seed
from .distributions import FeatureDistribution, sample_features
from .models import forward, loss_per_instance, parameter_shapes, target_of

_KEY = re.compile(r"^step_(\d{8})/(\w+)$")


def stack_snapshots(tensors: dict[str, Tensor]) -> tuple[np.ndarray, dict[str, Tensor]]:
    """``{"step_00000010/W": (I, n, m), ...}`` → (steps (T,), {"W": (T, I, n, m), ...}), steps ascending."""
    by_step: dict[int, dict[str, Tensor]] = {}
    for key, value in tensors.items():
        match = _KEY.match(key)
        if match is None:
            raise ArtifactError(f"snapshot key {key!r} is not of the form step_XXXXXXXX/NAME")
        by_step.setdefault(int(match.group(1)), {})[match.group(2)] = value
    steps = sorted(by_step)
    if not steps:
        return np.zeros(0, dtype=np.int64), {}
    names = sorted(by_step[steps[0]])
    for step in steps:
        if sorted(by_step[step]) != names:
            raise ArtifactError(f"snapshot at step {step} has tensors {sorted(by_step[step])}, expected {names}")
    stacked = {name: torch.stack([by_step[step][name] for step in steps]) for name in names}
    return np.asarray(steps, dtype=np.int64), stacked


def load_snapshots(path: Path | str, spec: ExperimentSpec) -> tuple[np.ndarray, dict[str, Tensor]]:
    """Read an experiment's snapshots: (steps (T,), {"W": (T, I, n, m), "b": (T, I, n)}).

    Raises :class:`ArtifactError` when the file has no snapshots (the experiment's
    ``training.snapshot_steps`` is empty) or their shapes do not match the config.
    """
    tensors = load_tensors(path)
    steps, stacked = stack_snapshots(tensors)
    if len(steps) == 0:
        raise ArtifactError(f"{path}: no snapshots; set training.snapshot_steps for experiment {spec.name}")
    shapes = parameter_shapes(spec.model, spec.n_instances, spec.features, spec.hidden)
    for name, shape in shapes.items():
        if name not in stacked or tuple(stacked[name].shape[1:]) != shape:
            got = tuple(stacked[name].shape[1:]) if name in stacked else None
            raise ArtifactError(f"{path}: snapshot tensor {name!r} has shape {got}, expected {shape}; rerun training")
    return steps, stacked


def snapshot_losses(
    spec: ExperimentSpec,
    params: dict[str, Tensor],
    dist: FeatureDistribution,
    instances: list[int],
    batch_size: int = 4096,
    seed_label: str = "snapshot-loss",
) -> np.ndarray:
    """Loss of every snapshot of the chosen instances on one fixed batch: (T, len(instances)).

    ``params`` are stacked snapshots ({"W": (T, I, n, m), ...}); each instance's batch is
    drawn once from ``dist`` with a seed derived from the experiment, ``seed_label`` and the
    instance index, so it does not depend on which other instances are evaluated.
    """
    index = torch.as_tensor(instances, dtype=torch.long)
    sub = {k: v.index_select(1, index).double() for k, v in params.items()}  # (T, I', ...)
    chosen = FeatureDistribution(
        dist.probability.index_select(0, index).double(), dist.importance.index_select(0, index).double(),
        dist.kind, dist.set_size, dist.signed,
    )
    batches = []
    for k, instance in enumerate(instances):
        generator = torch.Generator().manual_seed(derive_seed(spec.seed, seed_label, int(instance)))
        one = FeatureDistribution(chosen.probability[k: k + 1], chosen.importance[k: k + 1], dist.kind,
                                  dist.set_size, dist.signed)
        batches.append(sample_features(one, batch_size, generator))
    x = torch.cat(batches)  # (I', B, n)
    target = target_of(spec.model, x)
    steps = next(iter(sub.values())).shape[0]
    losses = np.empty((steps, len(instances)))
    with torch.no_grad():
        for t in range(steps):
            output, _ = forward(spec.model, {k: v[t] for k, v in sub.items()}, x)
            losses[t] = loss_per_instance(output, target, chosen.importance).numpy()
    return losses
