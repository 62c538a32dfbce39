"""Regime classification and the transition rate on synthetic alignment curves."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from toy_superposition import dropout_regimes as dr
from toy_superposition.bootstrap_ci import Interval


def test_regime_of_an_interval():
    assert dr.regime(Interval(-0.3, -0.4, -0.1), models=100) == dr.AVOIDS
    assert dr.regime(Interval(0.3, 0.1, 0.4), models=100) == dr.ALIGNED
    assert dr.regime(Interval(0.0, -0.1, 0.1), models=100) == dr.NEUTRAL
    # one model's zero-width "interval" below 0 decides nothing
    assert dr.regime(Interval(-0.2, -0.2, -0.2), models=1) == dr.TOO_FEW
    assert dr.regime(Interval(-0.2, -0.3, -0.1), models=dr.MIN_MODELS) == dr.AVOIDS


def test_a_rate_with_too_few_defined_models_counts_neither_for_nor_against_a_claim():
    # Aligned at 0.6 and 0.75; at 0.9 only one model has a defined alignment (the others
    # represent no feature), and it happens to point off the axes.
    rates, values = _synthetic({0.0: 0.0, 0.3: -0.3, 0.6: 0.5, 0.75: 0.4}, per_rate=200, seed=4)
    rates = np.concatenate([rates, np.full(200, 0.9)])
    values = np.concatenate([values, [-0.5], np.full(199, np.nan)])
    summary = dr.alignment_by_rate(rates, values, m=2)
    last = summary.iloc[-1]
    assert last["regime"] == dr.TOO_FEW and last["models"] == 1
    transition, _ = dr.transition_interval(rates, values, resamples=300)
    claims = dr.regime_claims(summary, transition, uniform_p=0.5).set_index("claim")
    above = claims.loc["dropout above 50%: aligned with the axes"]
    assert above["holds"] == "yes" and "2 of 2 rates" in above["measured"]
    assert "r=0.9: too few models (1)" in above["measured"]
    row = dr.threshold_claim(summary, "W aligned above 50% only")
    assert row["holds"] == "yes" and "2 of 2 rates above" in row["measured"]
    # a rate where no model is defined at all is a row too, not an error
    empty = dr.alignment_by_rate(np.array([0.0] * 20 + [0.9] * 3), np.r_[np.zeros(20), [np.nan] * 3], m=2)
    assert empty["regime"].tolist()[-1] == dr.TOO_FEW and empty["models"].tolist()[-1] == 0


def test_transition_rate_is_the_upward_crossing_below_the_peak():
    rates = np.array([0.0, 0.2, 0.4, 0.6, 0.8])
    # crosses up at 0.1 (between 0 and 0.2), down again, then up between 0.4 and 0.6 at 0.5 to the peak
    means = np.array([-0.1, 0.1, -0.2, 0.2, 0.5])
    assert dr.transition_rate(rates, means) == pytest.approx(0.5)
    # rises to a peak at 0.6 and falls again at 0.8: the onset is still the crossing below the peak
    assert dr.transition_rate(rates, np.array([-0.2, -0.1, 0.3, 0.4, -0.1])) == pytest.approx(0.2 + 0.2 * 0.25)
    assert math.isnan(dr.transition_rate(rates, np.array([-0.1, -0.2, 0.0, -0.1, -0.1])))
    assert dr.transition_rate(rates, np.array([0.1, 0.2, 0.3, 0.1, -0.1])) == 0.0
    assert dr.transition_rate(rates, np.full(5, 0.3)) == 0.0


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
    summary = dr.alignment_by_rate(rates, values, m=2)
    assert summary["dropout"].tolist() == sorted(means)
    assert summary["models"].tolist() == [400] * len(means)
    np.testing.assert_allclose(summary["mean"], list(means.values()), atol=1e-12)
    assert summary["regime"].tolist() == [dr.NEUTRAL] + [dr.AVOIDS] * 4 + [dr.ALIGNED] * 2
    transition, defined = dr.transition_interval(rates, values, resamples=500)
    assert transition.estimate == pytest.approx(0.4 + 0.2 * 0.1 / 0.5)
    assert transition.low <= transition.estimate <= transition.high and defined == 1.0
    claims = dr.regime_claims(summary, transition, uniform_p=0.5)
    assert claims["holds"].tolist() == ["yes", "yes", "yes", "yes"]


def test_claims_fail_when_the_data_contradict_them():
    # Aligned everywhere, even without dropout: no uniform start, no avoidance at low rates.
    means = {0.0: 0.3, 0.2: 0.3, 0.4: 0.3, 0.6: 0.3}
    rates, values = _synthetic(means, seed=1)
    summary = dr.alignment_by_rate(rates, values, m=2)
    transition, _ = dr.transition_interval(rates, values, resamples=300)
    zero_p = summary.loc[summary["dropout"] == 0.0, "p_uniform"].item()
    claims = dr.regime_claims(summary, transition, uniform_p=zero_p).set_index("claim")
    assert claims["holds"].tolist() == ["no", "no", "yes", "no"]
    assert "0 of 2 rates avoids axes" in claims["measured"].iloc[1]


def test_a_curve_that_never_turns_positive_has_no_transition():
    rates, values = _synthetic({0.0: -0.2, 0.5: -0.3, 0.9: -0.15}, seed=2)
    transition, defined = dr.transition_interval(rates, values, resamples=300)
    assert math.isnan(transition.estimate) and defined < 0.05


def test_transition_claim_is_partly_met_by_a_late_onset_with_an_early_crossing():
    # Aligned first at 0.45 (about 50%), but the mean turns positive already near 0.2.
    summary = pd.DataFrame({
        "dropout": [0.0, 0.15, 0.3, 0.45, 0.6], "mean": [-0.1, -0.01, 0.05, 0.4, 0.5],
        "ci_low": [-0.2, -0.1, -0.05, 0.3, 0.4], "ci_high": [0.0, 0.08, 0.15, 0.5, 0.6],
        "regime": [dr.NEUTRAL, dr.NEUTRAL, dr.NEUTRAL, dr.ALIGNED, dr.ALIGNED],
    })
    claims = dr.regime_claims(summary, Interval(0.18, 0.08, 0.32), uniform_p=0.5).set_index("claim")
    row = claims.loc["transition to alignment at about 50%"]
    assert row["holds"] == "partly" and "first aligned rate 0.45" in row["measured"]


def test_effect_strength_is_near_zero_for_uniform_directions_at_any_sample_size():
    rng = np.random.default_rng(5)
    for n in (30, 300):
        rates = np.repeat([0.0, 0.3, 0.6], n)
        values = np.cos(4 * rng.uniform(-np.pi, np.pi, size=rates.size))
        strength = dr.effect_strength(rates, values, resamples=500)
        assert strength.low == 0.0  # the interval reaches 0: no effect detected
        assert strength.estimate < 2.5 * np.sqrt(0.5 / n)  # within sampling noise of cos 4θ's mean
    # a real effect: means 0.4 and −0.3 at the two rates > 0 → RMS √((0.16 + 0.09)/2) ≈ 0.354
    rates, values = _synthetic({0.0: 0.0, 0.3: 0.4, 0.6: -0.3}, per_rate=400, seed=3)
    strength = dr.effect_strength(rates, values, resamples=500)
    assert strength.estimate == pytest.approx(np.sqrt((0.16 + 0.09) / 2), abs=0.01)
    assert strength.low > 0.3
    weaker = dr.weaker_claim(Interval(0.05, 0.0, 0.1), strength, "dense weaker")
    assert weaker["holds"] == "yes"
    assert dr.weaker_claim(strength, Interval(0.05, 0.0, 0.1), "x")["holds"] == "no"
