"""Tests of analysis.statistics.

Bootstrap intervals — Percentile bootstrap: determinism, hand-checkable cases, coverage.

Uniformity tests of directions — Uniformity tests: hand-computed statistics, calibrated p-values under H₀, power against axis alignment.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from toy_superposition.analysis import dropout_orientation as orientation
from toy_superposition.analysis import statistics as ut
from toy_superposition.analysis.statistics import (
    Interval,
    bootstrap_ci,
    bootstrap_difference_ci,
    bootstrap_mean_ci,
    proportion_difference,
    resample_indices,
)

# --- Bootstrap intervals -----------------------------------------------------------------------

def test_constant_sample_has_a_zero_width_interval():
    interval = bootstrap_mean_ci(np.full(50, 2.5))
    assert (interval.estimate, interval.low, interval.high) == (2.5, 2.5, 2.5)


def test_two_point_sample_matches_the_binomial_quantiles():
    # values 0 and 1, N = 2: a resample mean is 0, 1/2, 1 with probability 1/4, 1/2, 1/4,
    # so the 2.5% and 97.5% quantiles are 0 and 1.
    interval = bootstrap_mean_ci(np.array([0.0, 1.0]), resamples=4000)
    assert interval.estimate == 0.5 and interval.low == 0.0 and interval.high == 1.0


def test_same_seed_same_interval_and_nan_values_are_dropped():
    values = np.random.default_rng(1).normal(size=300)
    with_nan = np.concatenate([values, [np.nan, np.inf]])
    assert bootstrap_mean_ci(values, seed=3) == bootstrap_mean_ci(with_nan, seed=3)
    assert bootstrap_mean_ci(values, seed=3) != bootstrap_mean_ci(values, seed=4)
    with pytest.raises(ValueError):
        bootstrap_mean_ci(np.array([np.nan]))


def test_interval_width_matches_the_normal_theory_for_a_large_sample():
    values = np.random.default_rng(0).normal(loc=1.0, scale=2.0, size=2000)
    interval = bootstrap_mean_ci(values)
    standard_error = values.std(ddof=1) / np.sqrt(values.size)
    assert interval.high - interval.low == pytest.approx(2 * 1.96 * standard_error, rel=0.1)
    assert interval.low < values.mean() < interval.high


def test_coverage_of_the_true_mean_is_near_95_percent():
    rng = np.random.default_rng(7)
    covered = sum(
        not bootstrap_mean_ci(rng.exponential(size=200), resamples=1000, seed=k).excludes(1.0) for k in range(200)
    )
    assert 175 <= covered <= 199  # 95% of 200 = 190; binomial sd ≈ 3


def test_custom_statistic_and_difference():
    values = np.arange(11, dtype=float)
    median = bootstrap_ci(values, statistic=lambda s: np.median(s, axis=-1))
    assert median.estimate == 5.0
    difference = bootstrap_difference_ci(np.full(30, 3.0), np.full(40, 1.0))
    assert (difference.estimate, difference.low, difference.high) == (2.0, 2.0, 2.0)


def test_resample_indices_are_in_range():
    idx = resample_indices(7, 100, seed=0)
    assert idx.shape == (100, 7) and idx.min() >= 0 and idx.max() <= 6


def test_interval_excludes_and_formats():
    interval = Interval(0.5, 0.1, 0.9)
    assert interval.excludes(0.0) and interval.excludes(1.0) and not interval.excludes(0.5)
    assert str(interval) == "+0.500 [+0.100, +0.900]"

# --- Uniformity tests of directions ------------------------------------------------------------

def test_z_test_of_a_hand_computed_sample():
    # m = 2: σ₀² = 1/2. Values with mean 0.1, N = 50: z = 0.1 · √(50 / 0.5) = 1.
    values = np.full(50, 0.1)
    result = orientation.alignment_z_test(values, m=2)
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
            p_values.append(orientation.alignment_z_test(values, 2).p_value)
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

    values = orientation.axis_alignment(torch.from_numpy(u)).numpy()
    assert orientation.alignment_z_test(values, 2).p_value < 1e-6
    assert ut.rayleigh_test(theta).p_value < 1e-6
    assert ut.kuiper_test(theta).p_value < 1e-3


def test_empty_sample_is_an_error():
    with pytest.raises(ValueError):
        ut.kuiper_test(np.array([np.nan]))


def test_newcombe_difference_interval_matches_his_worked_example():
    # Newcombe (1998), Statistics in Medicine 17: 873, example (a): 56/70 − 48/80, method 10: +0.0524 to +0.3339
    difference, low, high = proportion_difference(56, 70, 48, 80)
    assert difference == pytest.approx(0.2) and low == pytest.approx(0.0524, abs=1e-4)
    assert high == pytest.approx(0.3339, abs=1e-4)
    # example (h): 0/10 − 0/10, the difference is 0 and the interval symmetric, −0.2775 to +0.2775
    difference, low, high = proportion_difference(0, 10, 0, 10)
    assert difference == 0 and low == pytest.approx(-0.2775, abs=1e-4) and high == pytest.approx(0.2775, abs=1e-4)
    assert all(math.isnan(v) for v in proportion_difference(1, 0, 1, 5))
