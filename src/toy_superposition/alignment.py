"""Orthogonal Procrustes: rotate one feature configuration onto another.

The loss of the tied toy models depends on ``W`` only through ``WᵀW``, so any rotation or
reflection ``R`` of the hidden space (``W ↦ W R`` for the stored (n, m) rows) gives the same
model. To compare configurations across training (or restarts) we rotate each onto a
reference ``B`` (n, m) by the orthogonal ``R`` (m, m) minimising ``‖A R − B‖_F``:

    Aᵀ B = U Σ Vᵀ  (SVD)   ⇒   R = U Vᵀ                      (Schönemann 1966)

which allows reflections (det R = ±1), as the model is symmetric under them too.
"""

from __future__ import annotations

import torch
from torch import Tensor


def procrustes_rotation(A: Tensor, B: Tensor) -> Tensor:
    """The orthogonal R (m, m) minimising ‖A R − B‖_F for A, B of shape (n, m)."""
    if A.shape != B.shape or A.ndim != 2:
        raise ValueError(f"A and B must be (n, m) of the same shape, got {tuple(A.shape)} and {tuple(B.shape)}")
    U, _, Vh = torch.linalg.svd(A.transpose(0, 1) @ B)
    return U @ Vh


def align(A: Tensor, B: Tensor) -> Tensor:
    """``A R`` with R = :func:`procrustes_rotation` (A, B): A rotated onto B, (n, m)."""
    return A @ procrustes_rotation(A, B)
