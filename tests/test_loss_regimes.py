"""Loss-curve regimes: log-slopes, drops and the regimes between them, on hand-made curves."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toy_superposition.loss_regimes import Drop, find_drops, find_regimes, log_slope


@settings(max_examples=30, deadline=None)
@given(st.floats(min_value=-2.0, max_value=3.0), st.floats(min_value=1e-3, max_value=10.0))
def test_a_power_law_has_a_constant_log_slope(exponent, scale):
    steps = np.geomspace(1, 1e4, 25)
    loss = scale * steps ** (-exponent)
    np.testing.assert_allclose(log_slope(steps, loss), exponent, atol=1e-9)
    np.testing.assert_allclose(log_slope(steps, loss, smooth=3), exponent, atol=1e-9)


def test_log_slope_by_hand_and_its_smoothing():
    steps = np.array([1.0, 10.0, 100.0, 1000.0])
    loss = np.array([1.0, 1.0, 0.01, 0.01])  # flat, a fall of two decades in one decade, flat
    assert log_slope(steps, loss).tolist() == pytest.approx([0.0, 2.0, 0.0])
    assert log_slope(steps, loss, smooth=3).tolist() == pytest.approx([1.0, 2 / 3, 1.0])


@pytest.mark.parametrize("steps, loss, smooth", [
    ([1, 1, 2], [1, 1, 1], 1), ([0, 1, 2], [1, 1, 1], 1), ([1, 2, 3], [1, 0, 1], 1), ([1, 2, 3], [1, 1, 1], 2),
])
def test_log_slope_rejects_bad_input(steps, loss, smooth):
    with pytest.raises(ValueError):
        log_slope(np.asarray(steps, dtype=float), np.asarray(loss, dtype=float), smooth)


def test_find_drops_takes_runs_above_the_fraction_of_the_steepest():
    slope = np.array([0.0, 0.6, 1.0, 0.2, 0.0, 0.55, 0.4, 0.0])
    assert find_drops(slope, threshold=0.5) == [Drop(1, 2, 2), Drop(5, 5, 5)]
    assert find_drops(slope, threshold=0.9) == [Drop(2, 2, 2)]
    assert find_drops(np.array([0.0, -0.1])) == []  # the loss never falls


def test_two_sudden_drops_make_three_regimes():
    steps = np.geomspace(1, 1e4, 41)  # 10 samples per decade
    log_t = np.log10(steps)
    # plateaus at 1, 0.1 and 0.01; each drop is a decade of loss over a tenth of a decade of steps
    loss = 10 ** (-np.clip((log_t - 1.0) / 0.1, 0, 1) - np.clip((log_t - 3.0) / 0.1, 0, 1))
    regimes = find_regimes(steps, loss, threshold=0.5, smooth=1)
    assert regimes["regime"].tolist() == [0, 1, 2]
    np.testing.assert_allclose(regimes["start_step"], [1.0, steps[11], steps[31]])
    np.testing.assert_allclose(regimes["end_step"], [steps[10], steps[30], steps[40]])
    np.testing.assert_allclose(regimes["start_loss"], [1.0, 0.1, 0.01])
    assert np.isnan(regimes["drop_peak_step"].iloc[0])
    np.testing.assert_allclose(regimes["drop_peak_step"].iloc[1:], [np.sqrt(steps[10] * steps[11]),
                                                                    np.sqrt(steps[30] * steps[31])])
    np.testing.assert_allclose(regimes["drop_slope"].iloc[1:], [10.0, 10.0])


def test_a_curve_without_drops_is_one_regime():
    steps = np.arange(1.0, 20.0)
    regimes = find_regimes(steps, np.ones_like(steps))
    assert len(regimes) == 1 and regimes["start_step"].iloc[0] == 1.0 and regimes["end_step"].iloc[0] == 19.0
