"""The phase-change and non-uniform-geometry figures: their tables hold what the library computes
from the trained weights (tiny training on the ci profile; byte stability and rendering of
every figure are tested in test_figures.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from toy_superposition.analysis import nonuniform_geometry
from toy_superposition.analysis.phase_change import candidates_for
from toy_superposition.figures import render_figure
from toy_superposition.paths import figure_paths
from toy_superposition.pipeline import stages

FIGURES = ("phase-2-in-1", "phase-3-in-2", "pentagon-perturbation", "correlated-m2", "anticorrelated-m2",
           "correlated-collapse", "local-orthogonal-bases")


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
    assert set(table["experiment"]) == set(config.figure(figure).experiments)
    for experiment, part in table.groupby("experiment"):
        spec = config.experiment(experiment)
        W = _weights(config, experiment)
        for instance, rows in part.groupby("instance"):
            labels = {s["set"]: s["label"] for s in nonuniform_geometry.arrangement(W[instance], spec.set_size)}
            assert dict(zip(rows["set"], rows["set_label"])) == labels
            rows = rows.sort_values("feature")
            canonical = rows[["x", "y"]].to_numpy()
            np.testing.assert_allclose(canonical @ canonical.T, W[instance] @ W[instance].T, atol=1e-5)
    sets = table.drop_duplicates(["experiment", "instance", "set"])
    assert table["fraction_as_predicted"].iloc[0] == pytest.approx(sets["as_predicted"].mean())


def test_collapse_table_pc_shares(config):
    table = _table(config, "correlated-collapse")
    W = _weights(config, "correlated-collapse")
    assert len(table) > 0
    for row in table.drop_duplicates(["instance", "set"]).itertuples():
        expected = nonuniform_geometry.pc_share(W[row.instance], 2 * row.set, 2 * row.set + 1)
        assert row.pc_share == pytest.approx(expected, nan_ok=True)
    assert table["pc_share"].notna().any()  # NaN only where a set is not learned


def test_local_bases_table_holds_the_gram_matrix(config):
    table = _table(config, "local-orthogonal-bases")
    spec = config.experiment("local-orthogonal-bases")
    W = _weights(config, "local-orthogonal-bases")
    n = spec.features
    assert table["instance"].nunique() == len(spec.grid["feature_probability"])  # one selected model per density
    for instance, rows in table.groupby("instance"):
        gram = rows.sort_values(["i", "j"])["WtW"].to_numpy().reshape(n, n)
        np.testing.assert_allclose(gram, W[instance] @ W[instance].T, rtol=1e-6, atol=1e-7)
        within, between = nonuniform_geometry.overlap_by_block(W[instance], spec.set_size)
        assert rows["within_abs_cos"].iloc[0] == pytest.approx(within, nan_ok=True)
        assert rows["between_abs_cos"].iloc[0] == pytest.approx(between, nan_ok=True)
    assert table["within_abs_cos"].notna().any() and table["between_abs_cos"].notna().any()
