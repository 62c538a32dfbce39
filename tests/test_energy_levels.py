"""The energy-level jump detector against hand-made dimensionality trajectories."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toy_superposition.energy_levels import (
    LEVELS,
    detect_jumps,
    level_name,
    plateaus,
    slope_percentile,
    snap_to_levels,
)

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
