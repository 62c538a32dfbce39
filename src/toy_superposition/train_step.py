"""One training step for every instance at once: sample, forward, hand-written backward, AdamW.

The models are two matmuls and a few elementwise ops, so their gradients are written out
by hand instead of recorded by autograd (autograd's bookkeeping costs more than the maths
at these sizes). With ``e = x' − y`` and ``g = 2 I ⊙ e / (B n)`` (the gradient of the
per-instance loss with respect to the output):

* output pre-activation ``z = h W_dec + b``:  ``∂z = g ⊙ [z > 0]`` (ReLU output) or ``g`` (linear)
* ``∂b = Σ_b ∂z``;  ``∂W_dec = hᵀ ∂z``;  ``∂h = ∂z W_decᵀ`` (+ ``λ sign(h) / B`` with an L1 penalty)
* dropout: ``∂h ← ∂h ⊙ mask / (1 − p)``;  ReLU hidden layer: ``∂a = ∂h ⊙ [a > 0]``
* ``∂W_enc = xᵀ ∂a``; tied models (``W_enc = W``, ``W_dec = Wᵀ``) add both contributions.

AdamW follows ``torch.optim.AdamW`` exactly (decoupled weight decay, bias-corrected moments).
``tests/test_train_step.py`` checks the gradients against autograd and the update against
torch's optimizer.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from .distributions import FeatureDistribution, sample_features
from .models import target_of


def loss_and_grads(
    model: str,
    params: dict[str, Tensor],
    x: Tensor,
    importance: Tensor,
    dropout: Tensor | None = None,
    l1_penalty: Tensor | None = None,
    generator: torch.Generator | None = None,
) -> tuple[Tensor, dict[str, Tensor]]:
    """Per-instance loss (I,) and the gradients of their sum, for a batch x (I, B, n).

    ``dropout`` (I,) applies training-time dropout to the hidden vector (relu_output_dropout);
    ``l1_penalty`` (I,) adds ``λ · mean_b Σ_j |h_j|`` to each instance's loss.
    """
    n_instances, batch, n_features = x.shape
    if model == "absolute_value":
        W_enc, W_dec = params["W1"], params["W2"]  # (I, n, m), (I, m, n)
    else:
        W_enc, W_dec = params["W"], params["W"].transpose(1, 2)
    b = params["b"]

    pre_hidden = torch.bmm(x, W_enc)  # (I, B, m)
    relu_hidden = model in ("relu_hidden", "absolute_value")
    hidden = torch.relu(pre_hidden) if relu_hidden else pre_hidden
    used = hidden
    mask_scale = None
    if dropout is not None and model == "relu_output_dropout":
        keep = (1.0 - dropout)[:, None, None]
        mask = torch.rand(hidden.shape, generator=generator, device=x.device, dtype=x.dtype) < keep
        mask_scale = mask / keep
        used = hidden * mask_scale
    pre_out = torch.baddbmm(b[:, None, :], used, W_dec)  # (I, B, n)
    out = pre_out if model == "linear" else torch.relu(pre_out)
    error = out - target_of(model, x)
    weighted = importance[:, None, :] * error
    loss = (weighted * error).mean(dim=(1, 2))

    grad_pre_out = weighted * (2.0 / (batch * n_features))
    if model != "linear":
        grad_pre_out = grad_pre_out * (pre_out > 0)
    grad_b = grad_pre_out.sum(dim=1)
    grad_W_dec = torch.bmm(used.transpose(1, 2), grad_pre_out)  # (I, m, n)
    grad_hidden = torch.bmm(grad_pre_out, W_dec.transpose(1, 2))  # (I, B, m)
    if mask_scale is not None:
        grad_hidden = grad_hidden * mask_scale
    if l1_penalty is not None:
        loss = loss + l1_penalty * hidden.abs().sum(dim=2).mean(dim=1)
        grad_hidden = grad_hidden + (l1_penalty / batch)[:, None, None] * torch.sign(hidden)
    if relu_hidden:
        grad_hidden = grad_hidden * (pre_hidden > 0)
    grad_W_enc = torch.bmm(x.transpose(1, 2), grad_hidden)  # (I, n, m)

    if model == "absolute_value":
        grads = {"W1": grad_W_enc, "W2": grad_W_dec, "b": grad_b}
    else:
        grads = {"W": grad_W_enc + grad_W_dec.transpose(1, 2), "b": grad_b}
    return loss, grads


@dataclass
class AdamWState:
    """First and second moments of every parameter, and the step count."""

    exp_avg: dict[str, Tensor]
    exp_avg_sq: dict[str, Tensor]
    step: int = 0

    @classmethod
    def zeros_like(cls, params: dict[str, Tensor]) -> "AdamWState":
        return cls({k: torch.zeros_like(v) for k, v in params.items()}, {k: torch.zeros_like(v) for k, v in params.items()})


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
    beta1, beta2 = betas
    bias_correction1 = 1.0 - beta1**state.step
    bias_correction2_sqrt = (1.0 - beta2**state.step) ** 0.5
    for name, param in params.items():
        grad = grads[name]
        param.mul_(1.0 - lr * weight_decay)
        state.exp_avg[name].lerp_(grad, 1.0 - beta1)
        state.exp_avg_sq[name].mul_(beta2).addcmul_(grad, grad, value=1.0 - beta2)
        denom = (state.exp_avg_sq[name].sqrt() / bias_correction2_sqrt).add_(eps)
        param.addcdiv_(state.exp_avg[name], denom, value=-lr / bias_correction1)


def sample_loss_and_grads(
    model: str,
    params: dict[str, Tensor],
    dist: FeatureDistribution,
    batch_size: int,
    dropout: Tensor | None,
    l1_penalty: Tensor | None,
) -> tuple[Tensor, dict[str, Tensor]]:
    """Draw a fresh batch from torch's global RNG and return loss and gradients."""
    x = sample_features(dist, batch_size)
    return loss_and_grads(model, params, x, dist.importance, dropout, l1_penalty)
