"""Figure ``pressure``: its table holds what analysis.uniform_geometry computes from each
experiment's selected models (tiny ci-sized trainings), and marks the claims' rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from toy_superposition.analysis.uniform_geometry import polytope_share, ratio_of_proportions
from toy_superposition.artifacts import read_parquet
from toy_superposition.figures import render_figure
from toy_superposition.figures.pressure import claim_density, error_bars
from toy_superposition.paths import experiment_paths, figure_paths


@pytest.fixture(scope="module")
def table(config) -> pd.DataFrame:
    paths = figure_paths(config, "pressure")
    render_figure(config, config.figure("pressure"), paths)
    return pd.read_parquet(paths[2])


def test_one_share_row_per_experiment_and_density_from_the_selected_models(config, table):
    shares = table[table["row"] == "share"]
    figure = config.figure("pressure")
    assert len(shares) == sum(len(config.experiment(n).grid["feature_probability"]) for n in figure.experiments)
    for row in shares.itertuples():
        paths = experiment_paths(config, row.experiment)
        instances, features = read_parquet(paths.instances), read_parquet(paths.features)
        chosen = instances[instances["selected"] & np.isclose(instances["feature_probability"], row.feature_probability)]
        mine = features[features["instance"].isin(chosen["instance"])]
        expected = polytope_share(mine["norm"].to_numpy(), mine["dimensionality"].to_numpy())
        assert (row.learned, row.in_range, row.near) == (expected.learned, expected.in_range, expected.near)
        assert row.features == config.experiment(row.experiment).features
        np.testing.assert_allclose(row.d_star, row.hidden / (mine["norm"] ** 2).sum(), rtol=1e-12)


def test_trend_rows_compare_the_largest_with_the_smallest_n(table):
    shares, trends = table[table["row"] == "share"], table[table["row"] == "trend"]
    assert len(trends) == shares["feature_probability"].nunique()
    for row in trends.itertuples():
        here = shares[shares["feature_probability"] == row.feature_probability].sort_values("features")
        low, high = here.iloc[0], here.iloc[-1]
        assert (row.features_low, row.features_high) == (low["features"], high["features"])
        expected = ratio_of_proportions(int(high["near"]), int(high["in_range"]), int(low["near"]), int(low["in_range"]))
        np.testing.assert_allclose([row.ratio, row.ratio_low, row.ratio_high], expected, equal_nan=True)


def test_claim_rows_are_at_the_claims_density(table):
    density = claim_density(table[table["row"] == "share"])
    (trend,) = table[table["claim_id"] == "pressure-cleaner-structure"].itertuples()
    (share,) = table[table["claim_id"] == "pressure-clusters-at-fractions"].itertuples()
    assert trend.row == "trend" and trend.feature_probability == density
    assert share.row == "share" and share.feature_probability == density
    assert share.features == table["features"].max()


def shares(in_range: dict[tuple[int, float], int]) -> pd.DataFrame:
    return pd.DataFrame([{"features": n, "feature_probability": p, "in_range": k} for (n, p), k in in_range.items()])


@pytest.mark.parametrize("in_range, density", [
    ({(100, 0.3): 5, (100, 0.1): 4, (1600, 0.3): 9, (1600, 0.1): 7}, 0.1),    # every density decidable: the sparsest
    ({(100, 0.3): 5, (100, 0.1): 0, (1600, 0.3): 9, (1600, 0.1): 7}, 0.3),    # the smallest n has nothing at 0.1
    ({(100, 0.3): 5, (400, 0.1): 0, (400, 0.2): 3, (1600, 0.2): 2, (1600, 0.3): 1, (100, 0.2): 0,
      (100, 0.1): 6, (1600, 0.1): 0}, 0.3),                                   # a middle n does not count
    ({(100, 0.3): 0, (100, 0.1): 0, (1600, 0.3): 9, (1600, 0.1): 7}, 0.1),    # nothing decidable: the sparsest
])
def test_claim_density_is_the_sparsest_where_both_ends_have_a_share(in_range, density):
    assert claim_density(shares(in_range)) == density


def test_error_bars_are_never_negative_and_nan_stays_nan():
    """A share of 1 whose Wilson upper bound rounds just below it (58 of 58 in the paper run)
    made matplotlib refuse the figure; a density without features keeps NaN (no bar)."""
    one = 1.0
    rows = pd.DataFrame({"share": [one, 0.5, np.nan], "share_low": [0.94, 0.4, np.nan],
                         "share_high": [np.nextafter(one, 0.0), 0.65, np.nan]})
    bars = error_bars(rows)
    np.testing.assert_allclose(bars[:, :2], [[0.06, 0.1], [0.0, 0.15]])
    assert np.isnan(bars[:, 2]).all()
