"""Superposition metrics of trained weights, batched over instances.

``W`` has shape (I, n, m): row ``W_i`` (the paper's column) embeds feature i in the
m-dimensional hidden space; ``Ŵ_i = W_i / ‖W_i‖``. For the untied absolute-value model
the metrics are taken of its embedding ``W1``.
"""

from __future__ import annotations

import torch
from torch import Tensor

#: ‖W_i‖ above which a feature counts as represented (learned features have norm ≈ 1,
#: unlearned ones ≈ 0; the paper reads ‖W‖²_F as "roughly the number of features learned").
REPRESENTED_NORM = 0.5
#: Norms below this are treated as an unlearned feature (its direction is undefined).
_ZERO_NORM = 1e-6


def feature_norms(W: Tensor) -> Tensor:
    """‖W_i‖ for every instance and feature: (I, n)."""
    return W.norm(dim=-1)


def _overlaps(W: Tensor) -> tuple[Tensor, Tensor]:
    """(Ŵ_i · W_j)² for all i, j: (I, n, n), and the norms (I, n)."""
    norms = feature_norms(W)
    safe = norms.clamp_min(_ZERO_NORM)[..., None]
    unit = W / safe
    projections = unit @ W.transpose(-1, -2)  # [i, j] = Ŵ_i · W_j
    return projections.square(), norms


def interference(W: Tensor) -> Tensor:
    """Σ_{j≠i} (Ŵ_i · W_j)²: how strongly the other features project onto feature i's direction.

    0 for a feature orthogonal to all others; ≥ 1 means other features can activate W_i as
    strongly as feature i itself. Defined as 0 for an unlearned feature. Shape (I, n).
    """
    squared, norms = _overlaps(W)
    off_diagonal = squared.sum(dim=-1) - squared.diagonal(dim1=-2, dim2=-1)
    return torch.where(norms > _ZERO_NORM, off_diagonal.clamp_min(0.0), torch.zeros_like(norms))


def feature_dimensionality(W: Tensor) -> Tensor:
    """D_i = ‖W_i‖² / Σ_j (Ŵ_i · W_j)² (the sum includes j = i).

    1 for a feature with a dedicated dimension, 1/2 for an antipodal pair, 2/3 triangle,
    2/5 pentagon, 3/4 tetrahedron, 0 for an unlearned feature. Shape (I, n).
    """
    squared, norms = _overlaps(W)
    denominator = squared.sum(dim=-1)
    ratio = norms.square() / denominator.clamp_min(_ZERO_NORM**2)
    return torch.where(norms > _ZERO_NORM, ratio, torch.zeros_like(norms))


def dimensions_per_feature(W: Tensor) -> Tensor:
    """D* = m / ‖W‖²_F, the hidden dimensions per learned feature: (I,).

    Infinite when nothing is learned (‖W‖_F = 0).
    """
    hidden = W.shape[-1]
    return hidden / W.square().sum(dim=(-1, -2))


def features_represented(W: Tensor, threshold: float = REPRESENTED_NORM) -> Tensor:
    """Number of features with ‖W_i‖ > threshold: (I,)."""
    return (feature_norms(W) > threshold).sum(dim=-1)


def embedding_of(params: dict[str, Tensor]) -> Tensor:
    """The (I, n, m) feature embedding the metrics are computed of."""
    return params["W"] if "W" in params else params["W1"]
