"""Kurtosis of hidden activations: hand-computed values, Gaussian references, Haar rotations."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from toy_superposition.analysis import dropout_kurtosis as hk
from toy_superposition.analysis import dropout_orientation as orientation


def test_vector_kurtosis_of_hand_computed_vectors():
    h = torch.tensor([[
        [1.0, 0.0, 0.0, 0.0],   # one-hot: κ = m = 4
        [1.0, 1.0, 1.0, 1.0],   # flat: κ = 4 · 4 / 16 = 1
        [0.0, 0.0, 0.0, 0.0],   # zero vector: left out
    ]], dtype=torch.float64)
    assert float(hk.vector_kurtosis(h)) == pytest.approx((4.0 + 1.0) / 2)
    assert bool(torch.isnan(hk.vector_kurtosis(torch.zeros(1, 3, 2))).all())


def test_vector_kurtosis_is_affine_in_the_axis_alignment():
    m = 5
    h = torch.randn(1, 1000, m, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    expected = (m * ((m - 1) * orientation.axis_alignment(h[0]) + 3) / (m + 2)).mean()
    assert float(hk.vector_kurtosis(h)) == pytest.approx(float(expected))


def test_coordinate_kurtosis_of_hand_computed_samples():
    # Symmetric ±1 coordinate: κ = 1. A coordinate that is 1 with probability 1/4, else 0:
    # μ = 1/4, E(h − μ)⁴ = (3/4)⁴/4 + 3(1/4)⁴/4, Var = 3/16 → κ = 7/3.
    plus_minus = torch.tensor([1.0, -1.0, 1.0, -1.0], dtype=torch.float64)
    bernoulli = torch.tensor([1.0, 0.0, 0.0, 0.0], dtype=torch.float64)
    h = torch.stack([plus_minus, bernoulli], dim=1)[None]  # (1, 4, 2)
    assert float(hk.coordinate_kurtosis(h)) == pytest.approx((1.0 + 7.0 / 3.0) / 2)
    constant = torch.ones(1, 4, 2, dtype=torch.float64)
    assert bool(torch.isnan(hk.coordinate_kurtosis(constant)).all())


@pytest.mark.parametrize("m", [2, 5, 30])
def test_isotropic_gaussian_references(m):
    h = torch.randn(1, 100_000, m, generator=torch.Generator().manual_seed(m), dtype=torch.float64)
    assert float(hk.vector_kurtosis(h)) == pytest.approx(hk.gaussian_vector_kurtosis(m), rel=0.01)
    assert float(hk.coordinate_kurtosis(h)) == pytest.approx(hk.GAUSSIAN_COORDINATE_KURTOSIS, rel=0.03)
    assert hk.gaussian_vector_kurtosis(m) < 3 and hk.gaussian_vector_kurtosis(10_000) == pytest.approx(3, rel=1e-3)


def test_haar_rotations_are_orthogonal_and_uniform():
    q = hk.haar_orthogonal(20_000, 3, torch.Generator().manual_seed(1))
    eye = torch.eye(3, dtype=torch.float64).expand(20_000, 3, 3)
    torch.testing.assert_close(q @ q.transpose(1, 2), eye, atol=1e-12, rtol=0)
    # The image of a fixed axis is uniform on the sphere: its alignment has mean 0 and the null variance.
    image = q[:, 0, :]
    values = orientation.axis_alignment(image).numpy()
    assert abs(values.mean()) < 5 * math.sqrt(orientation.null_variance(3) / values.size)
    assert values.var() == pytest.approx(orientation.null_variance(3), rel=0.05)


def test_rotating_axis_aligned_activations_lowers_the_kurtosis():
    # Sparse activations on the axes (one active coordinate per input): κ = m per vector.
    m, batch = 6, 2000
    generator = torch.Generator().manual_seed(2)
    which = torch.randint(0, m, (batch,), generator=generator)
    h = torch.nn.functional.one_hot(which, m).double()[None] * torch.rand(1, batch, 1, generator=generator, dtype=torch.float64)
    assert float(hk.vector_kurtosis(h)) == pytest.approx(m)
    rotated = hk.rotate(h, hk.haar_orthogonal(1, m, generator))
    assert float(hk.vector_kurtosis(rotated)) < m - 1
    # rotation keeps the norms
    torch.testing.assert_close(rotated.norm(dim=-1), h.norm(dim=-1))


def test_hidden_activations_are_w_transpose_x():
    W = torch.tensor([[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]], dtype=torch.float64)  # (1, 3, 2)
    x = torch.tensor([[[1.0, 0.0, 1.0]]], dtype=torch.float64)  # (1, 1, 3)
    np.testing.assert_allclose(hk.hidden_activations(W, x).numpy(), [[[6.0, 8.0]]])
