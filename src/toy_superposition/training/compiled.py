"""The whole training step — sampling, forward, hand-written backward, AdamW — as one compiled graph.

``torch.compile`` (Inductor) turns :func:`fused_step` into a handful of fused C++ (CPU) or
Triton (CUDA) kernels around the batched matmuls, which stay MKL / cuBLAS calls:

* the counter-based generator (``step.counter_uniform``) and ``x = [u < p] · u / p``
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

import types
from collections.abc import Callable

import torch
from torch import Tensor

from ..config import ExperimentSpec
from ..distributions import FeatureDistribution
from .step import AdamWState, adamw_scalars, adamw_update_param, sample_loss_and_grads

KEY_HIGH = 1 << 62  # keys are uniform on [0, 2**62)


CACHE_BYTES = 12 * 2**20  # a group's activations should stay in the (last-level) cache
# Below this many bytes of activations per instance, all instances form one group: every group
# is another set of kernels to compile, and tiny models gain little from it (3,500 models of
# n=5, m=2: 24 groups compiled in 185 s, one in 18 s, at about the same step time).
SMALL_INSTANCE_BYTES = 256 * 2**10


def instance_groups(n_instances: int, features: int, hidden: int, batch_size: int) -> list[slice]:
    """Consecutive groups of instances whose step activations fit in ``CACHE_BYTES``.

    Per instance a step writes and re-reads x, z and g (n × B floats each) and three m × B
    hidden arrays. Processing one group at a time keeps them in cache between the kernels
    instead of streaming 16 MB arrays through main memory (n=400, 10 instances, B=1024);
    docs/benchmark.md has the measurements. Instances smaller than ``SMALL_INSTANCE_BYTES``
    form one group.
    """
    per_instance = 4 * batch_size * 3 * (features + hidden)
    if per_instance < SMALL_INSTANCE_BYTES:
        return [slice(0, n_instances)]
    size = max(1, min(n_instances, CACHE_BYTES // per_instance))
    return [slice(first, min(first + size, n_instances)) for first in range(0, n_instances, size)]


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
    adversarial_fraction: Tensor | None = None,
) -> Tensor:
    """One AdamW step on a fresh batch; updates ``params`` and the moments in place.

    Instances are independent, so the forward and backward passes run one cache-sized group
    of instances at a time (:func:`instance_groups`); the counter-based generator gives each
    instance the same numbers whatever the grouping. ``adamw_scalars`` is ``(lr,
    lr / (1 − β₁ᵗ), √(1 − β₂ᵗ))`` for this step as 0-d float64 tensors that the caller fills
    (``step.adamw_scalars``); the graph only reads them.

    Runs eagerly too (slowly: the counter-based generator is many small integer ops), which
    is how the tests compare it with its compiled form. Returns the per-instance loss (I,).
    """
    n_instances, features = probability.shape
    hidden = params["W1" if model == "absolute_value" else "W"].shape[2]
    losses, group_grads = [], []
    for group in instance_groups(n_instances, features, hidden, batch_size):
        dist = FeatureDistribution(probability[group], importance[group], kind, set_size, signed)  # type: ignore[arg-type]
        loss, grads = sample_loss_and_grads(
            model, {name: value[group] for name, value in params.items()}, dist, batch_size,
            None if dropout is None else dropout[group],
            None if l1_penalty is None else l1_penalty[group],
            key, group.start,
            None if adversarial_fraction is None else adversarial_fraction[group],
        )  # fmt: skip
        losses.append(loss)
        group_grads.append(grads)
    lr, step_size, bias_correction2_sqrt = adamw_scalars
    for name, param in params.items():
        grad = _concat_instances([grads[name] for grads in group_grads])
        adamw_update_param(
            param, grad, exp_avg[name], exp_avg_sq[name], lr, step_size, bias_correction2_sqrt, weight_decay
        )
    return _concat_instances(losses)


def _concat_instances(parts: list[Tensor]) -> Tensor:
    """Concatenate along the instance axis; a transposed (I, n, m) gradient stays transposed in memory."""
    if len(parts) == 1:
        return parts[0]
    if parts[0].dim() == 3 and parts[0].stride(1) == 1:
        return torch.cat([part.transpose(1, 2) for part in parts]).transpose(1, 2)
    return torch.cat(parts)


def make_fused_step(spec: ExperimentSpec, dist: FeatureDistribution) -> Callable[..., Tensor]:
    """:func:`fused_step` with the experiment's constants bound (what gets compiled)."""
    model, training = spec.model, spec.training
    kind, set_size, signed = dist.kind, dist.set_size, dist.signed

    def step_graph(params, exp_avg, exp_avg_sq, scalars, key, probability, importance, dropout, l1_penalty,
                   adversarial_fraction):
        return fused_step(
            model, training.batch_size, training.weight_decay, kind, set_size, signed,
            params, exp_avg, exp_avg_sq, scalars, key, probability, importance, dropout, l1_penalty,
            adversarial_fraction,
        )  # fmt: skip

    # A code object of its own: Dynamo caches compiled graphs per code object and, after
    # `recompile_limit` (8) variants, silently runs the rest eagerly — so a process that trains
    # many experiments would fall back to the (slow, eager) counter-based generator.
    return types.FunctionType(step_graph.__code__.replace(), step_graph.__globals__, closure=step_graph.__closure__)


def compiled_step(
    spec: ExperimentSpec,
    params: dict[str, Tensor],
    state: AdamWState,
    dist: FeatureDistribution,
    dropout: Tensor | None,
    l1: Tensor | None,
    compile: bool = True,
    adversarial_fraction: Tensor | None = None,
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
            dist.probability, dist.importance, dropout, l1, adversarial_fraction,
        )  # fmt: skip

    return step_fn
