"""The phase-change and non-uniform-geometry figures: their tables hold what the library computes
from the trained weights (tiny training on the ci profile; byte stability and rendering of
every figure are tested in test_figures.py)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from toy_superposition import feature_sets, stages
from toy_superposition.artifacts import figure_paths
from toy_superposition.config import load_config, with_training
from toy_superposition.figures import figure_scripts, render_figure
from toy_superposition.phase_diagram import candidates_for

FIGURES = ("phase-2-in-1", "phase-3-in-2", "pentagon-perturbation", "correlated-m2", "anticorrelated-m2",
           "correlated-collapse", "local-orthogonal-bases")


@pytest.fixture(scope="module")
def config(tmp_path_factory):
    base = load_config(profile="ci")
    needed = sorted({name for figure in FIGURES for name in base.figure(figure).experiments})
    experiments = {name: with_training(base.experiments[name], steps=40, batch_size=64, eval_batches=1, log_every=10,
                                       compile=False, device="cpu") for name in needed}
    cfg = dataclasses.replace(base, results_dir=str(tmp_path_factory.mktemp("results")), experiments=experiments,
                              figures={name: base.figure(name) for name in FIGURES})
    for name in needed:
        stages.run_data(cfg, name)
        stages.run_train(cfg, name, progress=False)
        stages.run_metrics(cfg, name)
    return cfg


def _table(config, figure) -> pd.DataFrame:
    paths = figure_paths(config, figure)
    render_figure(config, config.figure(figure), paths)
    return pd.read_parquet(paths[2])


def _weights(config, experiment):
    return stages.load_model(config, experiment)["W"].double().numpy()


@pytest.mark.parametrize("figure", ["phase-2-in-1", "phase-3-in-2"])
def test_phase_table(config, figure):
    table = _table(config, figure)
    spec = config.experiment(config.figure(figure).experiments[0])
    assert len(table) == len(spec.grid["feature_probability"]) * len(spec.grid["extra_feature_importance"])
    assert (table["models_kept"] == spec.restarts - 1).all()
    fractions = table[[c for c in table.columns if c.startswith("fraction_")]].sum(axis=1)
    np.testing.assert_allclose(fractions, 1.0)
    assert table["agreement"].iloc[0] == pytest.approx(table["agree"].mean())
    candidates, _ = candidates_for(spec.features)
    for row in table.to_dict("records"):
        p = np.full(spec.features, row["feature_probability"])
        importance = np.ones(spec.features)
        importance[-1] = row["extra_importance"]
        losses = [c.expected_loss(p, importance) for c in candidates]
        recorded = [row[f"theory_loss {c.name}"] for c in candidates]
        np.testing.assert_allclose(recorded, losses, rtol=1e-12)
        assert row["theory_candidate"] == candidates[int(np.argmin(losses))].name


def test_pentagon_table_keeps_every_restart_and_only_rotates(config):
    table = _table(config, "pentagon-perturbation")
    spec = config.experiment("pentagon-perturbation")
    W = _weights(config, "pentagon-perturbation")
    assert len(table) == spec.n_instances * spec.features  # every restart, every feature
    assert table.drop_duplicates("instance")["selected"].sum() == len(spec.grid["extra_feature_probability"])
    for instance, rows in table.groupby("instance"):
        rows = rows.sort_values("feature")
        canonical = rows[["x", "y"]].to_numpy()
        raw = W[instance][rows["feature"].to_numpy()]
        np.testing.assert_allclose(rows[["w_x", "w_y"]].to_numpy(), raw, rtol=1e-6)
        np.testing.assert_allclose(canonical @ canonical.T, raw @ raw.T, atol=1e-5)  # an orthogonal map
        assert rows["is_extra"].sum() == 1 and rows.loc[rows["is_extra"], "feature"].item() == spec.features - 1


@pytest.mark.parametrize("figure", ["correlated-m2", "anticorrelated-m2"])
def test_correlated_table_labels_match_the_library(config, figure):
    table = _table(config, figure)
    for experiment, part in table.groupby("experiment"):
        spec = config.experiment(experiment)
        W = _weights(config, experiment)
        for instance, rows in part.groupby("instance"):
            labels = {s["set"]: s["label"] for s in feature_sets.arrangement(W[instance], spec.set_size)}
            assert dict(zip(rows["set"], rows["set_label"])) == labels
            rows = rows.sort_values("feature")
            canonical = rows[["x", "y"]].to_numpy()
            np.testing.assert_allclose(canonical @ canonical.T, W[instance] @ W[instance].T, atol=1e-5)
    sets = table.drop_duplicates(["experiment", "instance", "set"])
    assert table["fraction_as_predicted"].iloc[0] == pytest.approx(sets["as_predicted"].mean())


def test_collapse_table_pc_shares(config):
    table = _table(config, "correlated-collapse")
    W = _weights(config, "correlated-collapse")
    for row in table.drop_duplicates(["instance", "set"]).itertuples():
        expected = feature_sets.pc_share(W[row.instance], 2 * row.set, 2 * row.set + 1)
        assert row.pc_share == pytest.approx(expected, nan_ok=True)


def test_local_bases_table_holds_the_gram_matrix(config):
    table = _table(config, "local-orthogonal-bases")
    spec = config.experiment("local-orthogonal-bases")
    W = _weights(config, "local-orthogonal-bases")
    n = spec.features
    for instance, rows in table.groupby("instance"):
        gram = rows.sort_values(["i", "j"])["WtW"].to_numpy().reshape(n, n)
        np.testing.assert_allclose(gram, W[instance] @ W[instance].T, rtol=1e-6, atol=1e-7)
        within, between = feature_sets.overlap_by_block(W[instance], spec.set_size)
        assert rows["within_abs_cos"].iloc[0] == pytest.approx(within, nan_ok=True)
        assert rows["between_abs_cos"].iloc[0] == pytest.approx(between, nan_ok=True)


def test_figure_stages_depend_on_the_analyses_they_draw():
    names = {p.name for p in figure_scripts("phase-2-in-1")}
    assert {"phase_change.py", "phase_diagram.py", "phase_theory.py", "geometry.py"} <= names
    names = {p.name for p in figure_scripts("correlated-collapse")}
    assert {"correlated_collapse.py", "correlated_geometry.py", "alignment.py", "feature_sets.py"} <= names
