"""Percentile bootstrap: determinism, hand-checkable cases, coverage."""

from __future__ import annotations

import numpy as np
import pytest

from toy_superposition.bootstrap_ci import (
    Interval,
    bootstrap_ci,
    bootstrap_difference_ci,
    bootstrap_mean_ci,
    resample_indices,
)


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
