"""Canonicalisation: Procrustes recovers known rotations, reflections and relabellings."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from toy_superposition.analysis.alignment import (
    align,
    procrustes,
    procrustes_rotation,
    regular_polygon,
    relabellings,
    rotate_onto,
)


def rotation(theta: float) -> np.ndarray:
    return np.array([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])


def test_procrustes_undoes_a_quarter_turn():
    B = np.array([[1.0, 0.0], [0.0, 2.0], [-1.0, 0.5]])
    A = B @ rotation(math.pi / 2).T  # rotate by +90°; Q must rotate back
    Q = procrustes(A, B)
    np.testing.assert_allclose(Q, rotation(math.pi / 2), atol=1e-12)
    np.testing.assert_allclose(A @ Q, B, atol=1e-12)


def test_reflection_is_found_and_reported():
    # a pentagon with two vertices pushed off: no mirror symmetry, so only a reflection fits
    B = regular_polygon(5) + np.array([[0.0, 0.0], [0.1, 0.0], [0.0, 0.0], [0.0, 0.2], [0.0, 0.0]])
    A = B @ np.diag([-1.0, 1.0])  # mirror image
    result = align(A, B)
    assert result.reflected
    assert result.residual < 1e-10


def test_relabelling_recovers_a_permutation():
    B = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.3, 0.3]])
    order = [2, 0, 1, 3]  # A's rows are B's, relabelled and rotated
    A = B[order] @ rotation(0.7).T
    allowed = relabellings([[0, 1, 2]], 4)
    assert len(allowed) == 6
    result = align(A, B, allowed)
    assert result.residual < 1e-10
    np.testing.assert_allclose(result.aligned, B, atol=1e-10)
    # without the relabelling no rotation fits
    assert align(A, B).residual > 0.5


def test_relabellings_of_whole_groups():
    orders = relabellings([[0, 1], [2, 3]], 5, swap_groups=True)
    assert len(orders) == 8  # 2 group orders × 2 × 2 within-group orders
    assert all(order[4] == 4 for order in orders)
    assert (2, 3, 0, 1, 4) in orders
    assert len(relabellings([[0, 1], [2, 3, 4]], 5, swap_groups=True)) == 2 * 6  # unequal sizes never swap


def test_regular_polygon():
    P = regular_polygon(5)
    np.testing.assert_allclose(np.linalg.norm(P, axis=1), 1.0)
    np.testing.assert_allclose(P[0], [0.0, 1.0], atol=1e-12)


def test_shapes_must_match():
    with pytest.raises(ValueError, match="cannot align"):
        align(np.zeros((3, 2)), np.zeros((4, 2)))


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), theta=st.floats(0, 2 * math.pi), reflect=st.booleans())
def test_alignment_recovers_any_orthogonal_map(seed, theta, reflect):
    B = np.random.default_rng(seed).normal(size=(5, 2))
    Q = rotation(theta) @ (np.diag([1.0, -1.0]) if reflect else np.eye(2))
    result = align(B @ Q, B)
    assert result.residual < 1e-8
    np.testing.assert_allclose(result.rotation, Q.T, atol=1e-8)
    assert result.reflected == reflect


# torch variants (used on training snapshots)

def test_torch_quarter_turn_by_hand():
    B = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], dtype=torch.float64)
    turn = torch.tensor([[0.0, -1.0], [1.0, 0.0]], dtype=torch.float64)
    R = procrustes_rotation(B @ turn, B)
    np.testing.assert_allclose(R, turn.T, atol=1e-12)
    np.testing.assert_allclose(rotate_onto(B @ turn, B), B, atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=0, max_value=2**31 - 1), st.booleans())
def test_torch_any_orthogonal_transform_is_undone(seed, reflect):
    generator = torch.Generator().manual_seed(seed)
    B = torch.randn(6, 3, generator=generator, dtype=torch.float64)
    Q, _ = torch.linalg.qr(torch.randn(3, 3, generator=generator, dtype=torch.float64))
    if reflect:
        Q = Q @ torch.diag(torch.tensor([1.0, 1.0, -1.0], dtype=torch.float64))
    R = procrustes_rotation(B @ Q, B)
    np.testing.assert_allclose(R @ R.T, torch.eye(3, dtype=torch.float64), atol=1e-10)
    np.testing.assert_allclose(rotate_onto(B @ Q, B), B, atol=1e-9)


def test_torch_alignment_keeps_the_gram_matrix():
    generator = torch.Generator().manual_seed(0)
    A, B = torch.randn(6, 3, generator=generator), torch.randn(6, 3, generator=generator)
    aligned = rotate_onto(A, B)
    np.testing.assert_allclose(aligned @ aligned.T, A @ A.T, atol=1e-5)
    assert torch.linalg.norm(aligned - B) <= torch.linalg.norm(A - B) + 1e-6


def test_torch_shapes_must_match():
    with pytest.raises(ValueError):
        procrustes_rotation(torch.zeros(4, 3), torch.zeros(4, 2))
