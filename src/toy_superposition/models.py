"""The toy models, each batched over independent instances.

Shapes: ``I`` instances, ``B`` batch, ``n`` features, ``m`` hidden dimensions.
Parameters are stored exactly as they are saved (see the README's artifact contract):

======================  =======================================  ==========================
model                   forward                                  parameters
======================  =======================================  ==========================
linear                  x' = WᵀW x + b                           W (I, n, m), b (I, n)
relu_output             x' = ReLU(WᵀW x + b)                     W, b
relu_output_bias_free   x' = ReLU(WᵀW x)                         W, b (held at 0)
gelu_output             x' = GELU(WᵀW x + b)                     W, b
silu_output             x' = SiLU(WᵀW x + b)                     W, b
tanh_output             x' = tanh(WᵀW x + b)                     W, b
relu_output_dropout     h = dropout_p(W x); x' = ReLU(Wᵀh + b)   W, b
relu_hidden             h = ReLU(W x); x' = ReLU(Wᵀh + b)        W, b
relu_hidden_bias        h = ReLU(W x + c); x' = ReLU(Wᵀh + b)    W, b, b_hidden = c (I, m)
absolute_value          h = ReLU(W₁ x); y = ReLU(W₂ h + b)       W1 (I, n, m), W2 (I, m, n), b
======================  =======================================  ==========================

Output activations (:data:`OUTPUT_ACTIVATIONS`): GELU is the exact ``z Φ(z)`` (erf form,
``torch.nn.functional.gelu``), SiLU (Swish) is ``z σ(z)``, and tanh is the bounded one
(odd, saturating at ±1; unlike ReLU it does not filter negative interference). The
bias-free model keeps a ``b`` tensor of zeros so that every model saves the same tensors;
training never changes it (its gradient is zero). ``relu_hidden_bias`` is the ReLU hidden
layer model with a hidden-layer bias ``c`` (the paper's "given a hidden layer bias"),
saved as ``b_hidden``, initialised to 0.

Here ``W x`` means ``Σ_i W[i, :] x_i``: row ``W_i`` of the stored (n, m) matrix is the
embedding of feature i (the paper's column ``W_i``). The absolute-value model is trained
on signed inputs with target ``|x|``; all others reconstruct ``x``.

Dropout is active during training only, as inverted dropout (kept hidden units are
scaled by ``1 / (1 - p)``, like ``torch.nn.functional.dropout``), so the trained model's
expected hidden vector equals the deterministic one used at evaluation; every metric,
final loss and figure therefore describes the deterministic model ``W``.

Loss (importance-weighted squared error, mean over batch and features, summed over
instances): ``L = Σ_k (1 / (B n)) Σ_{b,i} I_{k,i} (x'_{k,b,i} − y_{k,b,i})²``.

Adversarial training (:func:`adversarial_input`, the paper's "analytic optimal attack against
a random feature"): each input ``x_b`` is replaced by ``x_b + δ_b`` with
``δ_b = λ G_{k_b} / ‖G_{k_b}‖``, ``G = W Wᵀ`` (the paper's WᵀW; row ``G_k`` is output k's
input weights), ``k_b`` a feature drawn uniformly for each input and
``λ = fraction · mean_b ‖x_b‖₂`` (the budget as a fraction of the batch's mean input norm, as in
``analysis.adversarial.attack_budget``). The target stays the clean ``x``. The attack is a
constant for the gradient (Danskin's theorem; the usual adversarial-training recipe): the
perturbation is computed from detached weights. The sign is ``+``: for the ReLU output model
the ``−`` attack on an inactive feature is cut off by the ReLU, so ``+`` is the harmful one
on sparse inputs (a choice; the paper does not say).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor

from .config import ExperimentSpec

#: The output nonlinearity of every model kind ("identity": none).
OUTPUT_ACTIVATIONS = {
    "linear": "identity",
    "relu_output": "relu",
    "relu_output_bias_free": "relu",
    "gelu_output": "gelu",
    "silu_output": "silu",
    "tanh_output": "tanh",
    "relu_output_dropout": "relu",
    "relu_hidden": "relu",
    "relu_hidden_bias": "relu",
    "absolute_value": "relu",
}
#: Models with a ReLU on the hidden layer.
HIDDEN_RELU = ("relu_hidden", "relu_hidden_bias", "absolute_value")
#: Models whose output bias is held at 0.
BIAS_FREE = ("relu_output_bias_free",)


def activate(activation: str, z: Tensor) -> Tensor:
    """The output nonlinearity ``activation`` (a value of :data:`OUTPUT_ACTIVATIONS`) applied to z."""
    if activation == "relu":
        return torch.relu(z)
    if activation == "identity":
        return z
    if activation == "gelu":
        return torch.nn.functional.gelu(z)
    if activation == "silu":
        return torch.nn.functional.silu(z)
    if activation == "tanh":
        return torch.tanh(z)
    raise ValueError(f"unknown output activation {activation!r}")


def parameter_shapes(model: str, n_instances: int, features: int, hidden: int) -> dict[str, tuple[int, ...]]:
    if model == "absolute_value":
        return {
            "W1": (n_instances, features, hidden),
            "W2": (n_instances, hidden, features),
            "b": (n_instances, features),
        }
    shapes = {"W": (n_instances, features, hidden), "b": (n_instances, features)}
    if model == "relu_hidden_bias":
        shapes["b_hidden"] = (n_instances, hidden)
    return shapes


def xavier_normal_std(features: int, hidden: int) -> float:
    """Xavier-normal scale of one instance's (n, m) matrix: sqrt(2 / (n + m)) (``init: per_instance``)."""
    return math.sqrt(2.0 / (features + hidden))


