"""Claims of the phase-change and non-uniform geometry figures, on hand-built figure tables."""

from __future__ import annotations

import math

import pytest

from .helpers import evaluate, temporary_config, write_figure


@pytest.fixture
def config(tmp_path):
    return temporary_config(tmp_path)


# --- phase diagrams ---------------------------------------------------------------------------


def phase_point(r: float, p: float, agree: float, superposition: float = 0.0, confused: float = 0.0,
                allows: bool = False, kept: int = 8) -> dict:
    """One grid point: fractions of ``kept`` models in the theory's phase, in superposition, confused."""
    return {"extra_importance": r, "feature_probability": p, "models_kept": kept, "agree_fraction": agree,
            "fraction_superposition": superposition, "fraction_confused": confused,
            "theory_allows_superposition": allows, "agree": agree > 0.5, "theory_phase": "not learned"}


@pytest.mark.parametrize("figure", ["phase-2-in-1", "phase-3-in-2"])
def test_phase_agreement_averages_the_models_of_each_point(config, figure):
    # 7 of 8 points fully in the theory's phase, one at 3/8: mean (7 + 3/8) / 8, over 64 models
    points = [phase_point(0.1 * (k + 1), 0.1, 1.0) for k in range(7)] + [phase_point(0.8, 0.1, 3 / 8)]
    write_figure(config, figure, points)
    result = evaluate(config, f"{figure}-agrees-with-theory")
    assert result.value == pytest.approx((7 + 3 / 8) / 8) and result.holds
    assert result.ci_low < result.value < result.ci_high
    # majority vote would say 7 of 8 points agree (0.875), but only 5 of 8 models do at each: 0.625
    write_figure(config, figure, [phase_point(0.1 * (k + 1), 0.1, 5 / 8) for k in range(8)])
    result = evaluate(config, f"{figure}-agrees-with-theory")
    assert result.value == pytest.approx(5 / 8) and not result.holds


def test_superposition_needs_sparsity_counts_models_not_majorities(config):
    sparse = phase_point(1.0, 0.1, 1.0, superposition=1.0, allows=True)
    write_figure(config, "phase-2-in-1", [phase_point(0.1, 1.0, 1.0), phase_point(3.0, 1.0, 1.0), sparse])
    result = evaluate(config, "phase-2-in-1-superposition-needs-sparsity")
    assert result.holds and result.value == 0.0
    # one model of 8 in superposition at a dense point where the theory rules it out: a counterexample,
    # although the point's majority is still right
    write_figure(config, "phase-2-in-1", [phase_point(0.1, 1.0, 7 / 8, superposition=1 / 8),
                                          phase_point(3.0, 1.0, 1.0), sparse])
    result = evaluate(config, "phase-2-in-1-superposition-needs-sparsity")
    assert not result.holds and result.value == pytest.approx(1 / 16)


def test_confused_models_and_theoretical_ties_are_no_superposition(config):
    # dense r = 0.5: half the models confused (W₁ ≈ W₂, cos +1): not superposition;
    # dense r = 1: the theory ties, models in superposition there are named, not counted
    write_figure(config, "phase-2-in-1", [phase_point(0.5, 1.0, 0.5, confused=0.5),
                                          phase_point(1.0, 1.0, 1.0, superposition=0.5, allows=True)])
    result = evaluate(config, "phase-2-in-1-superposition-needs-sparsity")
    assert result.holds and result.value == 0.0
    assert "4 dense models confused" in result.detail and "theory ties there: r=1 (4 in superposition)" in result.detail


# --- the perturbed pentagon ---------------------------------------------------------------------


def pentagon_table(selected: list[tuple[float, str, float, float]], crossings: list[float]) -> list[dict]:
    """One restart per density (extra density, geometry, ‖W₅‖, neighbour gap), each selected; 2 feature rows."""
    rows = []
    for instance, (density, geometry, norm, gap) in enumerate(selected):
        for feature in range(2):
            rows.append({"instance": instance, "extra_probability": density, "selected": True,
                         "geometry": geometry, "extra_norm": norm, "extra_neighbour_gap_deg": gap,
                         "feature": feature, "crossings_found": len(crossings),
                         "crossing_density": crossings[-1] if crossings else math.nan,
                         "all_crossings": ", ".join(f"{c:.3g}" for c in crossings)})
    return rows


