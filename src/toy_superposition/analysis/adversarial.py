"""The analytically optimal L2 attack on each feature, and a model's vulnerability to it.

Shapes: ``I`` instances, ``B`` batch, ``n`` features, ``m`` hidden, ``K = 2n`` candidate attacks.

For the tied models the output is ``x' = f(G x + b)`` with ``G = WᵀW`` in the paper's
notation; with the stored rows ``W_i`` (``W`` is (n, m)) that is ``G = W Wᵀ`` (n, n), and
``G_i`` (row i) holds how every input feature drives output i. A perturbation ``δ`` with
``‖δ‖₂ ≤ ε`` moves output i's pre-activation by ``G_i · δ``, which by Cauchy–Schwarz is
largest (``= ε ‖G_i‖``) for

    δ_i^± = ± ε G_i / ‖G_i‖                                  (the paper's λ (WᵀW)_i / ‖(WᵀW)_i‖)

In a model without superposition ``G_i ≈ e_i``, so the attack on feature i can only
perturb feature i's own input; with superposition ``G_i = (…, 1, ±ε, …)`` and the attack
moves every feature that interferes with i. Following the paper, we evaluate the ``K = 2n``
attacks ``{δ_i^+, δ_i^−}`` and keep, **for each input**, the one that raises its loss most:

    L_adv(x) = max_k  ℓ(x'(x + δ_k), x),    ℓ(x', x) = (1/n) Σ_i I_i (x'_i − x_i)²

(the target stays the clean ``x``; an input that no candidate hurts keeps its clean loss,
as ``δ = 0`` is admissible too). The budget is ``ε = 0.1 · E‖x‖₂``, a tenth of the mean
input norm of the evaluation batch. *Vulnerability* is the relative loss increase

    V = (E[L_adv] − E[L_clean]) / E[L_clean].

We also report the *universal* variant, one attack per model: ``max_k E[ℓ(x'(x + δ_k), x)]``.
(The paper found gradient attacks ineffective on very sparse models — ReLU outputs are in
their zero regime most of the time — hence the analytic attack.) Unlearned features
(``G_i = 0``) get the zero perturbation.

Adversarial training (the paper's last paragraph on robustness) is summarised per trained
instance by :func:`adversarial_training_summary`; the attack it trains against is
``models.adversarial_input``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import torch
from torch import Tensor

from .. import metrics
from ..models import forward, target_of
from .removing_superposition import SUPERPOSED_BELOW

#: The paper's L2 budget: a tenth of the average input norm.
BUDGET_FRACTION = 0.1
#: Tied models whose hidden layer is linear, so the output pre-activation is ``G x + b``
#: (dropout is off at evaluation).
LINEAR_HIDDEN = ("linear", "relu_output", "relu_output_dropout")


def end_to_end(W: Tensor) -> Tensor:
    """``G = W Wᵀ`` (the paper's WᵀW): (I, n, m) → (I, n, n); row i is output i's input weights."""
    return W @ W.transpose(-1, -2)


def attack_directions(W: Tensor) -> Tensor:
    """Unit directions ``G_i / ‖G_i‖`` for every feature: (I, n, n), row i attacks feature i (0 if G_i = 0)."""
    gram = end_to_end(W)
    norms = gram.norm(dim=-1, keepdim=True)
    return torch.where(norms > 0, gram / norms.clamp_min(torch.finfo(gram.dtype).tiny), torch.zeros_like(gram))


def attack_budget(x: Tensor, fraction: float = BUDGET_FRACTION) -> Tensor:
    """``ε = fraction · mean_b ‖x_b‖₂`` per instance: x (I, B, n) → (I,)."""
    return fraction * x.norm(dim=-1).mean(dim=-1)


def candidate_perturbations(W: Tensor, budget: Tensor) -> Tensor:
    """The K = 2n perturbations ``+ε v_i`` (k = i) then ``−ε v_i`` (k = n + i): (I, 2n, n)."""
    directions = attack_directions(W) * budget[:, None, None]
    return torch.cat([directions, -directions], dim=1)


def attacked_losses(model: str, params: dict[str, Tensor], x: Tensor, importance: Tensor, budget: Tensor,
                    chunk: int = 64) -> Tensor:
    """Loss of every input under every candidate attack: (I, B, 2n).

    ``params`` are a tied model's (``W`` (I, n, m), ``b`` (I, n)); x (I, B, n); importance
    (I, n); budget (I,). Candidates are processed ``chunk`` at a time to bound memory at
    I·B·chunk·n numbers. For a linear hidden layer the pre-activations are shifted by
    ``G δ_k`` instead of running the model on every perturbed input (same numbers, no matmul
    per candidate); ``relu_hidden`` runs the model.
    """
    W = params["W"]
    n_instances, batch, n_features = x.shape
    perturbations = candidate_perturbations(W, budget)  # (I, K, n)
    target = target_of(model, x)
    linear_hidden = model in LINEAR_HIDDEN
    if linear_hidden:  # the pre-activation is affine in the input: z(x + δ) = z(x) + G δ
        gram = end_to_end(W)
        pre = x @ gram + params["b"][:, None, :]  # (I, B, n)  (G is symmetric)
        shifts = perturbations @ gram  # (I, K, n)
    losses = []
    for start in range(0, perturbations.shape[1], chunk):
        if linear_hidden:
            z = pre[:, :, None, :] + shifts[:, None, start: start + chunk, :]  # (I, B, k, n)
            output = z if model == "linear" else torch.relu(z)
        else:
            delta = perturbations[:, start: start + chunk]  # (I, k, n)
            k = delta.shape[1]
            attacked = (x[:, :, None, :] + delta[:, None, :, :]).reshape(n_instances, batch * k, n_features)
            output = forward(model, params, attacked)[0].reshape(n_instances, batch, k, n_features)
        error = output - target[:, :, None, :]
        losses.append((importance[:, None, None, :] * error.square()).mean(dim=-1))  # (I, B, k)
    return torch.cat(losses, dim=-1)


@dataclass(frozen=True)
class Vulnerability:
    """Per-instance results of the attack, each of shape (I,)."""

    budget: Tensor  # ε
    clean_loss: Tensor  # E[L_clean]
    attacked_loss: Tensor  # E[max_k ℓ] (per-input best attack)
    universal_loss: Tensor  # max_k E[ℓ] (one attack for the whole batch)
    best_feature: Tensor  # the feature whose attack the universal variant picks

    @property
    def vulnerability(self) -> Tensor:
        """(E[L_adv] − E[L_clean]) / E[L_clean]."""
        return (self.attacked_loss - self.clean_loss) / self.clean_loss

    @property
    def universal_vulnerability(self) -> Tensor:
        return (self.universal_loss - self.clean_loss) / self.clean_loss


def vulnerability(model: str, params: dict[str, Tensor], x: Tensor, importance: Tensor,
                  fraction: float = BUDGET_FRACTION, chunk: int = 64) -> Vulnerability:
    """Clean and attacked losses of a batch x (I, B, n) for tied models (module doc)."""
    if "W" not in params:
        raise ValueError("the analytic attack is defined for the tied models (parameters W, b)")
    with torch.no_grad():
        budget = attack_budget(x, fraction)
        output, _ = forward(model, params, x)
        clean_each = (importance[:, None, :] * (output - target_of(model, x)).square()).mean(dim=-1)  # (I, B)
        clean = clean_each.mean(dim=-1)
        per_candidate = attacked_losses(model, params, x, importance, budget, chunk)  # (I, B, K)
        # δ = 0 is in the ball too: an input no candidate hurts keeps its clean loss.
        attacked = torch.maximum(per_candidate.max(dim=-1).values, clean_each)
        universal = per_candidate.mean(dim=1)  # (I, K)
        best = universal.argmax(dim=-1)
    n_features = x.shape[-1]
    return Vulnerability(
        budget=budget,
        clean_loss=clean,
        attacked_loss=attacked.mean(dim=-1),
        universal_loss=torch.maximum(universal.max(dim=-1).values, clean),
        best_feature=best % n_features,
    )


# --- Adversarial training -----------------------------------------------------------------------
#
# The paper's closing experiment: train against "the analytic optimal attack against a random
# feature" (models.adversarial_input: δ_b = λ G_{k_b}/‖G_{k_b}‖, k_b uniform, λ = fraction · mean
# input norm) and see whether superposition goes away. Per trained instance
# (:func:`adversarial_training_summary`): features per dimension 1/D* = ‖W‖²_F / m, the features
# represented (‖W_i‖ > 0.5) and those of them in superposition (D_i < SUPERPOSED_BELOW, as for
# the L1 penalty), and the clean final loss.


def adversarial_training_summary(W: Tensor, instances: pd.DataFrame) -> pd.DataFrame:
    """One row per instance of ``instances`` (instance, restart, adversarial_fraction, final_loss),
    W (I, n, m): features_per_dimension, features_represented, features_in_superposition."""
    W = W.double()
    represented = metrics.feature_norms(W) > metrics.REPRESENTED_NORM
    superposed = represented & (metrics.feature_dimensionality(W) < SUPERPOSED_BELOW)
    per_dimension = W.square().sum(dim=(-1, -2)) / W.shape[-1]
    rows = []
    for row in instances.sort_values("instance").itertuples():
        i = row.instance
        rows.append({"instance": i, "setting": row.setting, "restart": row.restart,
                     "adversarial_fraction": float(row.adversarial_fraction),
                     "feature_probability": float(row.feature_probability), "final_loss": float(row.final_loss),
                     "features_per_dimension": float(per_dimension[i]),
                     "features_represented": int(represented[i].sum()),
                     "features_in_superposition": int(superposed[i].sum())})
    return pd.DataFrame(rows)


def elimination_fraction(summary: pd.DataFrame) -> float:
    """The smallest attack fraction from which on (it and every larger one) no model has a feature
    in superposition; inf if the largest fraction still has one."""
    by_fraction = summary.groupby("adversarial_fraction")["features_in_superposition"].max().sort_index()
    gone = by_fraction.to_numpy() == 0
    if not gone[-1]:
        return float("inf")
    first = len(gone) - 1
    while first > 0 and gone[first - 1]:
        first -= 1
    return float(by_fraction.index[first])
