"""The dropout figures' tables hold exactly the numbers recomputed from the trained weights.

(Rendering, byte stability and the PNG checks of every figure are in test_figures.py.)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from toy_superposition import metrics
from toy_superposition.analysis import dropout_kurtosis as hk
from toy_superposition.analysis import dropout_orientation as orientation
from toy_superposition.artifacts import ArtifactError, load_model
from toy_superposition.config import FigureSpec, derive_seed
from toy_superposition.distributions import distribution_for
from toy_superposition.figures import render_figure
from toy_superposition.paths import figure_paths

EXPERIMENTS = ("dropout-2d-sparse", "dropout-2d-dense", "dropout-highdim", "dropout-20-in-5")
HOLDS = {"yes", "partly", "unclear", "no"}


def _table(config, figure: str) -> pd.DataFrame:
    paths = figure_paths(config, figure)
    render_figure(config, config.figure(figure), paths)
    return pd.read_parquet(paths[2])


def _weights(config, name: str) -> torch.Tensor:
    return metrics.embedding_of(load_model(config, name)).double()


def _check_claims(table: pd.DataFrame) -> pd.DataFrame:
    claims = table[table["row"] == "claim"]
    assert len(claims) > 0
    assert set(claims["holds"]) <= HOLDS
    assert claims["measured"].str.len().min() > 0
    return claims


@pytest.mark.parametrize("figure, name", [("dropout-orientation-2d", "dropout-2d-sparse"),
                                          ("dropout-orientation-highdim", "dropout-highdim")])
def test_orientation_tables_hold_u_and_its_alignment(config, figure, name):
    table = _table(config, figure)
    W = _weights(config, name)
    spec = config.experiment(name)
    models = table[table["row"] == "model"].sort_values("instance")
    assert len(models) == spec.n_instances
    u = orientation.basis_direction(W)
    np.testing.assert_allclose(models[["u_0", "u_1"]].to_numpy(), u[:, :2].numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(models["alignment"], orientation.axis_alignment(u).numpy(), rtol=1e-12, atol=1e-12)
    if spec.hidden == 2:
        np.testing.assert_allclose(models["alignment"], np.cos(4 * models["theta"]), atol=1e-9)
    rates = table[table["row"] == "rate"].sort_values("dropout")
    assert rates["dropout"].tolist() == sorted(spec.grid["dropout"])
    near = orientation.NEAR_DEGREES
    np.testing.assert_allclose(models["axis_angle"], orientation.axis_angle(u).numpy(), rtol=1e-12, atol=1e-9)
    baseline = models.loc[models["dropout"] == 0.0, "axis_angle"]
    for row in rates.itertuples():
        sample = models.loc[models["dropout"] == row.dropout, "alignment"]
        assert row.mean == pytest.approx(sample.mean())
        assert row.ci_low <= row.mean <= row.ci_high
        assert row.models == spec.restarts
        angles = models.loc[models["dropout"] == row.dropout, "axis_angle"]
        assert row.axis_share == pytest.approx((angles <= near).mean())
        assert row.axis_vs_baseline == pytest.approx((angles <= near).mean() - (baseline <= near).mean())
        assert row.axis_vs_baseline_low <= row.axis_vs_baseline <= row.axis_vs_baseline_high
        expected = (orientation.ALIGNED if row.axis_vs_baseline_low > 0 else orientation.AVOIDS
                    if row.axis_vs_baseline_high < 0 else orientation.NEUTRAL)
        assert row.regime in (expected, orientation.TOO_FEW)
    _check_claims(table)


def test_orientation_2d_has_snapshot_steps_and_histograms(config):
    table = _table(config, "dropout-orientation-2d")
    steps = table[table["row"] == "step"]
    snapshots = config.experiment("dropout-2d-sparse").training.snapshot_steps
    assert len(snapshots) >= 2 and sorted(steps["step"].unique()) == list(snapshots)
    final = steps[steps["step"] == snapshots[-1]].sort_values("dropout")["mean"].to_numpy()
    rates = table[table["row"] == "rate"].sort_values("dropout")["mean"].to_numpy()
    np.testing.assert_allclose(final, rates, rtol=1e-12)  # the last snapshot is the final model
    histogram = table[table["row"] == "histogram"]
    assert histogram["dropout"].nunique() == len(rates)
    for _, group in histogram.groupby("dropout"):
        widths = group["bin_high"] - group["bin_low"]
        assert float((group["density"] * widths).sum()) == pytest.approx(45.0)  # density integrates to 1 × 45°


def test_dense_figure_compares_with_the_sparse_experiment(config):
    table = _table(config, "dropout-orientation-dense")
    assert set(table.loc[table["row"] == "rate", "experiment"]) == {"dropout-2d-dense", "dropout-2d-sparse"}
    claims = _check_claims(table)
    assert claims["claim"].str.contains("weaker than with sparse").any()


def test_weights_table_holds_the_selected_models(config):
    name = "dropout-highdim"
    table = _table(config, "dropout-weights")
    W = _weights(config, name)
    weights = table[table["row"] == "weight"]
    instances = pd.read_parquet(config.experiment_dir(name) / "instances.parquet")
    selected = set(instances.loc[instances["selected"], "instance"])
    assert set(weights["instance"]) == selected
    for instance, group in weights.groupby("instance"):
        instance = int(instance)
        matrix = group.sort_values(["i", "j"])["value"].to_numpy().reshape(W.shape[1], W.shape[2])
        np.testing.assert_allclose(matrix, W[instance].numpy(), rtol=1e-6)
        assert sorted(group.drop_duplicates("i")["order"]) == list(range(W.shape[1]))
    models = table[table["row"] == "model"].sort_values("instance")
    np.testing.assert_allclose(models["feature_alignment"], orientation.feature_alignment(W).numpy(), rtol=1e-12)
    _check_claims(table)


def test_kurtosis_table_matches_the_library(config):
    name = "dropout-highdim"
    table = _table(config, "dropout-kurtosis")
    spec = config.experiment(name)
    W = _weights(config, name)
    expected = hk.model_kurtosis(W, distribution_for(spec).probability, batch_size=2048,
                                 seed=derive_seed(spec.seed, "kurtosis"))
    models = table[table["row"] == "model"].sort_values("instance")
    for key, values in expected.items():
        np.testing.assert_allclose(models[key], values.numpy(), rtol=1e-10)
    rates = table[table["row"] == "rate"]
    assert set(rates["measure"]) == {"vector", "coordinate"}
    assert bool((rates["excess_ci_low"] <= rates["excess_ci_high"]).all())
    _check_claims(table)


def test_superposition_grid_holds_gram_matrices_and_d_star(config):
    name = "dropout-20-in-5"
    table = _table(config, "dropout-superposition-grid")
    W = _weights(config, name)
    spec = config.experiment(name)
    panels = table[table["row"] == "panel"]
    assert len(panels) == len(spec.grid["feature_probability"]) * len(spec.grid["dropout"])
    assert set(panels["importance_decay"]) == {0.7}
    np.testing.assert_allclose(panels["d_star"], metrics.dimensions_per_feature(W).numpy()[panels["instance"].to_numpy(dtype=np.int64)],
                               rtol=1e-12)
    for instance in panels["instance"].to_numpy(dtype=np.int64):
        gram = table[(table["row"] == "matrix") & (table["quantity"] == "WtW") & (table["instance"] == instance)]
        gram = gram.sort_values(["i", "j"])["value"].to_numpy().reshape(spec.features, spec.features)
        np.testing.assert_allclose(gram, (W[instance] @ W[instance].T).numpy(), rtol=1e-12, atol=1e-15)
    _check_claims(table)


@pytest.mark.parametrize("figure", ["dropout-dims-per-feature", "dropout-importance"])
def test_d_star_figures_hold_every_model_and_the_effects(config, figure):
    name = "dropout-20-in-5"
    table = _table(config, figure)
    W = _weights(config, name)
    models = table[table["row"] == "model"]
    np.testing.assert_allclose(models["d_star"], metrics.dimensions_per_feature(W).numpy()[models["instance"].to_numpy(dtype=np.int64)],
                               rtol=1e-12)
    if figure == "dropout-dims-per-feature":
        assert set(models["importance_decay"]) == {1.0}
    else:
        assert set(models["importance_decay"]) == {1.0, 0.7}
    effects = table[table["row"] == "effect"]
    assert len(effects) > 0
    for row in effects.itertuples():
        cell = models[(models["importance_decay"] == row.importance_decay)
                      & (models["feature_probability"] == row.feature_probability)]
        measure = getattr(row, "measure", "d_star")
        measure = measure if isinstance(measure, str) else "d_star"
        assert row.baseline == pytest.approx(cell.loc[cell["dropout"] == 0.0, measure].mean())
        assert row.value == pytest.approx(cell.loc[cell["dropout"] == row.dropout, measure].mean())
    _check_claims(table)


def test_a_two_dimensional_figure_refuses_other_models(config):
    wrong = FigureSpec(name="dropout-orientation-2d", experiments=("dropout-highdim",))
    with pytest.raises(ArtifactError, match="2-D"):
        render_figure(config, wrong, figure_paths(config, "dropout-orientation-2d"))


def test_uniformity_text_names_every_test_at_rate_zero():
    from toy_superposition.figures.common.dropout import marker_size, uniformity_text

    rates = pd.DataFrame({"dropout": [0.0, 0.5], "models": [500, 500], "p_uniform": [0.4312, 0.0],
                          "p_rayleigh": [0.05, 0.0], "p_kuiper": [0.9, 0.0]})
    text = uniformity_text(rates)
    assert text == ("Uniformity at r = 0 (N = 500): z-test, mean cos 4θ = 0: p = 0.43; Rayleigh (4θ): p = 0.05; "
                    "Kuiper: p = 0.9.")
    # m ≥ 3 tables have only the z-test; without rate 0 there is nothing to say
    assert uniformity_text(rates.drop(columns=["p_rayleigh", "p_kuiper"])).count("p =") == 1
    assert uniformity_text(rates[rates["dropout"] > 0]) == ""
    assert marker_size(500) == pytest.approx(1.5) and marker_size(12) == pytest.approx(10.0)
    assert marker_size(100) == pytest.approx(4.0)