def reference_std(shape: tuple[int, ...]) -> float:
    """``xavier_normal_``'s scale for the joint (I, a, b) tensor of all instances (``init: reference``).

    The reference notebook initialises the batched (instances, n, m) weight with
    ``torch.nn.init.xavier_normal_``. torch's fans of a 3-D tensor are ``fan_in = a·b`` and
    ``fan_out = I·b`` (dimension 1 and dimension 0, each times the "receptive field" b), so
    std = sqrt(2 / (a·b + I·b)): sqrt(2 / (n·m + I·m)) for W (I, n, m), 0.0125 for n=400, m=30,
    I=30 against the per-instance 0.068. For W2 (I, m, n) of the absolute-value model the same
    rule gives sqrt(2 / (m·n + I·n)).
    """
    instances, rows, receptive = shape[0], shape[1], math.prod(shape[2:])
    return math.sqrt(2.0 / (rows * receptive + instances * receptive))


def init_std(spec: ExperimentSpec, shape: tuple[int, ...]) -> float:
    """Standard deviation of the initial weight of (joint) shape (I, ...), from ``training.init``."""
    setting = spec.training.init
    if setting == "per_instance":
        return xavier_normal_std(spec.features, spec.hidden)
    if setting == "reference":
        return reference_std(shape)
    return float(setting)


def init_stds(spec: ExperimentSpec, n_instances: int | None = None) -> dict[str, float]:
    """The initial std of each weight of ``spec`` (``W``, or ``W1`` and ``W2``) with ``n_instances``
    instances (default: the experiment's own count, as training uses)."""
    count = spec.n_instances if n_instances is None else n_instances
    shapes = parameter_shapes(spec.model, count, spec.features, spec.hidden)
    return {name: init_std(spec, shape) for name, shape in shapes.items() if name != "b"}


