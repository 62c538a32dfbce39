"""Tests of analysis.dropout_orientation.

Axis alignment — Axis alignment a_m(u) of hidden directions: closed-form values, cos 4θ in 2-D, null moments.

Regimes by dropout rate — Regime classification and the transition rate on synthetic alignment curves.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from toy_superposition.analysis import dropout_orientation as orientation
from toy_superposition.analysis.statistics import Interval

# --- Axis alignment ----------------------------------------------------------------------------

def test_axes_give_one_and_diagonals_give_minus_two_over_m():
    for m in (2, 3, 5, 8):
        eye = torch.eye(m, dtype=torch.float64)
        torch.testing.assert_close(orientation.axis_alignment(eye), torch.ones(m, dtype=torch.float64))
        torch.testing.assert_close(orientation.axis_alignment(-eye), torch.ones(m, dtype=torch.float64))
        diagonal = torch.ones(1, m, dtype=torch.float64)
        assert float(orientation.axis_alignment(diagonal)) == pytest.approx(-2.0 / m)
        assert orientation.diagonal_value(m) == pytest.approx(-2.0 / m)


def test_hand_computed_three_dimensional_value():
    # u = (1, 1, 0)/√2: Σu⁴ = 1/2, a_3 = (5 · 1/2 − 3) / 2 = −1/4
    u = torch.tensor([[1.0, 1.0, 0.0]], dtype=torch.float64)
    assert float(orientation.axis_alignment(u)) == pytest.approx(-0.25)


@settings(deadline=None)  # no per-example deadline: the CPU is shared, a slow example is not a failure
@given(st.floats(min_value=-math.pi, max_value=math.pi, allow_nan=False))
def test_two_dimensional_alignment_is_cos_4_theta(theta):
    u = torch.tensor([[math.cos(theta), math.sin(theta)]], dtype=torch.float64)
    assert float(orientation.axis_alignment(u)) == pytest.approx(math.cos(4 * theta), abs=1e-12)
    assert float(orientation.angle(u)) == pytest.approx(math.atan2(math.sin(theta), math.cos(theta)), abs=1e-12)


@settings(max_examples=50, deadline=None)
@given(st.integers(min_value=2, max_value=7), st.integers(min_value=0, max_value=2**31 - 1))
def test_alignment_is_invariant_under_signed_permutations_and_scale(m, seed):
    generator = torch.Generator().manual_seed(seed)
    u = torch.randn(4, m, generator=generator, dtype=torch.float64)
    permutation = torch.randperm(m, generator=generator)
    signs = torch.where(torch.rand(m, generator=generator) < 0.5, -1.0, 1.0).double()
    transformed = 3.7 * u[:, permutation] * signs
    torch.testing.assert_close(orientation.axis_alignment(transformed), orientation.axis_alignment(u))
    values = orientation.axis_alignment(u)
    assert bool((values <= 1 + 1e-12).all()) and bool((values >= -2.0 / m - 1e-12).all())


@pytest.mark.parametrize("m", [2, 3, 5, 10])
def test_uniform_directions_have_mean_zero_and_the_stated_variance(m):
    generator = torch.Generator().manual_seed(m)
    u = torch.randn(200_000, m, generator=generator, dtype=torch.float64)
    values = orientation.axis_alignment(u).numpy()
    variance = orientation.null_variance(m)
    assert abs(values.mean()) < 5 * math.sqrt(variance / values.size)
    assert values.var() == pytest.approx(variance, rel=0.03)


def test_null_variance_of_cos_4_theta_is_one_half():
    assert orientation.null_variance(2) == pytest.approx(0.5)
    # 24 / ((m − 1)(m + 4)(m + 6)) by hand: m = 3 → 24/126 = 4/21; m = 5 → 24/396 = 2/33
    assert orientation.null_variance(3) == pytest.approx(4 / 21)
    assert orientation.null_variance(5) == pytest.approx(2 / 33)
    with pytest.raises(ValueError):
        orientation.null_variance(1)
    with pytest.raises(ValueError):
        orientation.axis_alignment(torch.ones(3, 1))


def test_basis_direction_takes_the_largest_norm_feature():
    W = torch.tensor([
        [[0.1, 0.0], [0.0, -2.0], [1.0, 1.0]],   # largest: feature 1 → (0, −1)
        [[3.0, 4.0], [0.0, 1.0], [0.0, 0.0]],    # largest: feature 0 → (0.6, 0.8)
        [[0.0, 0.0], [0.0, 0.0], [0.0, 0.0]],    # nothing learned → NaN
    ], dtype=torch.float64)
    u = orientation.basis_direction(W)
    torch.testing.assert_close(u[:2], torch.tensor([[0.0, -1.0], [0.6, 0.8]], dtype=torch.float64))
    assert bool(torch.isnan(u[2]).all())
    assert orientation.largest_feature(W)[:2].tolist() == [1, 0]


def test_folded_angle_is_zero_on_axes_and_quarter_pi_on_diagonals():
    theta = torch.tensor([0.0, math.pi / 2, -math.pi, math.pi / 4, -3 * math.pi / 4, math.pi / 8], dtype=torch.float64)
    expected = torch.tensor([0.0, 0.0, 0.0, math.pi / 4, math.pi / 4, math.pi / 8], dtype=torch.float64)
    torch.testing.assert_close(orientation.folded_angle(theta), expected, atol=1e-12, rtol=0)


def test_feature_alignment_averages_the_represented_features():
    s = 1 / math.sqrt(2)
    W = torch.tensor([
        [[1.0, 0.0], [s, s], [0.1, 0.0]],   # axis (1) and diagonal (−1) represented; the small one not
        [[0.1, 0.0], [0.0, 0.2], [0.0, 0.0]],  # nothing represented
    ], dtype=torch.float64)
    values = orientation.feature_alignment(W).numpy()
    assert values[0] == pytest.approx(0.0)
    assert np.isnan(values[1])

# --- Regimes by dropout rate -------------------------------------------------------------------

def test_regime_of_an_interval():
    assert orientation.regime(Interval(-0.3, -0.4, -0.1), models=100) == orientation.AVOIDS
    assert orientation.regime(Interval(0.3, 0.1, 0.4), models=100) == orientation.ALIGNED
    assert orientation.regime(Interval(0.0, -0.1, 0.1), models=100) == orientation.NEUTRAL
    # one model's zero-width "interval" below 0 decides nothing
    assert orientation.regime(Interval(-0.2, -0.2, -0.2), models=1) == orientation.TOO_FEW
    assert orientation.regime(Interval(-0.2, -0.3, -0.1), models=orientation.MIN_MODELS) == orientation.AVOIDS


def test_a_rate_with_too_few_defined_models_counts_neither_for_nor_against_a_claim():
    # Aligned at 0.6 and 0.75; at 0.9 only one model has a defined alignment (the others
    # represent no feature), and it happens to point off the axes.
    rates, values = _synthetic({0.0: 0.0, 0.3: -0.3, 0.6: 0.5, 0.75: 0.4}, per_rate=200, seed=4)
    rates = np.concatenate([rates, np.full(200, 0.9)])
    values = np.concatenate([values, [-0.5], np.full(199, np.nan)])
    summary = orientation.alignment_by_rate(rates, values, m=2)
    last = summary.iloc[-1]
    assert last["regime"] == orientation.TOO_FEW and last["models"] == 1
    transition, _ = orientation.transition_interval(rates, values, resamples=300)
    claims = orientation.regime_claims(summary, transition, uniform_p=0.5).set_index("kind")
    above = claims.loc["high"]
    assert above["holds"] == "yes" and "2 of 2 rates" in above["measured"]
    assert "r=0.9: too few models (1)" in above["measured"]
    row = orientation.threshold_claim(summary, "W aligned above 50% only")
    assert row["holds"] == "yes" and "2 of 2 rates above" in row["measured"]
    # a rate where no model is defined at all is a row too, not an error
    empty = orientation.alignment_by_rate(np.array([0.0] * 20 + [0.9] * 3), np.r_[np.zeros(20), [np.nan] * 3], m=2)
    assert empty["regime"].tolist()[-1] == orientation.TOO_FEW and empty["models"].tolist()[-1] == 0


def test_transition_rate_is_the_upward_crossing_below_the_peak():
    rates = np.array([0.0, 0.2, 0.4, 0.6, 0.8])
    # crosses up at 0.1 (between 0 and 0.2), down again, then up between 0.4 and 0.6 at 0.5 to the peak
    means = np.array([-0.1, 0.1, -0.2, 0.2, 0.5])
    assert orientation.transition_rate(rates, means) == pytest.approx(0.5)
    # rises to a peak at 0.6 and falls again at 0.8: the onset is still the crossing below the peak
    assert orientation.transition_rate(rates, np.array([-0.2, -0.1, 0.3, 0.4, -0.1])) == pytest.approx(0.2 + 0.2 * 0.25)
    assert math.isnan(orientation.transition_rate(rates, np.array([-0.1, -0.2, 0.0, -0.1, -0.1])))
    assert orientation.transition_rate(rates, np.array([0.1, 0.2, 0.3, 0.1, -0.1])) == 0.0
    assert orientation.transition_rate(rates, np.full(5, 0.3)) == 0.0


def _synthetic(means: dict[float, float], per_rate: int = 400, seed: int = 0):
    """cos 4θ-like values: mean ``means[r]``, sd ≈ 0.7, clipped to [−1, 1] (then re-centred)."""
    rng = np.random.default_rng(seed)
    rates, values = [], []
    for rate, mean in means.items():
        sample = np.clip(rng.normal(size=per_rate) * 0.7, -1, 1)
        values.append(sample - sample.mean() + mean)
        rates.append(np.full(per_rate, rate))
    return np.concatenate(rates), np.concatenate(values)


def test_the_posts_three_regimes_are_recovered_from_data_that_has_them():
    means = {0.0: 0.0, 0.1: -0.3, 0.2: -0.3, 0.3: -0.2, 0.4: -0.1, 0.6: 0.4, 0.8: 0.7}
    rates, values = _synthetic(means)
    summary = orientation.alignment_by_rate(rates, values, m=2)
    assert summary["dropout"].tolist() == sorted(means)
    assert summary["models"].tolist() == [400] * len(means)
    np.testing.assert_allclose(summary["mean"], list(means.values()), atol=1e-12)
    assert summary["regime"].tolist() == [orientation.NEUTRAL] + [orientation.AVOIDS] * 4 + [orientation.ALIGNED] * 2
    transition, defined = orientation.transition_interval(rates, values, resamples=500)
    assert transition.estimate == pytest.approx(0.4 + 0.2 * 0.1 / 0.5)
    assert transition.low <= transition.estimate <= transition.high and defined == 1.0
    claims = orientation.regime_claims(summary, transition, uniform_p=0.5)
    assert claims["holds"].tolist() == ["yes", "yes", "yes", "yes"]


def test_claims_fail_when_the_data_contradict_them():
    # Aligned everywhere, even without dropout: no uniform start, and dropout changes nothing —
    # judged against the r = 0 baseline, no rate avoids or aligns with the axes.
    means = {0.0: 0.3, 0.2: 0.3, 0.4: 0.3, 0.6: 0.3}
    rates, values = _synthetic(means, seed=1)
    summary = orientation.alignment_by_rate(rates, values, m=2)
    transition, _ = orientation.transition_interval(rates, values, resamples=300)
    zero_p = summary.loc[summary["dropout"] == 0.0, "p_uniform"].item()
    claims = orientation.regime_claims(summary, transition, uniform_p=zero_p).set_index("kind")
    assert claims["holds"].tolist()[:3] == ["no", "no", "no"]
    assert claims.loc["transition", "holds"] in ("no", "unclear")  # a flat curve crosses its baseline only by noise
    assert "0 of 2 rates avoids axes" in claims.loc["low", "measured"]
    # against 0 (no baseline in the data) the same rates are aligned
    no_baseline = orientation.alignment_by_rate(rates[rates > 0], values[rates > 0], m=2)
    assert (no_baseline["regime"] == orientation.ALIGNED).all()


def test_a_curve_that_never_rises_above_its_baseline_has_no_transition():
    rates, values = _synthetic({0.0: 0.0, 0.5: -0.3, 0.9: -0.15}, seed=2)
    transition, defined = orientation.transition_interval(rates, values, resamples=300)
    assert math.isnan(transition.estimate) and defined < 0.05
    # −0.2 → −0.15 does rise above the r = 0 mean: an onset, between 0.5 and 0.9
    rates, values = _synthetic({0.0: -0.2, 0.5: -0.3, 0.9: -0.15}, seed=2)
    transition, _ = orientation.transition_interval(rates, values, resamples=300)
    assert transition.estimate == pytest.approx(0.5 + 0.4 * 0.1 / 0.15)


def test_angles_to_the_nearest_axis_and_diagonal_by_hand():
    s = 1 / math.sqrt(2)
    u = torch.tensor([[1.0, 0.0], [s, s], [math.cos(math.radians(12)), math.sin(math.radians(12))],
                      [0.0, -3.0], [1.0, 1.0 / math.sqrt(3)]], dtype=torch.float64)
    torch.testing.assert_close(orientation.axis_angle(u), torch.tensor([0.0, 45.0, 12.0, 0.0, 30.0], dtype=torch.float64))
    torch.testing.assert_close(orientation.diagonal_angle(u), torch.tensor([45.0, 0.0, 33.0, 45.0, 15.0],
                                                                           dtype=torch.float64))
    # m = 3: an axis is arccos(1/√3) ≈ 54.7° from every main diagonal, and (1, 1, 0)/√2 is 45° from the axes
    three = torch.tensor([[0.0, 0.0, 2.0], [1.0, 1.0, 0.0], [1.0, -1.0, 1.0]], dtype=torch.float64)
    torch.testing.assert_close(orientation.axis_angle(three), torch.tensor(
        [0.0, 45.0, math.degrees(math.acos(1 / math.sqrt(3)))], dtype=torch.float64))
    torch.testing.assert_close(orientation.diagonal_angle(three)[[0, 2]], torch.tensor(
        [math.degrees(math.acos(1 / math.sqrt(3))), 0.0], dtype=torch.float64))


def _directions(degrees: np.ndarray) -> torch.Tensor:
    theta = torch.as_tensor(np.radians(degrees), dtype=torch.float64)
    return torch.stack([torch.cos(theta), torch.sin(theta)], dim=-1)


def test_shares_tell_aligned_from_off_axis_and_avoiding_from_diagonal():
    """cos 4θ calls 12° off an axis "aligned" (cos 48° = +0.67) and cannot tell a spread that
    avoids axes and diagonals alike from one on the diagonals; the 5° shares against r = 0 can."""
    rng = np.random.default_rng(7)
    n = 300
    groups = {
        0.0: rng.uniform(0, 360, n),                             # baseline: uniform, 1/9 within 5° of each
        0.2: rng.uniform(5.5, 39.5, n) + 90 * rng.integers(0, 4, n),  # between axes and diagonals
        0.4: 45 + 90 * rng.integers(0, 4, n) + rng.normal(0, 1, n),  # on the diagonals
        0.6: 12 + 90 * rng.integers(0, 4, n) + rng.normal(0, 1, n),  # 12° off an axis
        0.8: 90 * rng.integers(0, 4, n) + rng.normal(0, 1, n),       # on the axes
    }
    rates = np.concatenate([np.full(n, r) for r in groups])
    u = _directions(np.concatenate(list(groups.values())))
    summary = orientation.alignment_by_rate(rates, orientation.axis_alignment(u).numpy(), m=2,
                                            axis_angles=orientation.axis_angle(u).numpy(),
                                            diagonal_angles=orientation.diagonal_angle(u).numpy()).set_index("dropout")
    assert summary.loc[0.6, "mean"] > 0.6  # the mean alone would call 12° off an axis aligned
    assert summary["regime"].tolist() == [orientation.NEUTRAL, orientation.AVOIDS, orientation.AVOIDS,
                                          orientation.AVOIDS, orientation.ALIGNED]
    assert summary["towards_diagonals"].tolist() == [False, False, True, False, False]
    assert summary.loc[0.8, "axis_share"] == 1.0 and summary.loc[0.6, "axis_share"] == 0.0
    base = summary.loc[0.0, "axis_share"]
    assert abs(base - 1 / 9) < 0.06 and summary.loc[0.8, "axis_vs_baseline"] == pytest.approx(1 - base)
    low, high = summary.loc[0.8, ["axis_vs_baseline_low", "axis_vs_baseline_high"]]
    assert 0 < low < 1 - base < high


def test_transition_claim_is_partly_met_by_a_late_onset_with_an_early_crossing():
    # Aligned first at 0.45 (about 50%), but the mean turns positive already near 0.2.
    summary = pd.DataFrame({
        "dropout": [0.0, 0.15, 0.3, 0.45, 0.6], "mean": [-0.1, -0.01, 0.05, 0.4, 0.5],
        "ci_low": [-0.2, -0.1, -0.05, 0.3, 0.4], "ci_high": [0.0, 0.08, 0.15, 0.5, 0.6],
        "regime": [orientation.NEUTRAL, orientation.NEUTRAL, orientation.NEUTRAL, orientation.ALIGNED, orientation.ALIGNED],
    })
    claims = orientation.regime_claims(summary, Interval(0.18, 0.08, 0.32), uniform_p=0.5).set_index("kind")
    row = claims.loc["transition"]
    assert row["holds"] == "partly" and "first aligned rate 0.45" in row["measured"]


def test_effect_strength_is_near_zero_for_uniform_directions_at_any_sample_size():
    rng = np.random.default_rng(5)
    for n in (30, 300):
        rates = np.repeat([0.0, 0.3, 0.6], n)
        values = np.cos(4 * rng.uniform(-np.pi, np.pi, size=rates.size))
        strength = orientation.effect_strength(rates, values, resamples=500)
        assert strength.low == 0.0  # the interval reaches 0: no effect detected
        assert strength.estimate < 2.5 * np.sqrt(0.5 / n)  # within sampling noise of cos 4θ's mean
    # a real effect: means 0.4 and −0.3 at the two rates > 0 → RMS √((0.16 + 0.09)/2) ≈ 0.354
    rates, values = _synthetic({0.0: 0.0, 0.3: 0.4, 0.6: -0.3}, per_rate=400, seed=3)
    strength = orientation.effect_strength(rates, values, resamples=500)
    assert strength.estimate == pytest.approx(np.sqrt((0.16 + 0.09) / 2), abs=0.01)
    assert strength.low > 0.3
    weaker = orientation.weaker_claim(Interval(0.05, 0.0, 0.1), strength, "dense weaker")
    assert weaker["holds"] == "yes"
    assert orientation.weaker_claim(strength, Interval(0.05, 0.0, 0.1), "x")["holds"] == "no"
