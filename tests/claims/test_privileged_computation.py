"""Claims of the privileged-basis and computation-in-superposition figures, on hand-built tables."""

from __future__ import annotations

import math

import pytest

from toy_superposition import claims

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


def purity_table(other: list[float], relu: list[float], other_model: str = "relu_output") -> list[dict]:
    densities = [0.75, 0.1, 0.01]
    return [{"model": model, "feature_probability": p, "feature": f, "mean_purity": purity}
            for model, values in ((other_model, other), ("relu_hidden", relu))
            for p, purity in zip(densities, values) for f in range(2)]


def test_relu_hidden_aligns_with_neurons_unlike_the_linear_hidden_layer_model(config):
    claim_id = "relu-hidden-aligns-with-neurons-vs-linear-hidden-layer"
    write_figure(config, "linear-vs-relu-hidden", purity_table([0.4, 0.4, 0.4], [0.95, 0.8, 0.6]))
    result = evaluate(config, claim_id)
    assert result.holds and result.value == 1.0 and "linear hidden 0.40" in result.detail
    write_figure(config, "linear-vs-relu-hidden", purity_table([0.4, 0.4, 0.4], [0.95, 0.8, 0.3]))
    result = evaluate(config, claim_id)
    assert not result.holds and result.value == pytest.approx(2 / 3)
    # the fully linear model x' = WᵀWx + b is not the paper's "linear hidden layer model"
    write_figure(config, "linear-vs-relu-hidden", purity_table([0.4, 0.4, 0.4], [0.95, 0.8, 0.6], "linear"))
    assert "insufficient" in evaluate(config, claim_id).detail
    assert claims.REPLACED["relu-hidden-features-align-with-neurons"] == claim_id


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


def absval_neurons(densities: dict[float, list[tuple[str, int, list[float]]]]) -> list[dict]:
    """Per density, neurons as (kind, primary feature, |W1| of the stored features, primary first); one row per
    (neuron, stored feature), with the density's counts of mono- and polysemantic neurons."""
    rows = []
    for p, neurons in densities.items():
        mono = sum(kind == "monosemantic" for kind, _, _ in neurons)
        poly = sum(kind == "polysemantic" for kind, _, _ in neurons)
        for k, (kind, primary, weights) in enumerate(neurons):
            for j, weight in enumerate(weights):
                rows.append({"feature_probability": p, "neuron": k, "feature": primary + j, "w1": weight,
                             "stored": True, "neuron_kind": kind, "primary_feature": primary,
                             "monosemantic_neurons": mono, "polysemantic_neurons": poly})
    return rows


def test_absval_most_important_features_have_monosemantic_neurons(config):
    intermediate = [("monosemantic", 0, [1.0]), ("monosemantic", 1, [1.0]), ("polysemantic", 10, [1.0, 0.3]),
                    ("polysemantic", 20, [1.0, 0.8])]
    dense = [("monosemantic", 30, [1.0])] * 2  # only monosemantic: not an intermediate density, not counted
    write_figure(config, "absval-100-in-40", absval_neurons({0.1: intermediate, 1.0: dense}))
    result = evaluate(config, "absval-important-features-monosemantic")
    assert result.holds and result.value == pytest.approx(15 - 0.5)
    reversed_ = [("monosemantic", 20, [1.0]), ("polysemantic", 0, [1.0, 0.3]), ("polysemantic", 2, [1.0, 0.3])]
    write_figure(config, "absval-100-in-40", absval_neurons({0.1: reversed_}))
    assert not evaluate(config, "absval-important-features-monosemantic").holds
    write_figure(config, "absval-100-in-40", absval_neurons({1.0: dense}))
    assert "insufficient" in evaluate(config, "absval-important-features-monosemantic").detail


def test_absval_primary_and_secondary_features(config):
    neurons = [("polysemantic", 0, [1.0, 0.3, 0.2]), ("polysemantic", 5, [1.0, 0.5]), ("polysemantic", 9, [1.0, 0.6]),
               ("monosemantic", 3, [1.0])]
    write_figure(config, "absval-100-in-40", absval_neurons({0.1: neurons}))
    result = evaluate(config, "absval-primary-secondary-features")
    assert result.holds and result.value == pytest.approx(2 / 3)  # 1/0.3 and 1/0.5 are ≥ 2, 1/0.6 is not
    neurons = [("polysemantic", 0, [1.0, 0.9]), ("polysemantic", 5, [1.0, 0.4]), ("polysemantic", 9, [1.0, 0.7])]
    write_figure(config, "absval-100-in-40", absval_neurons({0.1: neurons}))
    result = evaluate(config, "absval-primary-secondary-features")
    assert not result.holds and result.value == pytest.approx(1 / 3)
