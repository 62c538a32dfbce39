"""The neuron-level figures (privileged basis, computation in superposition): their tables
hold what the library computes from the trained weights, and the motif figure finds a
motif planted in a model."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import torch

from toy_superposition import metrics
from toy_superposition.analysis import computation, neurons
from toy_superposition.artifacts import load_model, save_tensors, tensor_metadata
from toy_superposition.figures import render_figure
from toy_superposition.paths import experiment_paths, figure_paths

FIGURES = ("privileged-relu-hidden", "linear-vs-relu-hidden", "absval-3-in-6", "absval-100-in-40", "asymmetric-motif")


def rendered(config, figure: str) -> pd.DataFrame:
    paths = figure_paths(config, figure)
    render_figure(config, config.figure(figure), paths)
    return pd.read_parquet(paths[2])


def selected(config, name: str) -> pd.DataFrame:
    instances = pd.read_parquet(experiment_paths(config, name).instances)
    return instances[instances["selected"]]


def test_privileged_relu_hidden_table(config):
    table = rendered(config, "privileged-relu-hidden")
    name = "privileged-10-in-5-relu-hidden"
    spec = config.experiment(name)
    W = load_model(config, name)["W"].double()
    chosen = selected(config, name)
    assert sorted(table["instance"].unique()) == sorted(chosen["instance"])
    assert len(table) == len(chosen) * spec.features * spec.hidden
    for instance, rows in table.groupby("instance"):
        rows = rows.sort_values(["feature", "neuron"])
        Wi = W[instance][None]
        np.testing.assert_allclose(rows["weight"], Wi[0].numpy().ravel(), rtol=1e-6)
        stored = neurons.stored_features(Wi)
        assert rows["stored"].tolist() == stored[0].numpy().ravel().tolist()
        kind = neurons.neuron_kind(stored)[0]
        first = rows.iloc[0]
        assert first.monosemantic_neurons == int((kind == neurons.MONOSEMANTIC).sum())
        assert first.polysemantic_neurons == int((kind == neurons.POLYSEMANTIC).sum())
        assert first.monosemantic_neurons + first.polysemantic_neurons + first.neurons_storing_nothing == spec.hidden
        assert sorted(rows.drop_duplicates("neuron")["position"]) == list(range(spec.hidden))


def test_linear_vs_relu_hidden_table(config):
    table = rendered(config, "linear-vs-relu-hidden")
    assert set(table["model"]) == {"relu_output", "relu_hidden"}  # the paper's linear hidden layer model
    for name in config.figure("linear-vs-relu-hidden").experiments:
        W = load_model(config, name)["W"].double()
        purity = neurons.neuron_purity(W).numpy()
        rows = table[table["experiment"] == name]
        assert sorted(rows["instance"].unique()) == sorted(selected(config, name)["instance"])
        np.testing.assert_allclose(rows["neuron_purity"], purity[rows["instance"], rows["neuron"]], rtol=1e-12)
        norms = metrics.feature_norms(W).numpy()
        np.testing.assert_allclose(rows["feature_norm"], norms[rows["instance"], rows["feature"]], rtol=1e-12)


def test_absval_3_in_6_table_is_the_rescaled_model(config):
    table = rendered(config, "absval-3-in-6")
    params = load_model(config, "absval-3-in-6")
    assert len(table) > 0
    for instance, rows in table.groupby("instance"):
        rows = rows.sort_values(["feature", "neuron"])
        n, m = params["W1"].shape[1:]
        w1 = rows["w1_rescaled"].to_numpy().reshape(n, m)
        np.testing.assert_allclose(np.abs(w1).max(axis=0), 1.0, rtol=1e-12)
        # Rescaling keeps every path W1[i,k]·W2[k,i] (the gain).
        np.testing.assert_allclose(rows["w1_rescaled"] * rows["w2_rescaled"], rows["w1"] * rows["w2"], rtol=1e-9,
                                   atol=1e-12)
        pair = computation.has_pair(params["W1"][instance][None].double(), params["W2"][instance][None].double())
        assert rows.drop_duplicates("feature")["feature_has_pair"].tolist() == pair[0].tolist()


def test_absval_100_in_40_table(config):
    table = rendered(config, "absval-100-in-40")
    name = "absval-100-in-40"
    params = load_model(config, name)
    spec = config.experiment(name)
    assert len(table) == len(selected(config, name)) * spec.features * spec.hidden
    for instance, rows in table.groupby("instance"):
        W1, W2 = params["W1"][instance][None].double(), params["W2"][instance][None].double()
        stored = neurons.stored_features(W1, W2, signed=True)
        per_neuron = rows.drop_duplicates("neuron").sort_values("neuron")
        assert per_neuron["neuron_features"].tolist() == neurons.polysemanticity(stored)[0].tolist()
        assert per_neuron["primary_feature"].tolist() == neurons.primary_feature(W1, stored, True)[0].tolist()
        assert rows["features_stored"].iloc[0] == int(stored[0].any(dim=-1).sum())


def test_asymmetric_motif_table_lists_the_detector_on_every_neuron(config):
    table = rendered(config, "asymmetric-motif")
    for name in config.figure("asymmetric-motif").experiments:
        spec = config.experiment(name)
        rows = table[table["experiment"] == name]
        assert len(rows) == spec.n_instances * spec.hidden
        params = load_model(config, name)
        for instance in range(spec.n_instances):
            found = computation.find_motifs(params["W1"][instance], params["W2"][instance])
            listed = rows[(rows["instance"] == instance) & rows["motif"]]
            assert sorted(listed["neuron"]) == sorted(m.neuron for m in found)
    assert table["drawn"].sum() == int(table["motif"].any())


def test_asymmetric_motif_figure_finds_a_planted_motif(config, tmp_path):
    """Plant the paper's example into instance 0 of absval-3-in-6: the figure lists and draws it."""
    cfg = dataclasses.replace(config, results_dir=str(tmp_path))
    for name in cfg.figure("asymmetric-motif").experiments:
        source, target = experiment_paths(config, name), experiment_paths(cfg, name)
        target.root.mkdir(parents=True)
        for path in (source.distribution, source.model, source.instances, source.features):
            (target.root / path.name).write_bytes(path.read_bytes())
    for name in cfg.figure("asymmetric-motif").experiments:  # no motif anywhere ...
        model = experiment_paths(cfg, name).model
        zero = {k: torch.zeros_like(v) for k, v in load_model(cfg, name).items()}
        save_tensors(model, zero, metadata=tensor_metadata(model))
    # ... except the paper's example, planted into instance 0 of absval-3-in-6.
    model = experiment_paths(cfg, "absval-3-in-6").model
    params = load_model(cfg, "absval-3-in-6")
    params["W1"][0, :, :3] = torch.tensor([[2.0, 1.0, 0.0], [-0.5, 0.0, 0.0], [0.0, 0.0, 1.0]])
    params["W2"][0, :3, :] = torch.tensor([[0.5, 2.0, 0.0], [1.0, -3.0, 0.0], [0.0, 0.0, 1.0]])
    save_tensors(model, params, metadata=tensor_metadata(model))
    table = rendered(cfg, "asymmetric-motif")
    motifs = table[table["motif"]]
    assert len(motifs) == 1
    motif = motifs.iloc[0]
    assert (motif.experiment, motif.instance, motif.neuron, motif.partner) == ("absval-3-in-6", 0, 0, 1)
    assert (motif.feature_a, motif.feature_b) == (0, 1)
    assert bool(motif.drawn)