def test_pentagon_claims_hold_for_a_clean_transition(config):
    write_figure(config, "pentagon-perturbation", pentagon_table(
        [(0.005, "digon pair", 0.0, math.nan), (0.02, "digon pair", 0.1, math.nan),
         (0.05, "pentagon", 0.9, 144.0), (0.2, "pentagon", 1.0, 170.0)], crossings=[0.03]))
    collapse = evaluate(config, "pentagon-collapses-to-digon-pair")
    assert collapse.holds and collapse.value == 0.02
    crossing = evaluate(config, "pentagon-digon-loss-curves-cross")
    assert crossing.holds and crossing.value == pytest.approx(0.03)
    room = evaluate(config, "pentagon-denser-feature-gets-more-room")
    assert room.holds and room.value == pytest.approx(26.0)


def test_pentagon_claims_fail_without_a_transition(config):
    write_figure(config, "pentagon-perturbation", pentagon_table(
        [(0.005, "pentagon", 0.8, 150.0), (0.2, "pentagon", 1.0, 140.0)], crossings=[]))
    assert not evaluate(config, "pentagon-collapses-to-digon-pair").holds
    crossing = evaluate(config, "pentagon-digon-loss-curves-cross")
    assert not crossing.holds and math.isnan(crossing.value)
    room = evaluate(config, "pentagon-denser-feature-gets-more-room")
    assert not room.holds and room.value == pytest.approx(-10.0)


def pentagon_features(selected: list[tuple[str, list[tuple[float, float]]]]) -> list[dict]:
    """Selected restarts (geometry, (‖W_i‖, b_i) per feature) and one unselected pentagon that must not count."""
    rows = []
    for instance, (geometry, features) in enumerate(selected + [("pentagon", [(5.0, 0.9)] * 5)]):
        for feature, (norm, bias) in enumerate(features):
            rows.append({"instance": instance, "selected": instance < len(selected), "geometry": geometry,
                         "feature": feature, "norm": norm, "bias": bias, "extra_probability": 0.05})
    return rows


def test_pentagon_bias_is_negative_and_the_norm_compensates(config):
    # ‖W_i‖ = 1/(1 − |b_i|) for b = −0.1 (1.111) and −0.2 (1.25); a not-learned feature (‖W‖ 0.1) is left out
    good = [(1 / 0.9, -0.1)] * 4 + [(0.1, 0.3)]
    write_figure(config, "pentagon-perturbation", pentagon_features(
        [("pentagon", good), ("pentagon", [(1.25, -0.2)] * 5), ("digon pair", [(1.0, 0.5)] * 5)]))
    bias = evaluate(config, "pentagon-negative-bias")
    assert bias.holds and bias.value == pytest.approx(-0.2) and "9 of 9 features" in bias.detail  # median of 4 × −0.1, 5 × −0.2
    norm = evaluate(config, "pentagon-norm-compensates-bias")
    assert norm.holds and norm.value == pytest.approx(1.0)
    # on the unit circle with a negative bias: no compensation (‖W‖(1 − |b|) = 0.8); a positive bias
    write_figure(config, "pentagon-perturbation", pentagon_features([("pentagon", [(1.0, -0.2)] * 3 + [(1.0, 0.1)] * 2)]))
    assert not evaluate(config, "pentagon-norm-compensates-bias").holds
    write_figure(config, "pentagon-perturbation", pentagon_features([("pentagon", [(1.0, 0.05)] * 5)]))
    bias = evaluate(config, "pentagon-negative-bias")
    assert not bias.holds and bias.value == pytest.approx(0.05)
    write_figure(config, "pentagon-perturbation", pentagon_features([("digon pair", [(1.0, -0.1)] * 5)]))
    assert "insufficient" in evaluate(config, "pentagon-negative-bias").detail


def test_pentagon_room_needs_two_pentagons(config):
    write_figure(config, "pentagon-perturbation", pentagon_table([(0.2, "pentagon", 1.0, 150.0)], crossings=[]))
    result = evaluate(config, "pentagon-denser-feature-gets-more-room")
    assert math.isnan(result.value) and not result.holds and "insufficient" in result.detail


# --- correlated and anticorrelated sets ---------------------------------------------------------


def set_rows(experiment: str, labels: list[str], predicted: str) -> list[dict]:
    """Two feature rows per set; one set per label, each in its own selected model."""
    return [{"experiment": experiment, "instance": k, "set": 0, "feature": f, "set_label": label,
             "predicted": predicted, "as_predicted": label == predicted}
            for k, label in enumerate(labels) for f in range(2)]


