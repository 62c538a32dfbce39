"""Canonicalise solutions: rotate and reflect (and relabel exchangeable features) to align them.

The tied models' loss depends on W only through WᵀW, so any orthogonal map Q of the hidden
space (a rotation, or a rotation and a reflection) gives an equally good solution: ``W Q``.
To compare solutions "we rotate and flip solutions to align with each other" (paper, section
*Correlated and Anticorrelated Features*). Features that are statistically identical (same
importance, density and set structure) can also swap places without changing the loss.

Given rows ``A`` (n, m) and a reference ``B`` (n, m), the orthogonal Procrustes problem

    Q* = argmin_{Q ∈ O(m)} ‖A Q − B‖_F

is solved by ``Q* = U Vᵀ`` where ``U Σ Vᵀ = Aᵀ B`` is a singular value decomposition
(Schönemann 1966): ‖AQ − B‖² = ‖A‖² + ‖B‖² − 2 tr(Qᵀ AᵀB), and tr(Qᵀ U Σ Vᵀ) ≤ tr Σ with
equality at Q = U Vᵀ. :func:`align` also tries every allowed relabelling π of the features
(rows of A permuted, ``A[π]``) and keeps the best fit. :func:`procrustes_rotation` and
:func:`rotate_onto` are the same map on torch tensors, for code that stays in torch
(e.g. aligning training snapshots).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor


@dataclass(frozen=True)
class Alignment:
    aligned: np.ndarray  # (n, m): A[order] @ Q, row i is the feature matched to reference row i
    rotation: np.ndarray  # (m, m) orthogonal Q
    order: tuple[int, ...]  # aligned[i] = (A @ Q)[order[i]]
    residual: float  # ‖aligned − B‖_F

    @property
    def reflected(self) -> bool:
        return bool(np.linalg.det(self.rotation) < 0)


def procrustes(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """The orthogonal Q (m, m) minimising ‖A Q − B‖_F (rotations and reflections)."""
    U, _, Vt = np.linalg.svd(np.asarray(A, dtype=np.float64).T @ np.asarray(B, dtype=np.float64))
    return U @ Vt


def relabellings(groups: list[list[int]] | tuple[tuple[int, ...], ...], n: int,
                 swap_groups: bool = False) -> list[tuple[int, ...]]:
    """Feature orders allowed by exchangeable ``groups``: permutations within each group, and
    (``swap_groups``) of equal-size groups as wholes. Features outside every group stay put."""
    groups = [list(g) for g in groups]
    group_orders = [list(itertools.permutations(g)) for g in groups]
    arrangements = list(itertools.permutations(range(len(groups)))) if swap_groups else [tuple(range(len(groups)))]
    result = set()
    for arrangement in arrangements:
        if any(len(groups[a]) != len(groups[b]) for a, b in zip(range(len(groups)), arrangement)):
            continue
        for inner in itertools.product(*(group_orders[a] for a in arrangement)):
            order = list(range(n))
            for target_group, members in zip(groups, inner):
                for target, source in zip(target_group, members):
                    order[target] = source
            result.add(tuple(order))
    return sorted(result)


def align(A: np.ndarray, B: np.ndarray, orders: list[tuple[int, ...]] | None = None) -> Alignment:
    """Best ``A[order] @ Q`` ≈ B over Q ∈ O(m) and the allowed feature ``orders`` (default: identity)."""
    A = np.asarray(A, dtype=np.float64)
    B = np.asarray(B, dtype=np.float64)
    if A.shape != B.shape:
        raise ValueError(f"cannot align shapes {A.shape} and {B.shape}")
    best = None
    for order in orders or [tuple(range(A.shape[0]))]:
        permuted = A[list(order)]
        Q = procrustes(permuted, B)
        aligned = permuted @ Q
        residual = float(np.linalg.norm(aligned - B))
        if best is None or residual < best.residual - 1e-12:
            best = Alignment(aligned, Q, tuple(order), residual)
    return best


def regular_polygon(n: int, start_angle: float = np.pi / 2, radius: float = 1.0) -> np.ndarray:
    """(n, 2) vertices of a regular n-gon, vertex 0 at ``start_angle``, counter-clockwise."""
    angles = start_angle + 2 * np.pi * np.arange(n) / n
    return radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def procrustes_rotation(A: Tensor, B: Tensor) -> Tensor:
    """The orthogonal R (m, m) minimising ‖A R − B‖_F for A, B of shape (n, m) (torch)."""
    if A.shape != B.shape or A.ndim != 2:
        raise ValueError(f"A and B must be (n, m) of the same shape, got {tuple(A.shape)} and {tuple(B.shape)}")
    U, _, Vh = torch.linalg.svd(A.transpose(0, 1) @ B)
    return U @ Vh


def rotate_onto(A: Tensor, B: Tensor) -> Tensor:
    """``A R`` with R = :func:`procrustes_rotation` (A, B): A rotated onto B, (n, m)."""
    return A @ procrustes_rotation(A, B)
