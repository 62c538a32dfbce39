"""The whole training step — sampling, forward, hand-written backward, AdamW — as one compiled graph.

``torch.compile`` (Inductor) turns :func:`fused_step` into a handful of fused C++ (CPU) or
Triton (CUDA) kernels around the batched matmuls, which stay MKL / cuBLAS calls:

* the counter-based generator (``train_step.counter_uniform``) and ``x = [u < p] · u / p``
  become one vectorised kernel (~1 ms for 4M inputs on two cores, ``torch.rand`` ~15 ms);
* ``+ b``, the ReLU, the weighted error, the loss and ``g = ∂L/∂z`` fuse into one pass;
* AdamW for every parameter fuses into one pass over the (small) parameters.

Per-step values (learning rate, AdamW's bias corrections, random key) enter as 0-d tensors,
so the graph is compiled once per experiment. Every step draws its 62-bit key from torch's global generator
(``torch.randint``), so a run is as deterministic as the eager one (``torch.manual_seed``),
though the two paths draw different random streams from the same distribution.

See docs/benchmark.md for what each piece buys and the compile time.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import Tensor

from .config import ExperimentSpec
from .distributions import FeatureDistribution
from .train_step import AdamWState, adamw_scalars, adamw_update_param, sample_loss_and_grads

KEY_HIGH = 1 << 62  # keys are uniform on [0, 2**62)


def fused_step(
    model: str,
    batch_size: int,
    weight_decay: float,
    kind: str,
    set_size: int,
    signed: bool,
    params: dict[str, Tensor],
    exp_avg: dict[str, Tensor],
    exp_avg_sq: dict[str, Tensor],
    adamw_scalars: tuple[Tensor, Tensor, Tensor],
    key: Tensor,
    probability: Tensor,
    importance: Tensor,
    dropout: Tensor | None,
    l1_penalty: Tensor | None,
) -> Tensor:
    """One AdamW step on a fresh batch; updates ``params`` and the moments in place.

    ``adamw_scalars`` is ``(lr, lr / (1 − β₁ᵗ), √(1 − β₂ᵗ))`` for this step as 0-d float64
    tensors that the caller fills (``train_step.adamw_scalars``); the graph only reads them.

    Runs eagerly too (slowly: the counter-based generator is many small integer ops), which
    is how the tests compare it with its compiled form. Returns the per-instance loss (I,).
    """
    dist = FeatureDistribution(probability, importance, kind, set_size, signed)  # type: ignore[arg-type]
    loss, grads = sample_loss_and_grads(model, params, dist, batch_size, dropout, l1_penalty, key)
    lr, step_size, bias_correction2_sqrt = adamw_scalars
    for name, param in params.items():
        adamw_update_param(
            param, grads[name], exp_avg[name], exp_avg_sq[name], lr, step_size, bias_correction2_sqrt, weight_decay
        )
    return loss


def make_fused_step(spec: ExperimentSpec, dist: FeatureDistribution) -> Callable[..., Tensor]:
    """:func:`fused_step` with the experiment's constants bound (what gets compiled)."""
    model, training = spec.model, spec.training
    kind, set_size, signed = dist.kind, dist.set_size, dist.signed

    def step_graph(params, exp_avg, exp_avg_sq, scalars, key, probability, importance, dropout, l1_penalty):
        return fused_step(
            model, training.batch_size, training.weight_decay, kind, set_size, signed,
            params, exp_avg, exp_avg_sq, scalars, key, probability, importance, dropout, l1_penalty,
        )  # fmt: skip

    return step_graph


def compiled_step(
    spec: ExperimentSpec,
    params: dict[str, Tensor],
    state: AdamWState,
    dist: FeatureDistribution,
    dropout: Tensor | None,
    l1: Tensor | None,
    compile: bool = True,
) -> Callable[[float], Tensor]:
    """``step_fn(lr) -> per-instance loss (I,)``: one compiled training step, updating ``params`` and ``state``.

    Compilation happens on the first call (a few seconds). ``compile=False`` runs the same
    graph eagerly (tests).
    """
    device = params["b"].device
    scalars = tuple(torch.zeros((), dtype=torch.float64, device=device) for _ in range(3))
    graph = make_fused_step(spec, dist)
    if compile:
        graph = torch.compile(graph, fullgraph=True, dynamic=False)

    def step_fn(lr: float) -> Tensor:
        state.step += 1
        for tensor, value in zip(scalars, (lr, *adamw_scalars(state.step, lr))):
            tensor.fill_(value)
        key = torch.randint(KEY_HIGH, (), dtype=torch.int64, device=device)  # torch's global generator
        return graph(
            params, state.exp_avg, state.exp_avg_sq, scalars, key,
            dist.probability, dist.importance, dropout, l1,
        )  # fmt: skip

    return step_fn
