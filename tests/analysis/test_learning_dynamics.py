"""Tests of analysis.learning_dynamics.

Energy levels — The energy-level jump detector against hand-made dimensionality trajectories.

Loss regimes — Loss-curve regimes: log-slopes, drops and the regimes between them, on hand-made curves.

Trajectories — The loss of each snapshot on one fixed batch (stacking and loading snapshots: tests/test_artifacts.py).

The octahedron attractor — Describing correlated-set configurations and recognising the octahedron, on hand-made embeddings.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from toy_superposition.analysis import learning_dynamics
from toy_superposition.analysis.learning_dynamics import (
    LEVELS,
    Drop,
    cosines,
    detect_jumps,
    find_drops,
    find_regimes,
    level_name,
    log_slope,
    plateaus,
    set_geometry,
    slope_percentile,
    snap_to_levels,
    snapshot_losses,
)
from toy_superposition.config import ExperimentSpec, TrainingConfig
from toy_superposition.distributions import distribution_for

# --- Energy levels -----------------------------------------------------------------------------

STEPS = np.unique(np.round(np.geomspace(1, 10_000, 60)).astype(int))  # 1.17× apart


def test_snap_to_levels_picks_the_level_within_tolerance():
    levels = (0.0, 0.5, 1.0)
    snapped = snap_to_levels(np.array([0.01, 0.2, 0.48, 0.53, 0.96, 1.05]), levels, tolerance=0.03)
    assert snapped.tolist() == [0, -1, 1, -1, -1, -1]


def test_levels_closer_than_twice_the_tolerance_are_refused():
    with pytest.raises(ValueError, match="ambiguous"):
        snap_to_levels(np.zeros(3), (0.4, 0.45), tolerance=0.03)


def test_plateaus_ignore_short_runs_and_merge_across_excursions():
    snapped = np.array([1, 1, 1, 1, -1, 1, 1, 1, 2, 2, 0, 0, 0])
    assert plateaus(snapped, min_length=3) == [(1, 0, 7), (0, 10, 12)]


def test_plateaus_must_last_long_enough_in_steps():
    snapped = np.array([0, 0, 0, 0])
    assert plateaus(snapped, np.array([100, 101, 102, 103]), min_length=3, min_span=1.25) == []
    assert plateaus(snapped, np.array([100, 110, 120, 130]), min_length=3, min_span=1.25) == [(0, 0, 3)]


def test_one_jump_from_a_dedicated_dimension_to_an_antipodal_pair():
    steps = STEPS[:24]
    trajectory = np.r_[np.full(10, 1.0), 0.9, 0.75, 0.6, np.full(11, 0.5)]
    flat = np.zeros(24)  # a feature that stays unlearned: no jump
    jumps = detect_jumps(steps, np.stack([flat, trajectory], axis=1))
    assert len(jumps) == 1
    jump = jumps.iloc[0]
    assert (jump.feature, jump.from_level, jump.to_level) == (1, 1.0, 0.5)
    assert jump.start_step == steps[9]  # last sample at 1
    assert jump.step == steps[12]  # 0.6 is the first value nearer 1/2 than 1 (0.75 is halfway)
    assert jump.end_step == steps[13]  # first sample of the new plateau


def test_a_feature_that_is_learned_and_then_dropped_jumps_twice():
    trajectory = np.r_[np.zeros(8), 0.3, np.full(8, 2 / 3), 0.3, np.zeros(8)]
    jumps = detect_jumps(STEPS[: len(trajectory)], trajectory[:, None])
    assert jumps[["from_level", "to_level"]].to_numpy().tolist() == [[0.0, 2 / 3], [2 / 3, 0.0]]
    assert (jumps["step"] > jumps["start_step"]).all() and (jumps["step"] <= jumps["end_step"]).all()


def test_passing_slowly_through_a_level_is_not_a_plateau():
    """A ramp from 0.1 to 1/2 spends 4 samples in the 2/5 band, but over less than a factor 1.25 in steps."""
    trajectory = np.r_[np.full(20, 0.1), np.linspace(0.1, 0.5, 30), np.full(10, 0.5)]
    steps = np.arange(1000, 1000 + 10 * len(trajectory), 10)
    assert (snap_to_levels(trajectory, tuple(LEVELS)) == 1).sum() == 4  # index 1 is 2/5
    assert detect_jumps(steps, trajectory[:, None]).empty
    # the same ramp on a slower clock does rest on 2/5 long enough: a jump 2/5 → 1/2
    slow = np.geomspace(1, 1e6, len(trajectory)).round()
    assert detect_jumps(slow, trajectory[:, None])[["from_level", "to_level"]].to_numpy().tolist() == [[0.4, 0.5]]


def test_jumps_are_sorted_by_step_then_feature():
    early = np.r_[np.ones(6), np.full(34, 0.5)]
    late = np.r_[np.ones(20), np.full(20, 0.5)]
    jumps = detect_jumps(STEPS[:40], np.stack([late, early, late], axis=1))
    assert jumps["feature"].tolist() == [1, 0, 2]
    assert jumps["step"].is_monotonic_increasing


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(sorted(LEVELS)), min_size=1, max_size=6),
       st.lists(st.integers(min_value=0, max_value=1_000_000), min_size=6, max_size=6))
def test_detector_recovers_the_level_changes_of_any_step_function(levels, noise_seeds):
    """Long flat runs (with noise below the tolerance) on known levels: the jumps are the level changes."""
    rng = np.random.default_rng(noise_seeds[0])
    run = 8
    values = np.concatenate([np.full(run, level) for level in levels])
    values = values + rng.uniform(-0.02, 0.02, size=values.shape)
    steps = np.arange(1, len(values) + 1) * 10 + np.arange(len(values)) ** 3  # spans grow: runs last > 1.25×
    jumps = detect_jumps(steps, values[:, None])
    changes = [(a, b) for a, b in zip(levels, levels[1:]) if a != b]
    assert len(jumps) == len(changes)
    np.testing.assert_allclose(jumps[["from_level", "to_level"]].to_numpy().reshape(-1, 2),
                               np.asarray(changes, dtype=float).reshape(-1, 2))


def test_slope_percentile_ranks_the_interval_of_each_step():
    steps = np.array([1, 2, 4, 8, 16])
    slope = np.array([0.1, 0.9, 0.3, 0.5])  # intervals (1,2], (2,4], (4,8], (8,16]
    ranks = slope_percentile(steps, slope, np.array([2, 3, 16]))
    assert ranks.tolist() == [0.0, 0.75, 0.5]


def test_level_names():
    assert [level_name(v) for v in (0.0, 0.4, 0.5, 2 / 3, 0.75, 1.0, 0.123)] == ["0", "2/5", "1/2", "2/3", "3/4", "1", "0.123"]

# --- Loss regimes ------------------------------------------------------------------------------

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

# --- Trajectories ------------------------------------------------------------------------------

def spec(**changes) -> ExperimentSpec:
    base = ExperimentSpec(name="t", model="relu_output", features=4, hidden=2, grid={"feature_probability": (0.5, 1.0)},
                          training=TrainingConfig(steps=3, batch_size=8, snapshot_steps=(1, 3), compile=False,
                                                  device="cpu", eval_batches=1))
    return dataclasses.replace(base, **changes)


def test_snapshot_losses_by_hand():
    """W = 0 and b = 0 output 0, so the loss is mean I x²; b = 1 with x ∈ [0, 1) gives mean I (1 − x)²."""
    experiment = spec()
    dist = distribution_for(experiment)
    params = {"W": torch.zeros(2, 2, 4, 2), "b": torch.stack([torch.zeros(2, 4), torch.ones(2, 4)])}
    losses = snapshot_losses(experiment, params, dist, [0, 1], batch_size=20_000)
    assert losses.shape == (2, 2)
    # E[x²] = p/3 for x = U[0,1) with probability p; E[(1 − x)²] = (1 − p) + p/3
    np.testing.assert_allclose(losses[0], [0.5 / 3, 1.0 / 3], rtol=0.03)
    np.testing.assert_allclose(losses[1], [0.5 + 0.5 / 3, 1.0 / 3], rtol=0.03)
    again = snapshot_losses(experiment, params, dist, [1], batch_size=20_000)
    np.testing.assert_array_equal(again[:, 0], losses[:, 1])  # one fixed batch per instance, seeded


# --- The octahedron attractor ------------------------------------------------------------------

E = torch.eye(3, dtype=torch.float64)


def rotation(seed: int) -> torch.Tensor:
    Q, _ = torch.linalg.qr(torch.randn(3, 3, generator=torch.Generator().manual_seed(seed), dtype=torch.float64))
    return Q


def test_the_cross_set_octahedron_is_recognised_in_any_orientation():
    W = torch.cat([E, -E[[2, 0, 1]]])  # set 2 antipodal to set 1, in another order
    geometry = set_geometry(W @ rotation(0), set_size=3)
    assert geometry.is_cross_polytope
    assert geometry.represented == 6
    assert geometry.antipodal_pairs == 3 and geometry.cross_set_antipodal_pairs == 3
    assert geometry.within_set_cosine == pytest.approx((0.0, 0.0), abs=1e-12)


def test_antipodes_within_a_set_are_not_the_attractor():
    W = torch.stack([E[0], -E[0], E[1], E[2], -E[1], -E[2]])  # sets {e1, −e1, e2}, {e3, −e2, −e3}
    geometry = set_geometry(W, set_size=3)
    assert geometry.antipodal_pairs == 3
    assert geometry.cross_set_antipodal_pairs == 1  # only (e2, −e2) joins the two sets
    assert not geometry.is_cross_polytope


def test_collapsed_sets_are_the_pca_solution():
    W = torch.cat([E[[0, 0, 0]], -E[[0, 0, 0]]]) * 0.6
    geometry = set_geometry(W, set_size=3)
    assert geometry.within_set_cosine == pytest.approx((1.0, 1.0))
    assert geometry.represented == 6
    assert not geometry.is_cross_polytope


def test_an_unlearned_feature_breaks_the_octahedron():
    W = torch.cat([E, -E])
    W[4] *= 0.3
    assert not set_geometry(W, set_size=3).is_cross_polytope


def test_a_tilted_pair_is_not_antipodal():
    W = torch.cat([E, -E])
    W[3] = torch.tensor([-1.0, 0.5, 0.0], dtype=torch.float64)  # cos with e1 ≈ −0.89
    geometry = set_geometry(W, set_size=3)
    assert geometry.antipodal_pairs == 2 and not geometry.is_cross_polytope


def test_cosines_of_zero_rows_are_zero():
    c = cosines(torch.tensor([[1.0, 0.0], [0.0, 0.0]], dtype=torch.float64))
    assert c.tolist() == [[1.0, 0.0], [0.0, 0.0]]


def test_set_size_must_divide_n():
    with pytest.raises(ValueError):
        set_geometry(torch.zeros(5, 3), set_size=3)


def test_only_jumps_between_non_zero_levels_are_energy_level_jumps():
    jumps = pd.DataFrame({"from_level": [0.0, 0.5, 1.0, 0.5], "to_level": [0.5, 2 / 3, 0.5, 0.0]})
    assert learning_dynamics.between_nonzero_levels(jumps).tolist() == [False, True, True, False]


def test_the_followed_model_is_the_lowest_loss_one_ending_in_digons():
    # three restarts, two learned features each (‖W‖ > 0.5) and one not learned
    norms = np.array([[1.0, 1.0, 0.1], [1.0, 1.0, 0.0], [1.0, 1.0, 0.2]])
    dims = np.array([[0.5, 2 / 3, 0.0], [0.51, 0.49, 0.0], [0.5, 0.5, 0.3]])  # restart 0 has a triangle feature
    assert learning_dynamics.digon_count(dims[0], norms[0]) == (2, 1)
    assert learning_dynamics.digon_count(dims[2], norms[2]) == (2, 2)  # the unlearned feature's D_i does not matter
    index, clean = learning_dynamics.choose_digon_model(dims, norms, np.array([0.1, 0.3, 0.2]))
    assert (index, clean) == (2, True)  # restart 0 has the lowest loss but does not end in digons
    index, clean = learning_dynamics.choose_digon_model(dims[:1], norms[:1], np.array([0.1]))
    assert (index, clean) == (0, False)
