"""Loss envelopes per geometry and where they cross, on hand-made tables."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from toy_superposition.geometry_losses import crossings, envelopes


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
