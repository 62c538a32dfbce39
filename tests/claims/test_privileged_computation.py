"""Claims of the privileged-basis and computation-in-superposition figures, on hand-built tables."""

from __future__ import annotations

import math

import pytest

from .helpers import evaluate, temporary_config, write_figure


@pytest.fixture
def config(tmp_path):
    return temporary_config(tmp_path)


def neuron_counts(counts: dict[float, tuple[int, int]]) -> list[dict]:
    """Two rows per density with its (monosemantic, polysemantic) neuron counts."""
    return [{"feature_probability": p, "neuron": k, "feature": 0, "monosemantic_neurons": mono,
             "polysemantic_neurons": poly} for p, (mono, poly) in counts.items() for k in range(2)]


def test_relu_hidden_neurons(config):
    write_figure(config, "privileged-relu-hidden", neuron_counts({0.75: (5, 0), 0.1: (3, 2), 0.01: (0, 5)}))
    shift = evaluate(config, "relu-hidden-neurons-become-polysemantic")
    assert shift.holds and shift.value == 5
    coexist = evaluate(config, "relu-hidden-mono-and-poly-coexist")
    assert coexist.holds and coexist.value == 1
    write_figure(config, "privileged-relu-hidden", neuron_counts({0.75: (5, 0), 0.01: (5, 0)}))
    assert not evaluate(config, "relu-hidden-neurons-become-polysemantic").holds
    assert not evaluate(config, "relu-hidden-mono-and-poly-coexist").holds


def purity_table(linear: list[float], relu: list[float]) -> list[dict]:
    densities = [0.75, 0.1, 0.01]
    return [{"model": model, "feature_probability": p, "feature": f, "mean_purity": purity}
            for model, values in (("linear", linear), ("relu_hidden", relu))
            for p, purity in zip(densities, values) for f in range(2)]


def test_relu_hidden_features_align_with_neurons(config):
    write_figure(config, "linear-vs-relu-hidden", purity_table([0.4, 0.4, 0.4], [0.95, 0.8, 0.6]))
    result = evaluate(config, "relu-hidden-features-align-with-neurons")
    assert result.holds and result.value == 1.0
    write_figure(config, "linear-vs-relu-hidden", purity_table([0.4, 0.4, 0.4], [0.95, 0.8, 0.3]))
    result = evaluate(config, "relu-hidden-features-align-with-neurons")
    assert not result.holds and result.value == pytest.approx(2 / 3)


def test_absval_pairs(config):
    rows = [{"feature_probability": p, "feature": f, "neuron": k, "feature_has_pair": has}
            for p, pairs in ((1.0, [True, True, True]), (0.1, [True, True, False]))
            for f, has in enumerate(pairs) for k in range(2)]
    write_figure(config, "absval-3-in-6", rows)
    result = evaluate(config, "absval-relu-pairs")
    assert not result.holds and result.value == pytest.approx(5 / 6) and "x2 at 1−S=0.1" in result.detail
    write_figure(config, "absval-3-in-6", [dict(r, feature_has_pair=True) for r in rows])
    assert evaluate(config, "absval-relu-pairs").holds


def absval_densities(per_density: dict[float, tuple[int, int, int]]) -> list[dict]:
    """(monosemantic, polysemantic, features stored) per density, two rows each."""
    return [{"feature_probability": p, "neuron": k, "monosemantic_neurons": mono, "polysemantic_neurons": poly,
             "neurons_storing_nothing": 40 - mono - poly, "features_stored": stored}
            for p, (mono, poly, stored) in per_density.items() for k in range(2)]


def test_absval_dense_monosemantic_and_sparse_superposition(config):
    m = config.experiment("absval-100-in-40").hidden
    write_figure(config, "absval-100-in-40", absval_densities({1.0: (38, 0, 38), 0.01: (10, 30, 2 * m)}))
    dense = evaluate(config, "absval-dense-monosemantic")
    assert dense.holds and dense.value == 1.0
    sparse = evaluate(config, "absval-sparse-superposition")
    assert sparse.holds and sparse.value == pytest.approx(2.0)
    write_figure(config, "absval-100-in-40", absval_densities({1.0: (36, 2, 40), 0.01: (30, 10, m)}))
    dense = evaluate(config, "absval-dense-monosemantic")
    assert not dense.holds and dense.value == pytest.approx(36 / 38)
    assert not evaluate(config, "absval-sparse-superposition").holds


def test_absval_dense_needs_a_dense_model(config):
    write_figure(config, "absval-100-in-40", absval_densities({0.1: (38, 0, 38)}))
    result = evaluate(config, "absval-dense-monosemantic")
    assert math.isnan(result.value) and not result.holds


def test_asymmetric_motif_counts_models(config):
    rows = [{"experiment": "absval-100-in-40", "instance": i, "neuron": k, "motif": motif, "selected": i == 0}
            for i, motifs in enumerate([[True, True], [False, False], [False, True]]) for k, motif in enumerate(motifs)]
    write_figure(config, "asymmetric-motif", rows)
    result = evaluate(config, "asymmetric-motif-found")
    assert result.holds and result.value == 2 and "3 motifs in 2 of 3 models (1 selected)" in result.detail
    write_figure(config, "asymmetric-motif", [dict(r, motif=False) for r in rows])
    assert not evaluate(config, "asymmetric-motif-found").holds
