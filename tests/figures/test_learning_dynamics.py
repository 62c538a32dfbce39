"""The figures of the learning-dynamics, adversarial and L1 sections: their tables hold what
the analyses compute from the artifacts (tiny ci-sized trainings)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from toy_superposition import metrics
from toy_superposition.analysis import learning_dynamics
from toy_superposition.artifacts import load_snapshots
from toy_superposition.figures import render_figure
from toy_superposition.paths import experiment_paths, figure_paths
from toy_superposition.pipeline import stages


def table_of(config, figure: str) -> pd.DataFrame:
    paths = figure_paths(config, figure)
    if not paths[2].exists():
        render_figure(config, config.figure(figure), paths)
    return pd.read_parquet(paths[2])


def selected_instance(config, name: str) -> int:
    instances = pd.read_parquet(experiment_paths(config, name).instances)
    return int(instances[instances["selected"]].sort_values("instance")["instance"].iloc[0])


def test_energy_levels_table_holds_trajectories_and_the_detected_jumps(config):
    name = "energy-levels-uniform"
    table = table_of(config, "energy-levels")
    instances = pd.read_parquet(experiment_paths(config, name).instances).sort_values("instance")
    final = stages.load_model(config, name)["W"][torch.as_tensor(instances["instance"].to_numpy())].double()
    index, clean = learning_dynamics.choose_digon_model(metrics.feature_dimensionality(final).numpy(),
                                                        metrics.feature_norms(final).numpy(),
                                                        instances["final_loss"].to_numpy())
    instance = int(instances["instance"].iloc[index])
    assert (table["instance"] == instance).all() and bool(table["chosen_ends_in_digons"].iloc[0]) == clean
    assert table["restarts"].iloc[0] == len(instances)
    steps, snapshots = load_snapshots(config, name)
    dims = metrics.feature_dimensionality(snapshots["W"][:, instance].double()).numpy()

    rows = table[table["quantity"] == "dimensionality"].sort_values(["step", "feature"])
    assert len(rows) == dims.size
    np.testing.assert_allclose(rows["value"].to_numpy().reshape(dims.shape), dims, rtol=1e-12)
    assert sorted(rows["step"].unique()) == steps.tolist()

    jumps = table[table["quantity"] == "jump"].reset_index(drop=True)
    expected = learning_dynamics.detect_jumps(steps, dims)
    assert len(jumps) == len(expected)
    for column in ("feature", "from_level", "to_level", "start_step", "step", "end_step"):
        np.testing.assert_array_equal(jumps[column].to_numpy(dtype=float), expected[column].to_numpy(dtype=float))
    np.testing.assert_array_equal(jumps["between_nonzero"].astype(bool),
                                  (expected["from_level"] > 0) & (expected["to_level"] > 0))

    losses = table[table["quantity"] == "snapshot_loss"]
    assert len(losses) == len(steps) and (losses["value"] > 0).all()
    curve = pd.read_parquet(experiment_paths(config, name).loss_curve)
    logged = table[table["quantity"] == "training_loss"]
    np.testing.assert_allclose(logged["value"], curve[curve["instance"] == instance].sort_values("step")["loss"])


def test_geometric_transformations_table(config):
    name = "correlated-6-in-3"
    spec = config.experiment(name)
    table = table_of(config, "geometric-transformations")
    model = stages.load_model(config, name)
    restarts = table[table["quantity"] == "restart"].sort_values("instance")
    assert len(restarts) == spec.restarts
    for row in restarts.itertuples():
        assert bool(row.is_octahedron) == learning_dynamics.set_geometry(model["W"][int(row.instance)], spec.set_size).is_cross_polytope

    regimes = table[table["quantity"] == "regime"]
    steps, _ = load_snapshots(config, name)
    assert regimes["step"].iloc[0] == steps[0] and regimes["step"].is_monotonic_increasing

    # the last panel is the final model, only rotated: its Gram matrix is the model's
    instance = selected_instance(config, name)
    embedding = table[table["quantity"] == "embedding"]
    last = embedding[embedding["panel"] == embedding["panel"].iloc[-1]].sort_values("feature")
    W = torch.tensor(last[["x", "y", "z"]].to_numpy())
    final = model["W"][instance].double()
    np.testing.assert_allclose(W @ W.T, final @ final.T, atol=1e-5)


def test_adversarial_table(config):
    name = config.figure("adversarial").experiments[0]
    table = table_of(config, "adversarial")
    instances = pd.read_parquet(experiment_paths(config, name).instances)
    assert sorted(table["instance"]) == sorted(instances[instances["selected"]]["instance"])
    assert (table["attacked_loss"] >= table["clean_loss"]).all()
    assert (table["universal_vulnerability"] <= table["vulnerability"] + 1e-12).all()
    np.testing.assert_allclose(table["vulnerability"], (table["attacked_loss"] - table["clean_loss"]) / table["clean_loss"])
    densest = table.sort_values("inverse_density").iloc[0]
    np.testing.assert_allclose(table["universal_rise_over_densest"],
                               table["universal_vulnerability"] / densest["universal_vulnerability"])
    W = metrics.embedding_of(stages.load_model(config, name)).double()
    d_star = metrics.dimensions_per_feature(W).numpy()[table["instance"].to_numpy()]
    np.testing.assert_allclose(table["d_star"], d_star, rtol=1e-12)
    np.testing.assert_allclose(table["features_per_dimension"], 1 / d_star, rtol=1e-12)
    assert (table["budget"] > 0).all()
    assert table["inverse_density"].is_monotonic_increasing


def test_l1_table(config):
    name = "l1-penalty-80-in-20"
    spec = config.experiment(name)
    table = table_of(config, "l1-superposition")
    summary = table[table["quantity"] == "summary"]
    assert summary["l1_penalty"].tolist() == sorted(spec.grid["l1_penalty"])
    W = metrics.embedding_of(stages.load_model(config, name)).double()
    index = summary["instance"].to_numpy()
    np.testing.assert_array_equal(summary["features_represented"].to_numpy(dtype=int),
                                  metrics.features_represented(W).numpy()[index])
    np.testing.assert_allclose(summary["relative_loss"].iloc[0], 1.0)
    norms = table[table["quantity"] == "norm"]
    assert len(norms) == len(summary) * spec.features
    expected = metrics.feature_norms(W).numpy()
    np.testing.assert_allclose(norms["value"], expected[norms["instance"].to_numpy(dtype=int), norms["feature"].to_numpy(dtype=int)])


def test_too_many_regimes_keep_those_after_the_steepest_drops():
    from toy_superposition.figures.geometric_transformations import _merge_regimes

    steps = np.arange(1.0, 11.0)
    loss = np.linspace(1.0, 0.1, 10)
    regimes = pd.DataFrame({"regime": [0, 1, 2, 3], "start_index": [0, 3, 5, 8], "start_step": [1.0, 4.0, 6.0, 9.0],
                            "end_index": [1, 4, 6, 9], "drop_slope": [np.nan, 0.5, 2.0, 1.0]})
    keep = regimes.iloc[1:].nlargest(2, "drop_slope").index
    merged = _merge_regimes(regimes, sorted(keep), steps, loss)
    assert merged["start_step"].tolist() == [1.0, 6.0, 9.0]
    assert merged["end_index"].tolist() == [4, 7, 9]  # each runs to the next kept regime
    assert merged["regime"].tolist() == [0, 1, 2]


def test_figure_bytes_do_not_depend_on_the_callers_thread_count(config, tmp_path):
    """Snakemake runs a figure with OMP_NUM_THREADS=1, DVC with every core: the tables must agree."""
    outputs = []
    previous = torch.get_num_threads()
    try:
        for threads in (1, 2):
            torch.set_num_threads(threads)
            paths = [tmp_path / f"{threads}.png", tmp_path / f"{threads}.svg", tmp_path / f"{threads}.parquet"]
            render_figure(config, config.figure("energy-levels"), paths)
            outputs.append(paths[2].read_bytes())
            assert torch.get_num_threads() == threads  # restored after the render
    finally:
        torch.set_num_threads(previous)
    assert outputs[0] == outputs[1]
