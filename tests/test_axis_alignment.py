"""Axis alignment a_m(u) of hidden directions: closed-form values, cos 4θ in 2-D, null moments."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from toy_superposition import axis_alignment as aa


def test_axes_give_one_and_diagonals_give_minus_two_over_m():
    for m in (2, 3, 5, 8):
        eye = torch.eye(m, dtype=torch.float64)
        torch.testing.assert_close(aa.axis_alignment(eye), torch.ones(m, dtype=torch.float64))
        torch.testing.assert_close(aa.axis_alignment(-eye), torch.ones(m, dtype=torch.float64))
        diagonal = torch.ones(1, m, dtype=torch.float64)
        assert float(aa.axis_alignment(diagonal)) == pytest.approx(-2.0 / m)
        assert aa.diagonal_value(m) == pytest.approx(-2.0 / m)


def test_hand_computed_three_dimensional_value():
    # u = (1, 1, 0)/√2: Σu⁴ = 1/2, a_3 = (5 · 1/2 − 3) / 2 = −1/4
    u = torch.tensor([[1.0, 1.0, 0.0]], dtype=torch.float64)
    assert float(aa.axis_alignment(u)) == pytest.approx(-0.25)


@settings(deadline=None)  # no per-example deadline: the CPU is shared, a slow example is not a failure
@given(st.floats(min_value=-math.pi, max_value=math.pi, allow_nan=False))
def test_two_dimensional_alignment_is_cos_4_theta(theta):
    u = torch.tensor([[math.cos(theta), math.sin(theta)]], dtype=torch.float64)
    assert float(aa.axis_alignment(u)) == pytest.approx(math.cos(4 * theta), abs=1e-12)
    assert float(aa.angle(u)) == pytest.approx(math.atan2(math.sin(theta), math.cos(theta)), abs=1e-12)


@settings(max_examples=50, deadline=None)
@given(st.integers(min_value=2, max_value=7), st.integers(min_value=0, max_value=2**31 - 1))
def test_alignment_is_invariant_under_signed_permutations_and_scale(m, seed):
    generator = torch.Generator().manual_seed(seed)
    u = torch.randn(4, m, generator=generator, dtype=torch.float64)
    permutation = torch.randperm(m, generator=generator)
    signs = torch.where(torch.rand(m, generator=generator) < 0.5, -1.0, 1.0).double()
    transformed = 3.7 * u[:, permutation] * signs
    torch.testing.assert_close(aa.axis_alignment(transformed), aa.axis_alignment(u))
    values = aa.axis_alignment(u)
    assert bool((values <= 1 + 1e-12).all()) and bool((values >= -2.0 / m - 1e-12).all())


@pytest.mark.parametrize("m", [2, 3, 5, 10])
def test_uniform_directions_have_mean_zero_and_the_stated_variance(m):
    generator = torch.Generator().manual_seed(m)
    u = torch.randn(200_000, m, generator=generator, dtype=torch.float64)
    values = aa.axis_alignment(u).numpy()
    variance = aa.null_variance(m)
    assert abs(values.mean()) < 5 * math.sqrt(variance / values.size)
    assert values.var() == pytest.approx(variance, rel=0.03)


def test_null_variance_of_cos_4_theta_is_one_half():
    assert aa.null_variance(2) == pytest.approx(0.5)
    # 24 / ((m − 1)(m + 4)(m + 6)) by hand: m = 3 → 24/126 = 4/21; m = 5 → 24/396 = 2/33
    assert aa.null_variance(3) == pytest.approx(4 / 21)
    assert aa.null_variance(5) == pytest.approx(2 / 33)
    with pytest.raises(ValueError):
        aa.null_variance(1)
    with pytest.raises(ValueError):
        aa.axis_alignment(torch.ones(3, 1))


def test_basis_direction_takes_the_largest_norm_feature():
    W = torch.tensor([
        [[0.1, 0.0], [0.0, -2.0], [1.0, 1.0]],   # largest: feature 1 → (0, −1)
        [[3.0, 4.0], [0.0, 1.0], [0.0, 0.0]],    # largest: feature 0 → (0.6, 0.8)
        [[0.0, 0.0], [0.0, 0.0], [0.0, 0.0]],    # nothing learned → NaN
    ], dtype=torch.float64)
    u = aa.basis_direction(W)
    torch.testing.assert_close(u[:2], torch.tensor([[0.0, -1.0], [0.6, 0.8]], dtype=torch.float64))
    assert bool(torch.isnan(u[2]).all())
    assert aa.largest_feature(W)[:2].tolist() == [1, 0]


def test_folded_angle_is_zero_on_axes_and_quarter_pi_on_diagonals():
    theta = torch.tensor([0.0, math.pi / 2, -math.pi, math.pi / 4, -3 * math.pi / 4, math.pi / 8], dtype=torch.float64)
    expected = torch.tensor([0.0, 0.0, 0.0, math.pi / 4, math.pi / 4, math.pi / 8], dtype=torch.float64)
    torch.testing.assert_close(aa.folded_angle(theta), expected, atol=1e-12, rtol=0)


def test_feature_alignment_averages_the_represented_features():
    s = 1 / math.sqrt(2)
    W = torch.tensor([
        [[1.0, 0.0], [s, s], [0.1, 0.0]],   # axis (1) and diagonal (−1) represented; the small one not
        [[0.1, 0.0], [0.0, 0.2], [0.0, 0.0]],  # nothing represented
    ], dtype=torch.float64)
    values = aa.feature_alignment(W).numpy()
    assert values[0] == pytest.approx(0.0)
    assert np.isnan(values[1])
