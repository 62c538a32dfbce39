"""How well a direction in the hidden space lines up with the coordinate axes.

The ReLU output model ``x' = ReLU(WᵀW x + b)`` is invariant under ``W → W Q`` for any
orthogonal ``Q`` (m × m), so without something that singles out the hidden coordinates the
orientation of a learned ``W`` is arbitrary. Dropout on the hidden vector (and, per
coordinate, Adam's normaliser) is invariant only under the *hyperoctahedral* group —
permutations and sign flips of the hidden coordinates — so it can make the coordinate axes
special. This module measures that.

Orientation (Superposition and Dropout, LessWrong). Shapes: ``I`` models, ``n`` features,
``m`` hidden dimensions; ``W`` is (I, n, m) with row ``W_i`` the embedding of feature i.
With equally important features every feature is interchangeable, so a model's orientation is
summarised by one of them: the largest-norm feature ``k = argmax_i ‖W_i‖`` (one the model
certainly represents), giving the unit vector ``u = W_k / ‖W_k‖`` (I, m).

Alignment statistic. For a unit vector ``u ∈ S^{m−1}``

    a_m(u) = ((m + 2) Σ_j u_j⁴ − 3) / (m − 1).

It is the degree-4 polynomial in ``u`` with the hyperoctahedral symmetry, normalised so that

* ``a_m = 1`` on a coordinate axis (``u = ±e_j``),
* ``a_m = −2/m`` on a main diagonal (``|u_j| = 1/√m`` for all j), its minimum,
* ``E[a_m] = 0`` when ``u`` is uniform on the sphere,

and for m = 2 with ``u = (cos θ, sin θ)`` it is exactly ``cos 4θ`` (``cos⁴θ + sin⁴θ = (3 + cos 4θ)/4``):
+1 on the axes, −1 on the diagonals. Under uniformity (moments of the uniform distribution
on ``S^{m−1}``: ``E u_j⁴ = 3/(m(m+2))``, ``E u_j⁸ = 105/(m(m+2)(m+4)(m+6))``,
``E u_j⁴u_k⁴ = 9/(m(m+2)(m+4)(m+6))``)

    Var[a_m] = 24 / ((m − 1)(m + 4)(m + 6))        (1/2 for m = 2, the variance of cos 4θ),

which :mod:`.uniformity_tests` uses for an exact-variance test of "no preferred orientation".
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

#: Norms below this count as "no feature learned": the direction is undefined.
_ZERO_NORM = 1e-12


def basis_direction(W: Tensor) -> Tensor:
    """``u = W_k / ‖W_k‖`` for the largest-norm feature k of every model: (I, n, m) → (I, m).

    Ties go to the lowest feature index. A model with W = 0 has no direction: its row is NaN.
    """
    norms = W.norm(dim=-1)  # (I, n)
    k = norms.argmax(dim=-1)  # (I,)
    rows = W[torch.arange(W.shape[0]), k]  # (I, m)
    length = rows.norm(dim=-1, keepdim=True)
    return torch.where(length > _ZERO_NORM, rows / length.clamp_min(_ZERO_NORM), torch.full_like(rows, math.nan))


def largest_feature(W: Tensor) -> Tensor:
    """Index k of the largest-norm feature of every model: (I, n, m) → (I,) int64."""
    return W.norm(dim=-1).argmax(dim=-1)


def axis_alignment(u: Tensor) -> Tensor:
    """``a_m(u) = ((m + 2) Σ_j u_j⁴ − 3) / (m − 1)`` of unit vectors (..., m) → (...).

    1 on the axes, −2/m on the diagonals, mean 0 for a uniform direction; ``cos 4θ`` for m = 2.
    ``u`` is normalised first, so any non-zero vector may be passed.
    """
    m = u.shape[-1]
    if m < 2:
        raise ValueError(f"axis alignment needs at least 2 hidden dimensions, got m={m}")
    unit = u / u.norm(dim=-1, keepdim=True)
    return ((m + 2) * unit.pow(4).sum(dim=-1) - 3.0) / (m - 1)


def null_variance(m: int) -> float:
    """Var[a_m(u)] for u uniform on the sphere S^{m−1}: ``24 / ((m − 1)(m + 4)(m + 6))``."""
    if m < 2:
        raise ValueError(f"axis alignment needs at least 2 hidden dimensions, got m={m}")
    return 24.0 / ((m - 1) * (m + 4) * (m + 6))


def diagonal_value(m: int) -> float:
    """a_m on a main diagonal (all |u_j| = 1/√m), the statistic's minimum: −2/m."""
    return -2.0 / m


def angle(u: Tensor) -> Tensor:
    """θ = atan2(u_y, u_x) ∈ (−π, π] of 2-D directions (I, 2) → (I,)."""
    if u.shape[-1] != 2:
        raise ValueError(f"angle is defined for 2-D directions, got m={u.shape[-1]}")
    return torch.atan2(u[..., 1], u[..., 0])


def folded_angle(theta: Tensor) -> Tensor:
    """θ folded by the symmetries of the square into [0, π/4]: 0 on an axis, π/4 on a diagonal."""
    quarter = torch.remainder(theta, math.pi / 2)  # [0, π/2)
    return torch.minimum(quarter, math.pi / 2 - quarter)


def feature_alignment(W: Tensor, threshold: float = 0.5) -> Tensor:
    """Mean ``a_m(Ŵ_i)`` over the represented features (‖W_i‖ > threshold) of every model: (I,).

    The alignment of the whole embedding rather than of its largest feature; NaN for a model
    that represents nothing.
    """
    norms = W.norm(dim=-1)  # (I, n)
    represented = norms > threshold
    safe = torch.where(represented[..., None], W, torch.ones_like(W))
    values = torch.where(represented, axis_alignment(safe), torch.zeros_like(norms))
    counts = represented.sum(dim=-1)
    return torch.where(counts > 0, values.sum(dim=-1) / counts.clamp_min(1), torch.full_like(counts, math.nan, dtype=W.dtype))
