"""Claims of the phase-change and non-uniform geometry figures, on hand-built figure tables."""

from __future__ import annotations

import math

import pytest

from .helpers import evaluate, temporary_config, write_figure


@pytest.fixture
def config(tmp_path):
    return temporary_config(tmp_path)


# --- phase diagrams ---------------------------------------------------------------------------


def phase_points(agree: list[bool], dense_phases: list[str]) -> list[dict]:
    """Grid points: the first ones dense (1−S = 1) with the given empirical phases, the rest sparse."""
    rows = []
    for k, ok in enumerate(agree):
        dense = k < len(dense_phases)
        rows.append({"extra_importance": 0.1 * (k + 1), "feature_probability": 1.0 if dense else 0.1,
                     "empirical_phase": dense_phases[k] if dense else "superposition",
                     "theory_phase": "not learned", "agree": ok})
    return rows


@pytest.mark.parametrize("figure", ["phase-2-in-1", "phase-3-in-2"])
def test_phase_agreement_is_the_fraction_of_points(config, figure):
    write_figure(config, figure, phase_points([True] * 7 + [False], ["not learned", "dedicated"]))
    result = evaluate(config, f"{figure}-agrees-with-theory")
    assert result.value == pytest.approx(7 / 8) and result.holds
    assert result.ci_low < 7 / 8 < result.ci_high
    write_figure(config, figure, phase_points([True] * 5 + [False] * 3, ["not learned"]))
    result = evaluate(config, f"{figure}-agrees-with-theory")
    assert result.value == pytest.approx(5 / 8) and not result.holds


def test_superposition_needs_sparsity(config):
    write_figure(config, "phase-2-in-1", phase_points([True] * 4, ["not learned", "dedicated"]))
    assert evaluate(config, "phase-2-in-1-superposition-needs-sparsity").holds
    write_figure(config, "phase-2-in-1", phase_points([False, True, True, True], ["superposition", "dedicated"]))
    result = evaluate(config, "phase-2-in-1-superposition-needs-sparsity")
    assert result.value == 0.5 and not result.holds
    # in superposition where the theory ties (agree): no counterexample, but named
    write_figure(config, "phase-2-in-1", phase_points([True] * 4, ["superposition", "dedicated"]))
    result = evaluate(config, "phase-2-in-1-superposition-needs-sparsity")
    assert result.value == 0.0 and result.holds and "theory ties there: r=0.1" in result.detail


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
