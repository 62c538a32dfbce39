"""Regime classification and the transition rate on synthetic alignment curves."""

from __future__ import annotations

import math

import numpy as np
import pytest

from toy_superposition import dropout_regimes as dr
from toy_superposition.bootstrap_ci import Interval


def test_regime_of_an_interval():
    assert dr.regime(Interval(-0.3, -0.4, -0.1)) == dr.AVOIDS
    assert dr.regime(Interval(0.3, 0.1, 0.4)) == dr.ALIGNED
    assert dr.regime(Interval(0.0, -0.1, 0.1)) == dr.NEUTRAL


def test_transition_rate_interpolates_the_last_upward_crossing():
    rates = np.array([0.0, 0.2, 0.4, 0.6, 0.8])
    # crosses up at 0.1 (between 0 and 0.2), down again, then up between 0.4 and 0.6 at 0.5
    means = np.array([-0.1, 0.1, -0.2, 0.2, 0.5])
    assert dr.transition_rate(rates, means) == pytest.approx(0.5)
    assert math.isnan(dr.transition_rate(rates, np.array([0.1, 0.2, 0.3, 0.1, -0.1])))
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
    rates, values = _synthetic({0.0: -0.2, 0.5: -0.3, 0.9: -0.1}, seed=2)
    transition, defined = dr.transition_interval(rates, values, resamples=300)
    assert math.isnan(transition.estimate) and defined < 0.05
