"""Train every instance of an experiment as one batched tensor program.

All instances (grid points × restarts) share one parameter tensor with a leading instance
dimension; the loss is summed over instances, so each instance's gradient — and, since
AdamW is elementwise, each instance's trajectory — is independent of the others.

Determinism: weights are initialised per instance from the plan's seed (``derive_seed(experiment, instance)``);
batches come from torch's global generator seeded with ``derive_seed(experiment, "data")``;
the final loss is measured on fresh batches from a separate ``"eval"`` seed. Same config,
machine and thread count give the same bytes.
"""

from __future__ import annotations

import ctypes
import math
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch
from torch import Tensor
from tqdm.auto import tqdm

from ..config import ExperimentSpec, TrainingConfig, derive_seed
from ..distributions import FeatureDistribution, sample_features
from ..models import forward, init_parameters, loss_per_instance, target_of
from .compiled import compiled_step
from .step import AdamWState, adamw_update, sample_loss_and_grads, sgd_update


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite."""


@dataclass
class TrainResult:
    params: dict[str, Tensor]  # float32, CPU
    instances: pd.DataFrame  # one row per instance: settings, seed, final loss, selected
    loss_curve: pd.DataFrame  # columns: step, instance, loss
    snapshots: dict[int, dict[str, Tensor]] = field(default_factory=dict)
    seconds: float = 0.0
    device: str = "cpu"


def resolve_device(setting: str) -> torch.device:
    if setting == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if setting == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("training.device is 'cuda' but torch sees no CUDA device")
    return torch.device(setting)


def learning_rate_at(step: int, training: TrainingConfig) -> float:
    """Constant, linearly decaying or cosine-decaying learning rate (the reference's schedules)."""
    fraction = step / training.steps
    if training.lr_schedule == "linear":
        return training.learning_rate * (1.0 - fraction)
    if training.lr_schedule == "cosine":
        return training.learning_rate * math.cos(0.5 * math.pi * fraction)
    return training.learning_rate


def keep_freed_memory() -> bool:
    """Ask glibc's malloc to reuse freed memory instead of returning it to the kernel.

    A CPU training step allocates and frees the same large temporaries every step (at
    n=400, I=10, B=1024 each activation is 16 MB). By default glibc returns such blocks to
    the kernel when they are freed, so every step takes thousands of page faults on fresh,
    zeroed pages (about 15% of the n=400 step; docs/benchmark.md). This sets
    ``M_MMAP_THRESHOLD`` and ``M_TRIM_THRESHOLD`` to 1 GiB for the whole process, as the
    ``MALLOC_MMAP_THRESHOLD_`` / ``MALLOC_TRIM_THRESHOLD_`` environment variables would: the
    process keeps its peak heap. Returns False (and changes nothing) without glibc.
    """
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3  # <malloc.h>
    return bool(mallopt(m_mmap_threshold, 1 << 30)) and bool(mallopt(m_trim_threshold, 1 << 30))


def release_free_pages() -> None:
    """Give the free pages inside the heap back to the kernel (glibc's ``malloc_trim(0)``).

    With the heap kept (:func:`keep_freed_memory`), a small allocation that outlives a step
    can split the hole a freed step-sized temporary left, so the next step's temporary goes on
    top and the heap grows; freed holes then hold resident pages nobody uses. Called once per
    logged window it keeps the resident size at about one step's temporaries (1–2 GiB instead of
    a growth to 24 GiB for 7,000 models of n = 10 over 10,000 steps), at the cost of faulting
    one step's pages back in per window (not measurable in the step time).
    """
    ctypes.CDLL("libc.so.6").malloc_trim(0)


def should_compile(training: TrainingConfig, device: torch.device) -> bool:
    """``compile: auto`` compiles long AdamW runs, where the one-off compile time pays for itself."""
    if training.optimizer != "adamw":  # the compiled graph fuses AdamW's update
        return False
    if training.compile == "auto":
        return training.steps >= 2000
    return bool(training.compile)


def per_instance(plan: pd.DataFrame, column: str, device: torch.device) -> Tensor:
    """One float32 value per instance, from the plan's ``column``."""
    return torch.tensor(plan[column].to_numpy(dtype=np.float64), dtype=torch.float32, device=device)


def evaluate_loss(
    spec: ExperimentSpec,
    params: dict[str, Tensor],
    dist: FeatureDistribution,
    batches: int,
    batch_size: int,
) -> Tensor:
    """Reconstruction loss of the deterministic model (no dropout, no L1 term) on fresh batches."""
    device = dist.probability.device
    generator = torch.Generator(device=device).manual_seed(derive_seed(spec.seed, "eval"))
    total = torch.zeros(dist.n_instances, dtype=torch.float64, device=device)
    with torch.no_grad():
        for _ in range(batches):
            x = sample_features(dist, batch_size, generator)
            output, _ = forward(spec.model, params, x)
            total += loss_per_instance(output, target_of(spec.model, x), dist.importance).double()
    return (total / batches).cpu()


def train(
    spec: ExperimentSpec, plan: pd.DataFrame, distribution: FeatureDistribution, progress: bool = True
) -> TrainResult:
    """Train all instances of ``spec``; returns weights, per-instance table and loss curve.

    ``plan`` (one row per instance: seed, dropout, L1 penalty, ...) and ``distribution`` are
    the data stage's outputs, the only source of per-instance settings.
    """
    training = spec.training
    device = resolve_device(training.device)
    heap_kept = device.type == "cpu" and keep_freed_memory()
    dist = distribution.to(device)
    params = {name: value.to(device) for name, value in init_parameters(spec, plan["seed"].tolist()).items()}
    state = AdamWState.zeros_like(params)
    dropout = per_instance(plan, "dropout", device) if spec.model == "relu_output_dropout" else None
    l1 = per_instance(plan, "l1_penalty", device)
    l1 = l1 if bool((l1 > 0).any()) else None
    adversarial = per_instance(plan, "adversarial_fraction", device)
    adversarial = adversarial if bool((adversarial > 0).any()) else None

    def step_fn(lr: float) -> Tensor:
        loss, grads = sample_loss_and_grads(spec.model, params, dist, training.batch_size, dropout, l1,
                                            adversarial_fraction=adversarial)
        if training.optimizer == "sgd":
            sgd_update(params, grads, lr, training.weight_decay)
        else:
            adamw_update(params, grads, state, lr, training.weight_decay)
        return loss

    if should_compile(training, device):
        step_fn = compiled_step(spec, params, state, dist, dropout, l1, adversarial_fraction=adversarial)

    torch.manual_seed(derive_seed(spec.seed, "data"))
    snapshots: dict[int, dict[str, Tensor]] = {}
    snapshot_steps = set(training.snapshot_steps)
    if 0 in snapshot_steps:
        snapshots[0] = {k: v.detach().cpu().clone() for k, v in params.items()}

    log_steps, log_losses = [], []
    window = torch.zeros(len(plan), device=device)
    started = time.perf_counter()
    bar = tqdm(total=training.steps, desc=spec.name, unit="step", disable=not progress, mininterval=2.0)
    for step in range(1, training.steps + 1):
        window += step_fn(learning_rate_at(step - 1, training))
        if step % training.log_every == 0 or step == training.steps:
            since = training.log_every if step % training.log_every == 0 else step % training.log_every
            mean_loss = (window / since).cpu()  # one device sync per logged window
            window.zero_()
            if heap_kept:
                release_free_pages()
            bad = ~torch.isfinite(mean_loss)
            if bool(bad.any()):
                instances = bad.nonzero().flatten().tolist()
                raise TrainingDiverged(
                    f"experiment {spec.name}: loss is NaN or inf at step {step} for instance(s) {instances[:10]}"
                    f" (learning_rate={training.learning_rate}); lower the learning rate or check the config"
                )
            log_steps.append(step)
            log_losses.append(mean_loss.numpy())
            bar.update(step - bar.n)
            bar.set_postfix(loss=f"{float(mean_loss.mean()):.4g}")
        if step in snapshot_steps:
            snapshots[step] = {k: v.detach().cpu().clone() for k, v in params.items()}
    bar.close()
    seconds = time.perf_counter() - started

    final_loss = evaluate_loss(spec, params, dist, training.eval_batches, training.batch_size)
    instances = instance_table(spec, plan, final_loss.numpy())
    curve = pd.DataFrame(
        {
            "step": np.repeat(np.asarray(log_steps, dtype=np.int64), len(plan)),
            "instance": np.tile(np.arange(len(plan), dtype=np.int64), len(log_steps)),
            "loss": np.concatenate(log_losses).astype(np.float64),
        }
    )
    cpu_params = {k: v.detach().cpu().contiguous() for k, v in params.items()}
    return TrainResult(cpu_params, instances, curve, snapshots, seconds, str(device))


def instance_table(spec: ExperimentSpec, plan: pd.DataFrame, final_loss: np.ndarray) -> pd.DataFrame:
    """The plan's rows (settings, seed) with the model, its size, the final loss and whether the
    instance is its setting's best restart."""
    table = plan.copy()
    table["model"] = spec.model
    table["features"] = spec.features
    table["hidden"] = spec.hidden
    table["final_loss"] = final_loss.astype(np.float64)
    best = table.groupby("setting")["final_loss"].idxmin()
    table["selected"] = False
    table.loc[best.values, "selected"] = True
    return table
