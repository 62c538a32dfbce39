"""D*, D*_count and the dropout effect ΔD* on hand-built weights and synthetic tables."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch

from toy_superposition.analysis import dropout_superposition as ds


def test_count_dimensions_per_feature_ignores_a_global_shrinkage():
    # Two orthogonal features and one tiny one in m = 2: D*_count = 2 / 2 = 1 at any scale.
    W = torch.tensor([[[1.0, 0.0], [0.0, 1.0], [0.01, 0.0]]], dtype=torch.float64)
    for scale in (1.0, 0.5, 0.1):
        assert float(ds.count_dimensions_per_feature(scale * W)) == pytest.approx(1.0)
    # while D* = m / ‖W‖²_F grows as the norms shrink: 2 / (0.25 · 2.0001)
    shrunk = 0.5 * W
    assert float(2 / shrunk.square().sum()) == pytest.approx(2 / (0.25 * 2.0001))
    # a pentagon in 2-D: five features, D*_count = 2/5
    pentagon = torch.tensor([[[math.cos(2 * math.pi * k / 5), math.sin(2 * math.pi * k / 5)] for k in range(5)]],
                            dtype=torch.float64)
    assert float(ds.count_dimensions_per_feature(pentagon)) == pytest.approx(0.4)
    assert math.isinf(float(ds.count_dimensions_per_feature(torch.zeros(1, 3, 2))))


def test_superposition_table_follows_the_instance_order():
    W = torch.tensor([[[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, 0.0]]], dtype=torch.float64)
    instances = pd.DataFrame({
        "instance": [1, 0], "setting": [0, 0], "restart": [1, 0], "selected": [False, True],
        "feature_probability": [0.5, 0.5], "importance_decay": [1.0, 1.0], "dropout": [0.0, 0.0],
        "final_loss": [0.2, 0.1],
    })
    table = ds.superposition_table(W, instances)
    assert table["instance"].tolist() == [0, 1]
    np.testing.assert_allclose(table["d_star"], [1.0, 2.0])
    np.testing.assert_allclose(table["d_star_count"], [1.0, 2.0])
    assert table["features_represented"].tolist() == [2, 1]


def _synthetic(delta_by_cell: dict[tuple[float, float], float], restarts: int = 6) -> pd.DataFrame:
    """D* = 1 + small jitter at r = 0 and 1 + delta + jitter at r = 0.5, per (decay, probability)."""
    rng = np.random.default_rng(0)
    rows = []
    for (decay, probability), delta in delta_by_cell.items():
        for rate, shift in ((0.0, 0.0), (0.5, delta)):
            for _ in range(restarts):
                rows.append({"importance_decay": decay, "feature_probability": probability, "dropout": rate,
                             "d_star": 1.0 + shift + rng.normal(scale=0.01)})
    return pd.DataFrame(rows)


def test_dropout_effects_give_the_difference_of_means_and_verdicts():
    models = _synthetic({(1.0, 1.0): 0.5, (1.0, 0.1): 0.3, (0.7, 1.0): -0.4, (0.7, 0.1): 0.0})
    effects = ds.dropout_effects(models).set_index(["importance_decay", "feature_probability"])
    for key, expected in (((1.0, 1.0), 0.5), ((1.0, 0.1), 0.3), ((0.7, 1.0), -0.4)):
        assert effects.loc[key, "delta"] == pytest.approx(expected, abs=0.03)
        assert effects.loc[key, "restarts"] == 6
    assert effects.loc[(1.0, 1.0), "verdict"] == ds.INHIBITS
    assert effects.loc[(0.7, 1.0), "verdict"] == ds.PROMOTES
    cell = effects.loc[(0.7, 0.1)]
    assert cell["ci_low"] <= cell["delta"] <= cell["ci_high"]
    delta = effects["value"] - effects["baseline"]
    np.testing.assert_allclose(effects["delta"], delta, atol=1e-12)


def test_the_readers_claim_on_data_that_has_it_and_on_data_that_does_not():
    has_it = ds.dropout_effects(_synthetic({(1.0, 1.0): 0.5, (1.0, 0.1): 0.3, (0.7, 1.0): -0.3, (0.7, 0.1): 0.4}))
    assert ds.inhibition_claim(has_it, 1.0, "I=1")["holds"] == "yes"
    assert ds.inhibition_claim(has_it, 0.7, "sparse", dense_only=False)["holds"] == "yes"
    assert ds.exception_claim(has_it, 0.7, "exception")["holds"] == "yes"
    assert ds.inhibition_claim(has_it, 0.7, "all")["holds"] == "partly"

    lacks_it = ds.dropout_effects(_synthetic({(1.0, 1.0): 0.5, (0.7, 1.0): 0.5}))
    exception = ds.exception_claim(lacks_it, 0.7, "exception")
    assert exception["holds"] == "no" and exception["measured"].startswith("0 of 1 (")
    assert ds.inhibition_claim(lacks_it, 0.3, "no such profile")["holds"] == "no"
