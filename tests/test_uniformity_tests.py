"""Uniformity tests: hand-computed statistics, calibrated p-values under H₀, power against axis alignment."""

from __future__ import annotations

import math

import numpy as np
import pytest

from toy_superposition import axis_alignment as aa
from toy_superposition import uniformity_tests as ut


def test_z_test_of_a_hand_computed_sample():
    # m = 2: σ₀² = 1/2. Values with mean 0.1, N = 50: z = 0.1 · √(50 / 0.5) = 1.
    values = np.full(50, 0.1)
    result = ut.alignment_z_test(values, m=2)
    assert result.statistic == pytest.approx(1.0)
    assert result.p_value == pytest.approx(math.erfc(1 / math.sqrt(2)))
    assert result.n == 50


def test_rayleigh_statistic_of_a_hand_computed_sample():
    # Every angle on an axis: cos 4θ = 1, R̄ = 1, Z = N.
    angles = np.array([0.0, math.pi / 2, math.pi, -math.pi / 2] * 5)
    result = ut.rayleigh_test(angles, harmonic=4)
    assert result.statistic == pytest.approx(20.0)
    assert result.p_value < 1e-6
    # Evenly spread angles: R̄ = 0, p = 1.
    even = np.linspace(0, 2 * math.pi, 37)[:-1]
    assert ut.rayleigh_test(even, harmonic=4).p_value == pytest.approx(1.0)


def test_kuiper_statistic_of_a_hand_computed_sample():
    # Angles at 0, π/2, π, 3π/2 → x = 0, 1/4, 1/2, 3/4: D⁺ = 1/4, D⁻ = 0, V = 1/4.
    result = ut.kuiper_test(np.array([0.0, math.pi / 2, math.pi, 3 * math.pi / 2]))
    assert result.statistic == pytest.approx(0.25)
    # All angles in one spot: V → 1, p tiny.
    assert ut.kuiper_test(np.full(100, 0.3)).p_value < 1e-10


def test_kuiper_tail_is_a_decreasing_probability():
    lams = [0.3, 0.5, 1.0, 1.5, 2.0, 3.0]
    tails = [ut.kuiper_q(lam) for lam in lams]
    assert tails[0] == 1.0 and all(0 <= q <= 1 for q in tails)
    assert all(a >= b for a, b in zip(tails, tails[1:]))
    assert ut.kuiper_q(1.747) == pytest.approx(0.05, abs=0.005)  # Kuiper's 5% critical value


@pytest.mark.parametrize("test", ["z", "rayleigh", "kuiper"])
def test_p_values_are_calibrated_under_uniformity(test):
    rng = np.random.default_rng(11)
    p_values = []
    for _ in range(400):
        theta = rng.uniform(-math.pi, math.pi, size=300)
        if test == "z":
            values = np.cos(4 * theta)
            p_values.append(ut.alignment_z_test(values, 2).p_value)
        elif test == "rayleigh":
            p_values.append(ut.rayleigh_test(theta).p_value)
        else:
            p_values.append(ut.kuiper_test(theta).p_value)
    rejections = np.mean(np.array(p_values) < 0.05)
    assert 0.02 <= rejections <= 0.09  # nominal 5%; binomial sd ≈ 1.1%


def test_tests_detect_axis_aligned_directions():
    rng = np.random.default_rng(3)
    # Directions near the axes: angle = kπ/2 + small noise.
    theta = rng.integers(0, 4, size=300) * math.pi / 2 + rng.normal(scale=0.2, size=300)
    u = np.stack([np.cos(theta), np.sin(theta)], axis=1)
    import torch

    values = aa.axis_alignment(torch.from_numpy(u)).numpy()
    assert ut.alignment_z_test(values, 2).p_value < 1e-6
    assert ut.rayleigh_test(theta).p_value < 1e-6
    assert ut.kuiper_test(theta).p_value < 1e-3


def test_empty_sample_is_an_error():
    with pytest.raises(ValueError):
        ut.kuiper_test(np.array([np.nan]))
