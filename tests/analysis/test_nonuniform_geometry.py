"""Tests of analysis.nonuniform_geometry.

Correlated and anticorrelated feature sets — Arrangements of correlated / anticorrelated feature sets on hand-built weights.

Where two geometries' losses cross — Loss envelopes per geometry and where they cross, on hand-made tables.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from toy_superposition.analysis.nonuniform_geometry import (
    ANTIPODAL,
    COLLAPSED,
    MIXED,
    NOT_LEARNED,
    ORTHOGONAL,
    SIDE_BY_SIDE,
    arrangement,
    cosines,
    crossings,
    envelopes,
    local_dimensionality,
    overlap_by_block,
    pc_share,
    set_of,
)

# --- Correlated and anticorrelated feature sets ------------------------------------------------

def at(*degrees: float) -> np.ndarray:
    angles = np.radians(degrees)
    return np.stack([np.cos(angles), np.sin(angles)], axis=1)


def labels(W, set_size):
    return [row["label"] for row in arrangement(W, set_size)]


def test_set_membership():
    np.testing.assert_array_equal(set_of(6, 2), [0, 0, 1, 1, 2, 2])
    with pytest.raises(ValueError, match="divide"):
        set_of(5, 2)


def test_correlated_pairs_orthogonal():
    # pair A at 0°, 90°; pair B at 180°, 270°: each pair orthogonal, pairs antipodal to each other
    assert labels(at(0, 90, 180, 270), 2) == [ORTHOGONAL, ORTHOGONAL]


def test_anticorrelated_pairs_antipodal():
    assert labels(at(0, 180, 90, 270), 2) == [ANTIPODAL, ANTIPODAL]


def test_hexagon_with_pairs_side_by_side_and_collapsed_pairs():
    hexagon = at(0, 60, 120, 180, 240, 300)  # pairs (0°,60°), (120°,180°), (240°,300°)
    assert labels(hexagon, 2) == [SIDE_BY_SIDE] * 3
    collapsed = at(10, 12, 130, 131, 250, 251)
    assert labels(collapsed, 2) == [COLLAPSED] * 3


def test_triples_side_by_side_need_contiguity():
    contiguous = at(0, 60, 120, 180, 240, 300)  # set 0 = 0..120°, set 1 = 180..300°
    assert labels(contiguous, 3) == [SIDE_BY_SIDE, SIDE_BY_SIDE]
    interleaved = at(0, 120, 240, 60, 180, 300)  # each set is a triangle, interleaved
    assert labels(interleaved, 3) == [MIXED, MIXED]


def test_unlearned_set():
    W = np.vstack([at(0, 90), [[0.1, 0.0], [0.0, 0.2]]])
    rows = arrangement(W, 2)
    assert rows[1]["label"] == NOT_LEARNED and rows[1]["learned"] == 0
    assert math.isnan(rows[1]["mean_cos"])


@pytest.mark.parametrize("degrees,share", [(0, 1.0), (60, 0.75), (90, 0.5), (180, 0.0)])
def test_pc_share(degrees, share):
    W = at(0, degrees) * np.array([[1.0], [1.0]])
    assert pc_share(W, 0, 1) == pytest.approx(share, abs=1e-12)


def test_pc_share_of_nothing_is_nan():
    assert math.isnan(pc_share(np.zeros((2, 2)), 0, 1))


def test_local_dimensionality():
    # Two sets of two in 2-D: each set orthogonal inside, sets overlapping (45° apart).
    W = np.vstack([at(0, 90), at(45, 135)])
    np.testing.assert_allclose(local_dimensionality(W, 2), 1.0)
    # the global dimensionality is lower: every feature overlaps the other set
    within, between = overlap_by_block(W, 2)
    assert within == pytest.approx(0.0, abs=1e-12)
    assert between == pytest.approx(math.cos(math.pi / 4))
    # signed: between-set cosines are +cos45° three times and −cos45° once (0° vs 135°)
    assert overlap_by_block(W, 2, signed=True) == pytest.approx((0.0, math.cos(math.pi / 4) / 2), abs=1e-12)
    anti = at(0, 180, 90, 270)
    assert overlap_by_block(anti, 2, signed=True) == pytest.approx((-1.0, 0.0), abs=1e-12)
    # an antipodal pair inside a set has D^set = 1/2
    np.testing.assert_allclose(local_dimensionality(at(0, 180), 2), 0.5)


def test_cosines_of_zero_rows():
    cos = cosines(np.array([[1.0, 0.0], [0.0, 0.0]]))
    np.testing.assert_allclose(cos, [[1.0, 0.0], [0.0, 0.0]])


def test_expected_arrangement():
    from toy_superposition.analysis.nonuniform_geometry import expected_arrangement

    assert expected_arrangement("correlated", 2, 2) == ORTHOGONAL
    assert expected_arrangement("correlated", 3, 2) == SIDE_BY_SIDE
    assert expected_arrangement("anticorrelated", 2, 2) == ANTIPODAL
    with pytest.raises(ValueError):
        expected_arrangement("independent", 1, 2)

# --- Where two geometries' losses cross --------------------------------------------------------

def test_envelope_is_the_lowest_loss_per_geometry():
    table = pd.DataFrame({
        "x": [0.1, 0.1, 0.1, 0.2, 0.2],
        "loss": [3.0, 1.0, 2.0, 5.0, 4.0],
        "geometry": ["a", "a", "b", "b", "b"],
    })
    wide = envelopes(table, "x", "loss", "geometry")
    assert wide.loc[0.1, "a"] == 1.0 and wide.loc[0.1, "b"] == 2.0
    assert math.isnan(wide.loc[0.2, "a"]) and wide.loc[0.2, "b"] == 4.0


def test_crossing_is_interpolated_in_log_x():
    x = np.array([0.01, 0.1, 1.0])
    first = np.array([1.0, 3.0, 5.0])
    second = np.array([2.0, 2.0, 2.0])  # first − second: −1, +1, +3 → crossing halfway in log between 0.01 and 0.1
    np.testing.assert_allclose(crossings(x, first, second), [10 ** -1.5])


def test_no_bracket_without_adjacent_values():
    x = np.array([0.01, 0.1, 1.0])
    first = np.array([1.0, np.nan, 5.0])
    second = np.array([2.0, 2.0, 2.0])
    assert crossings(x, first, second).size == 0


def test_several_crossings_and_exact_zeros():
    x = np.geomspace(0.01, 1.0, 5)
    diff = np.array([-1.0, 0.0, 1.0, -1.0, -2.0])
    found = crossings(x, diff, np.zeros(5))
    assert len(found) == 2
    assert found[0] == pytest.approx(x[1])
    assert x[2] < found[1] < x[3]