def init_parameters(spec: ExperimentSpec, seeds: Sequence[int]) -> dict[str, Tensor]:
    """Normal weights of the scale ``training.init`` sets (:func:`init_std`) and zero bias, float32
    on the CPU, seeded per instance.

    Instance ``k`` draws from its own generator seeded with ``seeds[k]`` (the data stage's
    plan), so its initial weights are the same standard-normal draw under every ``init``,
    scaled, and never depend on the other instances, the device or the batching (with
    ``reference`` the other instances set only the scale, through I).
    """
    shapes = parameter_shapes(spec.model, len(seeds), spec.features, spec.hidden)
    params = {name: torch.zeros(shape) for name, shape in shapes.items()}
    stds = init_stds(spec, len(seeds))
    for instance, seed in enumerate(seeds):
        generator = torch.Generator().manual_seed(int(seed))
        for name in stds:
            params[name][instance] = torch.randn(shapes[name][1:], generator=generator) * stds[name]
    return params


def target_of(model: str, x: Tensor) -> Tensor:
    """What the model should output for input x: |x| for the absolute-value model, else x."""
    return x.abs() if model == "absolute_value" else x


def forward(
    model: str,
    params: dict[str, Tensor],
    x: Tensor,
    dropout: Tensor | None = None,
    generator: torch.Generator | None = None,
) -> tuple[Tensor, Tensor]:
    """Reference forward pass (autograd-friendly). Returns (output (I, B, n), hidden (I, B, m)).

    ``dropout`` is a per-instance rate (I,); pass it only when training (see module doc).
    """
    if model == "absolute_value":
        hidden = torch.relu(torch.einsum("ibn,inm->ibm", x, params["W1"]))
        out = torch.einsum("ibm,imn->ibn", hidden, params["W2"]) + params["b"][:, None, :]
        return torch.relu(out), hidden
    W, b = params["W"], params["b"]
    hidden = torch.einsum("ibn,inm->ibm", x, W)
    if "b_hidden" in params:
        hidden = hidden + params["b_hidden"][:, None, :]
    if model in HIDDEN_RELU:
        hidden = torch.relu(hidden)
    used = hidden
    if model == "relu_output_dropout" and dropout is not None:
        keep = 1.0 - dropout[:, None, None]
        mask = torch.rand(hidden.shape, generator=generator, device=x.device, dtype=x.dtype) < keep
        used = hidden * mask / keep
    out = torch.einsum("ibm,inm->ibn", used, W) + b[:, None, :]
    return activate(OUTPUT_ACTIVATIONS[model], out), hidden


def attack_budget(x: Tensor, fraction: Tensor) -> Tensor:
    """``λ = fraction · mean_b ‖x_b‖₂`` per instance: x (I, B, n), fraction (I,) → (I,)."""
    return fraction * x.norm(dim=-1).mean(dim=-1)


def adversarial_input(W: Tensor, x: Tensor, fraction: Tensor, feature: Tensor) -> Tensor:
    """``x + δ`` with ``δ_b = λ G_{k_b} / ‖G_{k_b}‖`` (module docstring), detached from W.

    W (I, n, m), x (I, B, n), fraction (I,), feature (I, B) integer: the attacked feature
    ``k_b`` of every input. An unlearned feature (``G_k = 0``) gets no perturbation.
    Returns (I, B, n).
    """
    with torch.no_grad():
        gram = W @ W.transpose(-1, -2)  # (I, n, n), symmetric
        rows = gram.gather(1, feature[:, :, None].expand(-1, -1, gram.shape[2]))  # (I, B, n): G_{k_b}
        norms = rows.norm(dim=-1, keepdim=True)
        scale = attack_budget(x, fraction)[:, None, None] / norms.clamp_min(torch.finfo(W.dtype).tiny)
        delta = torch.where(norms > 0, rows * scale, torch.zeros_like(rows))
    return x + delta


def loss_per_instance(output: Tensor, target: Tensor, importance: Tensor) -> Tensor:
    """(1 / (B n)) Σ_{b,i} I_i (x'_i − y_i)² for every instance: shape (I,)."""
    return (importance[:, None, :] * (output - target) ** 2).mean(dim=(1, 2))
