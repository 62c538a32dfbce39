"""One training step for every instance at once: sample, forward, hand-written backward, AdamW.

The models are two matmuls and a few elementwise ops, so their gradients are written out
by hand instead of recorded by autograd (autograd's bookkeeping costs more than the maths
at these sizes).

Layout. Inside a step every activation is stored *feature-major*: the batch is the last
(contiguous) axis, ``x`` is (I, n, B) and the hidden vector (I, m, B). With B = 1024 ≫ n, m
the batched matmuls then run 1.5–3× faster on CPU (MKL) than in the batch-major (I, B, n)
layout of ``models.forward``; see docs/benchmark.md. Parameters keep their saved layout.

Maths, per instance (``W_enc`` (n, m) is W or W1; the decoder ``D`` (n, m) is W for the
tied models and W2ᵀ for the absolute-value model; ``s = mask / (1 − p)`` is the dropout
scale, ``s = 1`` without dropout; ``x̃ = x + δ`` is the adversarially attacked input,
``x̃ = x`` without adversarial training; ``c`` the hidden bias of relu_hidden_bias, else 0)::

    a = W_encᵀ x̃ + c           (m, B)    pre-activation of the hidden layer
    h = ReLU(a) or a                     ReLU for relu_hidden(_bias) and absolute_value
    u = h ⊙ s                            what the decoder sees
    z = D u + b                (n, B)    pre-activation of the output
    x' = f(z)                            f = ReLU, identity (linear), GELU, SiLU or tanh
    e = x' − y                           y = x (the clean input), or |x| for absolute_value
    L = (1 / (B n)) Σ I ⊙ e²  +  λ (1 / B) Σ |h|           (L1 term only when λ > 0)

and the gradients of ``L`` (summed over instances, so each instance gets its own)::

    g   = ∂L/∂z = 2 I ⊙ e ⊙ f'(z) / (B n)        (f' = [z > 0] for ReLU, 1 for the linear model)
    ∂b  = Σ_B g                                   (0 for relu_output_bias_free: b stays 0)
    ∂D  = g uᵀ                 (n, m)
    ∂u  = Dᵀ g                 (m, B)
    ∂h  = ∂u ⊙ s + λ sign(h) / B
    ∂a  = ∂h ⊙ [a > 0] or ∂h
    ∂c  = Σ_B ∂a
    ∂W_enc = x̃ ∂aᵀ             (n, m)
    tied models (W_enc = D = W):  ∂W = g uᵀ + x̃ ∂aᵀ

``f'`` for GELU, SiLU and tanh is computed by ``torch.ops.aten.gelu_backward`` /
``silu_backward`` / ``tanh_backward``, the kernels autograd itself runs for these functions.
The adversarial perturbation ``δ_b = λ G_{k_b}/‖G_{k_b}‖`` (``G = W Wᵀ``, a random feature
``k_b`` per input, ``λ = fraction · mean_b ‖x_b‖``; ``models.adversarial_input``) is a
constant for the gradient (Danskin's theorem, as adversarial training usually treats its
attack), so the only change to the backward pass is ``x̃`` in the encoder's gradient.

The two (n, m) products are computed transposed, as (m, B) @ (B, n), which suits MKL.

AdamW follows ``torch.optim.AdamW`` exactly (decoupled weight decay, bias-corrected moments);
:func:`sgd_update`, the control optimiser, follows ``torch.optim.SGD`` (no momentum).
``tests/training/test_step.py`` checks the gradients against autograd and the updates against
torch's optimizers.

Random numbers come from torch's global generator (``torch.rand``), or — in the compiled
step, where ``torch.rand`` would be the largest cost — from a counter-based generator
(:func:`counter_uniform`) whose per-step key is drawn from torch's global generator.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from ..distributions import FeatureDistribution, sample_features
from ..models import BIAS_FREE, HIDDEN_RELU, OUTPUT_ACTIVATIONS, activate

# pcg3d (Jarzynski & Olano, "Hash Functions for GPU Rendering", JCGT 9(3), 2020): three
# 32-bit words mixed by an LCG step and cross products, a Pareto-optimal hash of their study.
# Only 32-bit multiplies, so it vectorises on AVX2 as well as on AVX-512 (SplitMix64's 64-bit
# multiplies, used before, vectorise only on AVX-512; docs/benchmark.md).
_LCG_MULTIPLIER = 1664525
_LCG_INCREMENT = 1013904223
_COUNTER_LIMIT = 1 << 32  # a step's counters of one stream: 0 .. 2**32 - 1
_STREAM_SHIFT = 30  # the stream enters the key's high word above the 30 key bits it carries


def _wrap_int32(value: Tensor) -> Tensor:
    """An int64 tensor's low 32 bits as int32 (two's complement; torch has no uint32 arithmetic)."""
    return (((value + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)).to(torch.int32)


def _shift_right_logical(z: Tensor, bits: int) -> Tensor:
    """``z >>> bits`` on int32 (torch's ``>>`` sign-extends)."""
    return (z >> bits) & ((1 << (32 - bits)) - 1)


def pcg3d(x: Tensor, y: Tensor, z: Tensor) -> Tensor:
    """The third output word of pcg3d(x, y, z) on int32 tensors that broadcast (uint32 arithmetic, wrapping).

    ``v ← v · 1664525 + 1013904223``; ``x += y z; y += z x; z += x y``; ``v ^= v >>> 16``;
    ``x += y z; y += z x; z += x y``; returns ``z``, the word that every input reaches last.
    """
    x = x * _LCG_MULTIPLIER + _LCG_INCREMENT
    y = y * _LCG_MULTIPLIER + _LCG_INCREMENT
    z = z * _LCG_MULTIPLIER + _LCG_INCREMENT
    x = x + y * z
    y = y + z * x
    z = z + x * y
    x = x ^ _shift_right_logical(x, 16)
    y = y ^ _shift_right_logical(y, 16)
    z = z ^ _shift_right_logical(z, 16)
    x = x + y * z
    y = y + z * x
    return z + x * y


def counter_uniform(key: Tensor, shape: tuple[int, ...], stream: int = 0, offset: int = 0) -> Tensor:
    """Uniform float32 on [0, 1) from a counter-based generator: ``u_c = pcg3d(c, k₀, k₁ ⊕ stream·2³⁰) / 2³²``.

    ``c`` is ``offset`` plus the element's flat index (so a group of instances can draw exactly
    the numbers the whole batch would give it), ``key`` a 0-d int64 tensor on [0, 2⁶²) drawn
    once per step from torch's global generator, split into its low word ``k₀`` and its high
    word ``k₁``; the stream (0: inputs, 1: dropout mask, 2: attacked features) enters ``k₁``
    above the key's bits, so the streams of one step use different keys. The top 24 bits of
    the hash give the float, as ``torch.rand`` does for float32.

    It is pure elementwise 32-bit integer arithmetic (wrapping multiplies, shifts, xors), so
    ``torch.compile`` fuses it into the kernel that consumes it, on AVX2 as on AVX-512 (docs/
    benchmark.md). Eagerly it is slow; the eager step uses ``torch.rand``.
    """
    numel = 1
    for size in shape:
        numel *= size
    if offset + numel > _COUNTER_LIMIT or numel >= 1 << 31:  # the counters are an int32 arange
        raise ValueError(
            f"a step draws {numel} numbers (from counter {offset}) of one stream; the counter-based generator has"
            " 2**32 counters per stream and 2**31 - 1 per call"
        )
    wrapped_offset = (offset + (1 << 31)) % _COUNTER_LIMIT - (1 << 31)  # offset's bits as an int32
    counter = (torch.arange(numel, dtype=torch.int32, device=key.device) + wrapped_offset).view(shape)
    low = _wrap_int32(key)
    high = _wrap_int32((key >> 32) ^ (stream << _STREAM_SHIFT))
    word = pcg3d(counter, low, high)  # the key words are 0-d: pcg3d broadcasts them
    return _shift_right_logical(word, 8).to(torch.float32) * 2.0**-24


def uniform(
    shape: tuple[int, int, int], like: Tensor, key: Tensor | None = None, stream: int = 0, first_instance: int = 0
) -> Tensor:
    """U[0, 1) of shape (I, r, B) on ``like``'s device.

    ``torch.rand`` (global generator) without a key; with one, :func:`counter_uniform`, giving
    these instances the numbers of instances ``first_instance, first_instance + 1, …`` of the
    whole batch.
    """
    if key is None:
        return torch.rand(shape, device=like.device, dtype=like.dtype)
    offset = first_instance * shape[1] * shape[2]
    return counter_uniform(key, shape, stream, offset).to(like.dtype)


def sample_batch(
    dist: FeatureDistribution, batch_size: int, key: Tensor | None = None, first_instance: int = 0
) -> Tensor:
    """A batch of inputs in the step's feature-major layout, (I, n, B).

    Independent features use the one-uniform recipe of ``distributions``: ``x = [u < p] · u / p``
    (``2 u / p − 1`` when signed). Correlated kinds are drawn by ``distributions.sample_features``
    (torch's generator) and transposed. ``key``, ``first_instance``: see :func:`uniform`.
    """
    if dist.kind != "independent":
        return sample_features(dist, batch_size).transpose(1, 2).contiguous()
    n_instances, n_features = dist.probability.shape
    u = uniform((n_instances, n_features, batch_size), dist.probability, key, 0, first_instance)
    p = dist.probability[:, :, None]  # (I, n, 1)
    scaled = u / p  # uniform on [0, 1) given u < p
    if dist.signed:
        scaled = 2.0 * scaled - 1.0
    return torch.where(u < p, scaled, 0.0)


def sample_dropout_scale(
    dropout: Tensor, hidden_shape: tuple[int, int, int], key: Tensor | None = None, first_instance: int = 0
) -> Tensor:
    """Inverted-dropout scale ``s = [u < 1 − p] / (1 − p)`` of shape (I, m, B), one rate per instance."""
    keep = (1.0 - dropout)[:, None, None]  # (I, 1, 1)
    u = uniform(hidden_shape, dropout, key, 1, first_instance)
    return torch.where(u < keep, 1.0 / keep, 0.0)


def attack_perturbation(W: Tensor, x: Tensor, fraction: Tensor, feature: Tensor) -> Tensor:
    """δ (I, n, B) of adversarial training, feature-major: ``δ_b = λ G_{k_b} / ‖G_{k_b}‖``.

    W (I, n, m), x (I, n, B) clean inputs, fraction (I,), feature (I, B) integer (``k_b``);
    ``λ = fraction · mean_b ‖x_b‖``. ``G`` is symmetric, so column ``k_b`` of G is row
    ``G_{k_b}``. The same numbers as ``models.adversarial_input`` (the reference), laid out
    for the step; a constant for the gradient (Danskin).
    """
    n_features = x.shape[1]
    gram = torch.bmm(W, W.transpose(1, 2))  # (I, n, n)
    columns = gram.gather(2, feature[:, None, :].expand(-1, n_features, -1))  # (I, n, B)
    norms = columns.norm(dim=1)  # (I, B): ‖G_{k_b}‖
    budget = fraction * x.norm(dim=1).mean(dim=1)  # (I,)
    scale = torch.where(norms > 0, budget[:, None] / norms.clamp_min(torch.finfo(W.dtype).tiny), 0.0)
    return columns * scale[:, None, :]


def _output_backward(activation: str, grad_out: Tensor, pre_out: Tensor, out: Tensor) -> Tensor:
    """∂L/∂z from ∂L/∂x' through ``x' = f(z)`` (autograd's own kernels for GELU, SiLU, tanh)."""
    if activation == "relu":
        return torch.where(pre_out > 0, grad_out, 0.0)
    if activation == "identity":
        return grad_out
    if activation == "gelu":
        return torch.ops.aten.gelu_backward(grad_out, pre_out)
    if activation == "silu":
        return torch.ops.aten.silu_backward(grad_out, pre_out)
    if activation == "tanh":
        return torch.ops.aten.tanh_backward(grad_out, out)
    raise ValueError(f"unknown output activation {activation!r}")


def forward_backward(
    model: str,
    params: dict[str, Tensor],
    x: Tensor,
    importance: Tensor,
    dropout_scale: Tensor | None = None,
    l1_penalty: Tensor | None = None,
    perturbation: Tensor | None = None,
) -> tuple[Tensor, dict[str, Tensor]]:
    """Per-instance loss (I,) and the gradients of their sum (module docstring), feature-major.

    x: (I, n, B) inputs; importance: (I, n); dropout_scale: (I, m, B) or None;
    l1_penalty: (I,) or None; perturbation: the adversarial δ (I, n, B) added to the input
    (not to the target) or None. The gradients have the shapes of ``params``.
    """
    n_instances, n_features, batch = x.shape
    if model == "absolute_value":
        W_enc = params["W1"]  # (I, n, m)
        decoder = params["W2"].transpose(1, 2).contiguous()  # (I, n, m); contiguous suits MKL
        target = x.abs()
    else:
        W_enc = decoder = params["W"]  # (I, n, m)
        target = x
    b = params["b"]  # (I, n)
    relu_hidden = model in HIDDEN_RELU
    activation = OUTPUT_ACTIVATIONS[model]
    x_in = x if perturbation is None else x + perturbation  # x̃

    pre_hidden = torch.bmm(W_enc.transpose(1, 2), x_in)  # a: (I, m, B)
    if "b_hidden" in params:
        pre_hidden = pre_hidden + params["b_hidden"][:, :, None]
    hidden = torch.relu(pre_hidden) if relu_hidden else pre_hidden
    used = hidden if dropout_scale is None else hidden * dropout_scale  # u: (I, m, B)
    pre_out = torch.bmm(decoder, used) + b[:, :, None]  # z: (I, n, B)
    out = activate(activation, pre_out)
    error = out - target
    weighted_error = importance[:, :, None] * error
    # Σ over the batch first: the same (I, n) × B reduction as ∂b, so a compiled step fuses them.
    loss = (weighted_error * error).sum(dim=2).sum(dim=1) / (batch * n_features)

    grad_pre_out = _output_backward(activation, weighted_error * (2.0 / (batch * n_features)), pre_out, out)  # g
    grad_b = torch.zeros_like(b) if model in BIAS_FREE else grad_pre_out.sum(dim=2)  # (I, n)
    grad_used = torch.bmm(decoder.transpose(1, 2), grad_pre_out)  # ∂u: (I, m, B)
    grad_hidden = grad_used if dropout_scale is None else grad_used * dropout_scale
    if l1_penalty is not None:
        loss = loss + l1_penalty * hidden.abs().sum(dim=1).mean(dim=1)
        grad_hidden = grad_hidden + (l1_penalty / batch)[:, None, None] * torch.sign(hidden)
    grad_pre_hidden = torch.where(pre_hidden > 0, grad_hidden, 0.0) if relu_hidden else grad_hidden

    grad_decoder_t = torch.bmm(used, grad_pre_out.transpose(1, 2))  # (g uᵀ)ᵀ: (I, m, n)
    grad_encoder_t = torch.bmm(grad_pre_hidden, x_in.transpose(1, 2))  # (x̃ ∂aᵀ)ᵀ: (I, m, n)
    if model == "absolute_value":
        return loss, {"W1": grad_encoder_t.transpose(1, 2), "W2": grad_decoder_t, "b": grad_b}
    grads = {"W": (grad_decoder_t + grad_encoder_t).transpose(1, 2), "b": grad_b}
    if "b_hidden" in params:
        grads["b_hidden"] = grad_pre_hidden.sum(dim=2)  # (I, m)
    return loss, grads


def loss_and_grads(
    model: str,
    params: dict[str, Tensor],
    x: Tensor,
    importance: Tensor,
    dropout: Tensor | None = None,
    l1_penalty: Tensor | None = None,
    generator: torch.Generator | None = None,
    adversarial_fraction: Tensor | None = None,
    attacked_feature: Tensor | None = None,
) -> tuple[Tensor, dict[str, Tensor]]:
    """Per-instance loss (I,) and the gradients of their sum, for a batch x (I, B, n).

    ``dropout`` (I,) applies training-time dropout to the hidden vector (relu_output_dropout),
    with the mask drawn from ``generator`` exactly as ``models.forward`` draws it;
    ``l1_penalty`` (I,) adds ``λ · mean_b Σ_j |h_j|`` to each instance's loss;
    ``adversarial_fraction`` (I,) with ``attacked_feature`` (I, B) attacks every input
    (``models.adversarial_input``).
    """
    n_instances, batch, _ = x.shape
    scale = None
    if dropout is not None and model == "relu_output_dropout":
        hidden_size = params["W"].shape[2]
        keep = (1.0 - dropout)[:, None, None]
        mask = torch.rand((n_instances, batch, hidden_size), generator=generator, device=x.device, dtype=x.dtype) < keep
        scale = (mask / keep).transpose(1, 2)  # (I, m, B)
    x = x.transpose(1, 2)
    perturbation = None
    if adversarial_fraction is not None:
        perturbation = attack_perturbation(params["W"], x, adversarial_fraction, attacked_feature)
    return forward_backward(model, params, x, importance, scale, l1_penalty, perturbation)


def sample_attacked_feature(
    n_instances: int, n_features: int, batch_size: int, like: Tensor, key: Tensor | None = None,
    first_instance: int = 0,
) -> Tensor:
    """The feature ``k_b`` each input's adversarial attack targets, uniform over the n features: (I, B) int64."""
    u = uniform((n_instances, 1, batch_size), like, key, 2, first_instance)[:, 0, :]
    return (u * n_features).long().clamp_(max=n_features - 1)


def sample_loss_and_grads(
    model: str,
    params: dict[str, Tensor],
    dist: FeatureDistribution,
    batch_size: int,
    dropout: Tensor | None,
    l1_penalty: Tensor | None,
    key: Tensor | None = None,
    first_instance: int = 0,
    adversarial_fraction: Tensor | None = None,
) -> tuple[Tensor, dict[str, Tensor]]:
    """Draw a fresh batch (and dropout mask, and attacked features) and return loss and gradients.

    Random numbers come from torch's global generator, or from :func:`counter_uniform` keyed
    by ``key`` (the compiled step, which passes groups of instances; see :func:`uniform`).
    """
    x = sample_batch(dist, batch_size, key, first_instance)  # (I, n, B)
    scale = None
    if dropout is not None and model == "relu_output_dropout":
        hidden_size = params["W"].shape[2]
        scale = sample_dropout_scale(dropout, (x.shape[0], hidden_size, batch_size), key, first_instance)
    perturbation = None
    if adversarial_fraction is not None:
        feature = sample_attacked_feature(x.shape[0], x.shape[1], batch_size, dist.probability, key, first_instance)
        perturbation = attack_perturbation(params["W"], x, adversarial_fraction, feature)
    return forward_backward(model, params, x, dist.importance, scale, l1_penalty, perturbation)


TRANSPOSED_GRADIENTS = ("W", "W1")  # forward_backward computes these (I, n, m) gradients as (I, m, n) products


def _zeros_in_gradient_layout(name: str, param: Tensor) -> Tensor:
    """Zeros shaped like ``param``, laid out in memory like its gradient (transposed for W, W1)."""
    if name in TRANSPOSED_GRADIENTS:
        return torch.zeros_like(param.transpose(1, 2), memory_format=torch.contiguous_format).transpose(1, 2)
    return torch.zeros_like(param, memory_format=torch.contiguous_format)


@dataclass
class AdamWState:
    """First and second moments of every parameter, and the step count.

    The moments have their parameter's shape but their gradient's memory layout, so the
    elementwise update reads all but the parameter contiguously (a compiled update that
    reads the gradient and both moments transposed takes 3–4× longer).
    """

    exp_avg: dict[str, Tensor]
    exp_avg_sq: dict[str, Tensor]
    step: int = 0

    @classmethod
    def zeros_like(cls, params: dict[str, Tensor]) -> AdamWState:
        return cls(
            {k: _zeros_in_gradient_layout(k, v) for k, v in params.items()},
            {k: _zeros_in_gradient_layout(k, v) for k, v in params.items()},
        )


def adamw_scalars(step: int, lr: float, betas: tuple[float, float] = (0.9, 0.999)) -> tuple[float, float]:
    """The per-step scalars of AdamW at (1-based) ``step``: ``(lr / (1 − β₁ᵗ), √(1 − β₂ᵗ))``.

    Computed in Python floats, as ``torch.optim.AdamW`` does (and kept out of compiled
    kernels, which would otherwise evaluate the powers once per vector of parameters).
    """
    beta1, beta2 = betas
    return lr / (1.0 - beta1**step), (1.0 - beta2**step) ** 0.5


def adamw_update_param(
    param: Tensor,
    grad: Tensor,
    exp_avg: Tensor,
    exp_avg_sq: Tensor,
    lr: float | Tensor,
    step_size: float | Tensor,
    bias_correction2_sqrt: float | Tensor,
    weight_decay: float,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
) -> None:
    """In-place AdamW update of one tensor, ``torch.optim.AdamW``'s arithmetic (see :func:`adamw_scalars`)::

        θ ← θ (1 − lr λ);  m ← β₁ m + (1 − β₁) g;  v ← β₂ v + (1 − β₂) g²
        θ ← θ − step_size · m / (√v / √(1 − β₂ᵗ) + ε)

    The scalars are numbers (eager) or 0-d tensors (compiled: no recompile per value).
    """
    beta1, beta2 = betas
    param.mul_(1.0 - lr * weight_decay)
    exp_avg.lerp_(grad, 1.0 - beta1)
    exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1.0 - beta2)
    denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
    if isinstance(step_size, Tensor):
        param.sub_(exp_avg / denom * step_size)
    else:
        param.addcdiv_(exp_avg, denom, value=-step_size)


def adamw_update(
    params: dict[str, Tensor],
    grads: dict[str, Tensor],
    state: AdamWState,
    lr: float,
    weight_decay: float,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
) -> None:
    """In-place AdamW step, the same arithmetic as ``torch.optim.AdamW`` (non-amsgrad)."""
    state.step += 1
    step_size, bias_correction2_sqrt = adamw_scalars(state.step, lr, betas)
    for name, param in params.items():
        adamw_update_param(
            param, grads[name], state.exp_avg[name], state.exp_avg_sq[name],
            lr, step_size, bias_correction2_sqrt, weight_decay, betas, eps,
        )  # fmt: skip


def sgd_update(params: dict[str, Tensor], grads: dict[str, Tensor], lr: float, weight_decay: float) -> None:
    """In-place plain SGD step, ``torch.optim.SGD``'s arithmetic (no momentum)::

        θ ← θ − lr (g + λ θ)

    Unlike Adam's, this update commutes with rotations of the hidden space (g → R g, θ → R θ),
    which makes it the control for how much of a learned orientation is the optimiser's.
    """
    for name, param in params.items():
        param.add_(grads[name] + weight_decay * param, alpha=-lr)
