"""Orthogonal Procrustes recovers a known rotation or reflection."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from toy_superposition.alignment import align, procrustes_rotation


def test_a_quarter_turn_by_hand():
    B = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], dtype=torch.float64)
    turn = torch.tensor([[0.0, -1.0], [1.0, 0.0]], dtype=torch.float64)
    R = procrustes_rotation(B @ turn, B)
    np.testing.assert_allclose(R, turn.T, atol=1e-12)
    np.testing.assert_allclose(align(B @ turn, B), B, atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=0, max_value=2**31 - 1), st.booleans())
def test_any_orthogonal_transform_is_undone(seed, reflect):
    generator = torch.Generator().manual_seed(seed)
    B = torch.randn(6, 3, generator=generator, dtype=torch.float64)
    Q, _ = torch.linalg.qr(torch.randn(3, 3, generator=generator, dtype=torch.float64))
    if reflect:
        Q = Q @ torch.diag(torch.tensor([1.0, 1.0, -1.0], dtype=torch.float64))
    R = procrustes_rotation(B @ Q, B)
    np.testing.assert_allclose(R @ R.T, torch.eye(3, dtype=torch.float64), atol=1e-10)
    np.testing.assert_allclose(align(B @ Q, B), B, atol=1e-9)


def test_alignment_keeps_the_gram_matrix():
    generator = torch.Generator().manual_seed(0)
    A, B = torch.randn(6, 3, generator=generator), torch.randn(6, 3, generator=generator)
    aligned = align(A, B)
    np.testing.assert_allclose(aligned @ aligned.T, A @ A.T, atol=1e-5)
    assert torch.linalg.norm(aligned - B) <= torch.linalg.norm(A - B) + 1e-6


def test_shapes_must_match():
    with pytest.raises(ValueError):
        procrustes_rotation(torch.zeros(4, 3), torch.zeros(4, 2))
