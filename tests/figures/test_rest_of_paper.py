"""The issue-14 figures: each figure's table holds the numbers it plots, recomputed here from the
stage outputs (tiny ci training) or from the analysis functions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from toy_superposition import metrics
from toy_superposition.analysis.nonlinear_compression import linear_mse, reconstruction_mse
from toy_superposition.analysis.phase_change import classify_2_in_1, exact_optimum, expected_loss
from toy_superposition.analysis.uniform_geometry import tegum_decomposition
from toy_superposition.artifacts import load_model
from toy_superposition.figures import render_figure
from toy_superposition.paths import experiment_paths, figure_paths


def table_of(config, figure: str) -> pd.DataFrame:
    paths = figure_paths(config, figure)
    render_figure(config, config.figure(figure), paths)
    return pd.read_parquet(paths[2])


def selected(config, name: str) -> pd.DataFrame:
    instances = pd.read_parquet(experiment_paths(config, name).instances)
    return instances[instances["selected"]]


def test_nonlinear_compression_table_is_the_exact_mse(config):
    table = table_of(config, "nonlinear-compression")
    assert set(table["units"]) == {"bin", "absolute"}
    assert len(table) == 2 * table["Z"].nunique() * table["eps"].nunique()
    for row in table.sample(5, random_state=0).itertuples():
        error = reconstruction_mse(int(row.Z), row.eps, row.units)
        assert row.mse == pytest.approx(error.mse, rel=1e-12)
    assert (table["mse_keep_one"] == linear_mse("keep_one").mse).all()
    assert (table["wins"] == (table["mse"] < 1 / 24)).all()


def test_phase_2_in_1_exact_table(config):
    table = table_of(config, "phase-2-in-1-exact")
    grid = table[table["row"] == "grid"]
    spec = config.experiment("phase-2-in-1")
    assert len(grid) == len(spec.grid["feature_probability"]) * len(spec.grid["extra_feature_importance"])
    for row in grid.sample(3, random_state=1).itertuples():
        assert row.exact_free_phase == exact_optimum(row.p, row.r).phase
        assert row.exact_free_loss == pytest.approx(float(expected_loss(row.exact_free_w1, row.exact_free_w2, row.p,
                                                                         row.r)), rel=1e-12)
        if row.exact_bias_phase:  # the with-bias optimum is never above the bias-free one
            assert row.exact_bias_loss <= row.exact_free_loss + 1e-12
    point = table[table["row"] == "point"].iloc[0]
    np.testing.assert_allclose([point["w1"], point["w2"]], [0.5**0.5, 0.5**0.5], atol=1e-6)
    trained = table[table["row"] == "trained"]
    assert set(trained["model"]) == {"relu_output", "relu_output_bias_free"}
    # the lowest-loss model's phase is the classification of its stored weights
    W = load_model(config, "phase-2-in-1")["W"][:, :, 0].double().numpy()
    instances = pd.read_parquet(experiment_paths(config, "phase-2-in-1").instances)
    best = instances.sort_values(["final_loss", "instance"]).groupby("setting").first()
    ours = trained[trained["model"] == "relu_output"].set_index("setting")
    for setting, row in best.iterrows():
        assert ours.loc[setting, "selected_phase"] == classify_2_in_1(*W[int(row["instance"])])
    agree = ours["agree_exact_free"] == (ours["phase"] == ours["exact_free_phase"])
    assert agree.all()
    assert (table[table["row"] == "surface_minimum"]["n_minima"] >= 1).all()


def test_activation_phase_diagrams_table(config):
    table = table_of(config, "activation-phase-diagrams")
    points = table[table["row"] == "point"]
    assert set(points["activation"]) == {"relu", "gelu", "silu", "tanh"}
    sizes = points.groupby("activation").size()
    assert sizes.nunique() == 1  # ReLU is read at the other diagrams' points
    relu = points[points["activation"] == "relu"].set_index(["p", "r"])["phase"]
    for row in points[points["activation"] != "relu"].itertuples():
        assert row.relu_phase == relu.loc[(row.p, row.r)]
        assert row.differs_from_relu == (row.phase != row.relu_phase)
    summary = table[table["row"] == "summary"].set_index("activation")
    for activation, group in points.groupby("activation"):
        both = group["phase"].isin(["superposition", "confused"]).mean()
        assert summary.loc[activation, "share_polysemantic"] == pytest.approx(both)


def test_uniform_scaling_table_equals_metrics(config):
    table = table_of(config, "uniform-scaling")
    for name in config.figure("uniform-scaling").experiments:
        rows = table[table["experiment"] == name].sort_values("instance")
        W = metrics.embedding_of(load_model(config, name)).double()
        index = rows["instance"].to_numpy()
        assert sorted(index) == sorted(selected(config, name)["instance"])
        np.testing.assert_allclose(rows["d_star"], metrics.dimensions_per_feature(W).numpy()[index], rtol=1e-12)
        np.testing.assert_allclose(rows["features_learned"], W.square().sum(dim=(1, 2)).numpy()[index], rtol=1e-12)
    reference = table[table["experiment"] == "uniform-400-in-30"]
    np.testing.assert_allclose(reference["d_star_ratio"], 1.0, rtol=1e-12)  # interpolated at its own points
    assert not reference["compared"].any()


def test_tegum_products_table_is_each_models_decomposition(config):
    table = table_of(config, "tegum-products")
    models = table[table["row"] == "model"]
    features = table[table["row"] == "feature"]
    for name in config.figure("tegum-products").experiments:
        chosen = selected(config, name)
        assert sorted(models[models["experiment"] == name]["instance"]) == sorted(chosen["instance"])
        W = metrics.embedding_of(load_model(config, name)).double()
        instance = int(chosen["instance"].iloc[-1])
        decomposition = tegum_decomposition(W[instance])
        mine = features[(features["experiment"] == name) & (features["instance"] == instance)]
        assert len(mine) == sum(g.size for g in decomposition.groups)
        row = models[(models["experiment"] == name) & (models["instance"] == instance)].iloc[0]
        assert row["cross_share"] == pytest.approx(decomposition.cross_share)
    histogram = table[table["row"] == "cos_histogram"]
    learned = features.groupby(["experiment", "instance"]).size()
    assert histogram["count"].sum() == int((learned * (learned - 1) / 2).sum())


def test_pentagon_importance_table(config):
    table = table_of(config, "pentagon-importance")
    spec = config.experiment("pentagon-importance")
    assert len(table) == spec.n_instances * spec.features
    assert (table.groupby("instance")["is_extra"].sum() == 1).all()
    W = load_model(config, "pentagon-importance")["W"].double()
    extra = table[table["is_extra"]].set_index("instance")["extra_norm"]
    np.testing.assert_allclose(extra.sort_index(), W[:, -1].norm(dim=-1).numpy(), rtol=1e-6)
    radius = np.hypot(table["x"], table["y"]).to_numpy()
    np.testing.assert_allclose(radius, np.hypot(table["w_x"], table["w_y"]).to_numpy(), rtol=1e-9)  # a rotation


def test_adversarial_training_table(config):
    table = table_of(config, "adversarial-training")
    spec = config.experiment("adversarial-training")
    assert len(table) == spec.n_instances
    W = load_model(config, "adversarial-training")["W"].double()
    np.testing.assert_allclose(table.sort_values("instance")["features_per_dimension"],
                               W.square().sum(dim=(1, 2)).numpy() / spec.hidden, rtol=1e-12)
    assert sorted(table["adversarial_fraction"].unique()) == sorted(spec.grid["adversarial_fraction"])


def test_relu_hidden_bias_table(config):
    table = table_of(config, "relu-hidden-bias")
    neurons = table[table["row"] == "neuron"]
    for name in config.figure("relu-hidden-bias").experiments:
        spec = config.experiment(name)
        mine = neurons[neurons["experiment"] == name]
        assert len(mine) == spec.n_instances * spec.hidden
        params = load_model(config, name)
        expected_bias = params["b_hidden"] if "b_hidden" in params else torch.zeros(spec.n_instances, spec.hidden)
        np.testing.assert_allclose(mine.sort_values(["instance", "neuron"])["bias"], expected_bias.flatten().numpy(),
                                   rtol=1e-6)
        norms = params["W"].double().norm(dim=1).flatten().numpy()
        np.testing.assert_allclose(mine.sort_values(["instance", "neuron"])["weight_norm"], norms, rtol=1e-6)
    assert neurons["clipped"].between(0, 1).all()
    assert (neurons["linear"] == (neurons["clipped"] <= 0.01)).all()
    shares = table[table["row"] == "share"]
    assert (shares["linear_mixed"] <= shares["used_mixed"]).all()
