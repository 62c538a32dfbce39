"""Shares of learned features on polytope fractions (analysis.uniform_geometry), by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from toy_superposition.analysis import uniform_geometry as ug
from toy_superposition.analysis.statistics import wilson_interval


def test_union_length_counts_overlaps_once():
    assert ug.union_length([0.5], 0.02) == pytest.approx(0.04)
    assert ug.union_length([0.3, 0.5], 0.02) == pytest.approx(0.08)  # disjoint
    assert ug.union_length([0.4, 0.375], 0.02) == pytest.approx(0.42 - 0.355)  # 2/5 and 3/8 overlap
    assert ug.union_length([0.5, 0.5, 0.51], 0.02) == pytest.approx(0.53 - 0.48)


def test_chance_rate_of_the_named_fractions_by_hand():
    # windows ±0.02: ¾, ⅔, ½ are 0.04 each; ⅖ ∪ ⅜ = [0.355, 0.42] = 0.065; range [0.355, 0.77] = 0.415
    assert ug.fraction_range() == pytest.approx((0.355, 0.77))
    assert ug.chance_rate() == pytest.approx((3 * 0.04 + 0.065) / 0.415)


def test_polytope_share_by_hand():
    dims = np.array([0.5, 0.51, 0.6, 0.9, 0.3, 0.75, 0.74])
    norm = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 0.2, 0.9])  # the 0.75 is not learned
    share = ug.polytope_share(norm, dims)
    # learned: all but the 6th (6); in range [0.355, 0.77]: 0.5, 0.51, 0.6, 0.74 (4); near: 0.5, 0.51, 0.74 (3)
    assert (share.learned, share.in_range, share.near) == (6, 4, 3)
    assert share.share == pytest.approx(0.75)
    assert (share.share_low, share.share_high) == pytest.approx(wilson_interval(3, 4))
    ratio, low, high = share.over_chance
    assert ratio == pytest.approx(0.75 / ug.chance_rate())
    assert low == pytest.approx(share.share_low / ug.chance_rate())


def test_polytope_share_with_nothing_in_range_is_nan():
    share = ug.polytope_share(np.ones(3), np.array([0.1, 0.2, 0.95]))
    assert (share.learned, share.in_range, share.near) == (3, 0, 0)
    assert math.isnan(share.share) and math.isnan(share.over_chance[0])


def test_uniformly_spread_dimensionalities_hit_at_the_chance_rate():
    dims = np.random.default_rng(1).uniform(*ug.fraction_range(), size=200_000)
    share = ug.polytope_share(np.ones_like(dims), dims)
    assert share.share == pytest.approx(ug.chance_rate(), abs=0.005)


def test_ratio_of_proportions_katz_interval_by_hand():
    ratio, low, high = ug.ratio_of_proportions(20, 50, 10, 50)
    spread = 1.959964 * math.sqrt(1 / 20 - 1 / 50 + 1 / 10 - 1 / 50)
    assert ratio == pytest.approx(2.0)
    assert (low, high) == pytest.approx((2 * math.exp(-spread), 2 * math.exp(spread)))
    assert low > 1.0
    assert all(math.isnan(v) for v in ug.ratio_of_proportions(0, 50, 10, 50))
