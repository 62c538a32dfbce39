"""Reading the absolute-value circuit off the weights: ``|x| = ReLU(x) + ReLU(−x)``.

The absolute-value model (``models.py``) is ``h = ReLU(W₁ x)``, ``y = ReLU(W₂ h + b)`` with
``W1`` (I, n, m) (``W1[i, k]``: feature i → neuron k) and ``W2`` (I, m, n) (``W2[k, j]``:
neuron k → output j), trained on signed inputs with target ``|x|``.

**Rescaling.** Hidden unit k can be rescaled, ``W1[:, k] · α`` and ``W2[k, :] / α`` for any
α > 0, without changing the model (ReLU is positively homogeneous). As in the paper, we
show every unit rescaled so that its largest-magnitude input weight is 1:
``α_k = 1 / max_i |W1[i, k]|`` (an all-zero unit is left as it is).

**Side neurons.** Neuron k is the *positive-side* neuron of feature i when it stores only
feature i (``neurons.stored_features`` with signed inputs), ``W1[i, k] > 0`` and
``W2[k, i] > 0``: it computes ``c · ReLU(x_i)`` into output i. It is the *negative-side*
neuron when ``W1[i, k] < 0`` and ``W2[k, i] > 0`` (``c · ReLU(−x_i)``). Its *gain* is
``W1[i, k] · W2[k, i]`` in absolute value (rescaling-invariant); a feature computed exactly
by one pair has gain 1 on both sides (if b_i = 0).

A feature has an *absolute-value pair* when it has at least one positive-side and at least
one negative-side neuron.
"""

from __future__ import annotations

import torch
from torch import Tensor

from . import neurons


def rescale_hidden_units(W1: Tensor, W2: Tensor) -> tuple[Tensor, Tensor]:
    """``(W1 / s, W2 · s)`` with ``s_k = max_i |W1[i, k]|`` per hidden unit; the same model."""
    scale = W1.abs().amax(dim=-2)  # (I, m)
    scale = torch.where(scale > 0, scale, torch.ones_like(scale))
    return W1 / scale[:, None, :], W2 * scale[:, :, None]


def side_neurons(W1: Tensor, W2: Tensor, **thresholds: float) -> tuple[Tensor, Tensor]:
    """For every neuron: the feature it is a side neuron of (−1 if none) and the side
    (+1 positive, −1 negative, 0 none). Two (I, m) int64 tensors.

    ``thresholds`` are passed to :func:`neurons.stored_features`.
    """
    stored = neurons.stored_features(W1, W2, signed=True, **thresholds)  # (I, n, m)
    single = neurons.polysemanticity(stored) == 1  # (I, m)
    feature = stored.float().argmax(dim=-2)  # the only stored feature where single
    w_in = W1.gather(-2, feature[:, None, :]).squeeze(-2)  # (I, m): W1[feature_k, k]
    w_out = W2.gather(-1, feature[:, :, None]).squeeze(-1)  # (I, m): W2[k, feature_k]
    is_side = single & (w_out > 0) & (w_in != 0)
    side = torch.where(is_side, torch.sign(w_in), torch.zeros_like(w_in)).long()
    return torch.where(is_side, feature, torch.full_like(feature, -1)), side


def absolute_value_pairs(W1: Tensor, W2: Tensor, **thresholds: float) -> tuple[Tensor, Tensor]:
    """Per feature: number of positive-side and of negative-side neurons. Two (I, n) int64."""
    feature, side = side_neurons(W1, W2, **thresholds)
    n = W1.shape[-2]
    ids = torch.arange(n, device=W1.device)[None, :, None]  # (1, n, 1)
    mine = feature[:, None, :] == ids  # (I, n, m)
    positive = (mine & (side[:, None, :] > 0)).sum(dim=-1)
    negative = (mine & (side[:, None, :] < 0)).sum(dim=-1)
    return positive, negative


def has_pair(W1: Tensor, W2: Tensor, **thresholds: float) -> Tensor:
    """Feature i has both a ReLU(x_i) and a ReLU(−x_i) neuron: (I, n) bool."""
    positive, negative = absolute_value_pairs(W1, W2, **thresholds)
    return (positive > 0) & (negative > 0)


def gains(W1: Tensor, W2: Tensor) -> Tensor:
    """``|W1[i, k] · W2[k, i]|``: how much of |x_i| neuron k adds to output i. (I, n, m)."""
    return (W1 * W2.transpose(-1, -2)).abs()