def test_correlated_sets_as_predicted(config):
    rows = set_rows("correlated-pairs-m2", ["orthogonal"] * 4, "orthogonal") + \
        set_rows("correlated-triples-m2", ["side by side"] * 3 + ["orthogonal"], "side by side")
    write_figure(config, "correlated-m2", rows)
    result = evaluate(config, "correlated-sets-orthogonal-or-side-by-side")
    assert result.value == pytest.approx(7 / 8) and result.holds
    rows = set_rows("correlated-pairs-m2", ["side by side"] * 4, "orthogonal")
    write_figure(config, "correlated-m2", rows)
    assert evaluate(config, "correlated-sets-orthogonal-or-side-by-side").value == 0.0


def test_anticorrelated_pairs_antipodal(config):
    write_figure(config, "anticorrelated-m2", set_rows("anticorrelated-pairs-m2", ["antipodal"] * 3, "antipodal"))
    assert evaluate(config, "anticorrelated-pairs-antipodal").holds
    write_figure(config, "anticorrelated-m2",
                 set_rows("anticorrelated-pairs-m2", ["antipodal", "orthogonal", "orthogonal"], "antipodal"))
    result = evaluate(config, "anticorrelated-pairs-antipodal")
    assert result.value == pytest.approx(1 / 3) and not result.holds


# --- collapse onto principal components ---------------------------------------------------------


def collapse_table(dense: list[str], sparse: list[str], dense_share: float, sparse_share: float) -> list[dict]:
    rows = []
    for instance, (density, labels) in enumerate(((1.0, dense), (0.01, sparse))):
        for pair, label in enumerate(labels):
            rows.append({"instance": instance, "feature_probability": density, "set": pair, "set_label": label,
                         "densest_mean_pc_share": dense_share, "sparsest_mean_pc_share": sparse_share})
    return rows


def test_collapse_claims_hold_for_pca_when_dense_and_hexagon_when_sparse(config):
    write_figure(config, "correlated-collapse", collapse_table(
        ["collapsed", "collapsed", "not learned"], ["side by side"] * 3, dense_share=0.95, sparse_share=0.75))
    dense = evaluate(config, "correlated-pairs-collapse-when-dense")
    assert dense.holds and dense.value == 1.0  # the unlearned pair does not count (PCA drops it)
    assert evaluate(config, "correlated-pairs-side-by-side-when-sparse").holds
    progressive = evaluate(config, "correlated-pairs-progressively-collapse")
    assert progressive.holds and progressive.value == pytest.approx(0.2)


def test_collapse_claims_fail_without_collapse(config):
    write_figure(config, "correlated-collapse", collapse_table(
        ["orthogonal", "collapsed", "collapsed"], ["side by side", "orthogonal", "not learned"],
        dense_share=0.6, sparse_share=0.75))
    dense = evaluate(config, "correlated-pairs-collapse-when-dense")
    assert not dense.holds and dense.value == pytest.approx(2 / 3)
    sparse = evaluate(config, "correlated-pairs-side-by-side-when-sparse")
    assert not sparse.holds and sparse.value == 0.5
    assert not evaluate(config, "correlated-pairs-progressively-collapse").holds


def test_collapse_with_nothing_learned_is_insufficient(config):
    write_figure(config, "correlated-collapse", collapse_table(["not learned"] * 3, ["not learned"] * 3, 0.5, 0.5))
    result = evaluate(config, "correlated-pairs-collapse-when-dense")
    assert math.isnan(result.value) and not result.holds


# --- local almost-orthogonal bases --------------------------------------------------------------


def local_table(models: list[tuple[float, float, float, int]]) -> list[dict]:
    """(density, within |cos|, between |cos|, features learned) per selected model; two Gram rows each."""
    return [{"instance": k, "feature_probability": p, "i": i, "j": 0, "within_abs_cos": within,
             "between_abs_cos": between, "features_learned": learned, "d_star": 0.5}
            for k, (p, within, between, learned) in enumerate(models) for i in range(2)]


def test_local_bases(config):
    hidden = config.experiment("local-orthogonal-bases").hidden
    write_figure(config, "local-orthogonal-bases", local_table([(0.1, 0.1, 0.3, hidden + 3), (0.03, 0.2, 0.4, hidden + 5)]))
    orthogonal = evaluate(config, "local-bases-within-set-nearly-orthogonal")
    assert orthogonal.holds and orthogonal.value == pytest.approx(0.5)
    superposition = evaluate(config, "local-bases-model-in-superposition")
    assert superposition.holds and superposition.value == pytest.approx((hidden + 3) / hidden)
    write_figure(config, "local-orthogonal-bases", local_table([(0.1, 0.1, 0.3, hidden), (0.03, 0.5, 0.4, hidden + 5)]))
    assert not evaluate(config, "local-bases-within-set-nearly-orthogonal").holds
    assert not evaluate(config, "local-bases-model-in-superposition").holds
