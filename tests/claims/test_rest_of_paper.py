"""The issue-14 claims on hand-built figure tables: each holds on one and fails on another."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from toy_superposition import claims
from toy_superposition.analysis.adversarial import elimination_fraction
from toy_superposition.analysis.statistics import wilson_interval
from toy_superposition.figures.nonlinear_compression import grid_table

from .helpers import evaluate, temporary_config, write_figure

NEW_FIGURES = ("phase-2-in-1-exact", "activation-phase-diagrams", "uniform-scaling", "tegum-products",
               "pentagon-importance", "adversarial-training", "relu-hidden-bias", "nonlinear-compression")


@pytest.fixture
def config(tmp_path):
    return temporary_config(tmp_path)


def test_every_new_claim_quotes_its_source_and_says_where_its_threshold_comes_from():
    new = [c for c in claims.CLAIMS.values() if c.figure in NEW_FIGURES]
    assert {c.figure for c in new} == set(NEW_FIGURES)
    for item in new:
        assert len(item.quote) > 40, item.id
        assert item.threshold_source in claims.registry.THRESHOLD_SOURCES, item.id
        assert item.threshold_reason, item.id


# --- phase-2-in-1-exact ------------------------------------------------------------------------


def exact_table(confused_at, trained_bias, trained_free, theory_hits):
    """Grid of 4 points (1−S ∈ {1, 0.1} × r ∈ {0.3, 3}); confused bias-free optimum at ``confused_at``;
    ``trained_*`` the agreement flags of the trained experiments (with bias vs exact with bias, and
    bias-free vs exact bias-free), ``theory_hits`` their agreement with the candidates."""
    points = [(1.0, 0.3), (1.0, 3.0), (0.1, 0.3), (0.1, 3.0)]
    rows = [{"row": "grid", "p": p, "r": r, "exact_free_phase": "confused" if (p, r) in confused_at else
             "superposition", "exact_free_n_minima": 2 if p == 0.1 else 1, "exact_bias_phase": "superposition"}
            for p, r in points]
    rows.append({"row": "point", "p": 1.0, "r": 1.0, "w1": 0.5**0.5, "w2": 0.5**0.5 + 0.002, "loss": 1 / 24,
                 "phase": "confused"})
    for model, hits in (("relu_output", trained_bias), ("relu_output_bias_free", trained_free)):
        for (p, r), hit, theory in zip(points, hits, theory_hits):
            rows.append({"row": "trained", "model": model, "p": p, "r": r, "exact_bias_phase": "superposition",
                         "agree_exact_bias": float(hit), "agree_exact_free": float(hit), "agree_theory": float(theory),
                         "agree_selected_exact_bias": float(hit), "agree_selected_exact_free": float(hit),
                         "agree_selected_theory": float(theory)})
    return rows


def test_exact_confused_point_and_region(config):
    write_figure(config, "phase-2-in-1-exact", exact_table({(1.0, 0.3), (1.0, 3.0)}, [1] * 4, [1] * 4, [0] * 4))
    point = evaluate(config, "phase-2-in-1-exact-confused-point")
    assert point.value == pytest.approx(0.002) and point.holds
    region = evaluate(config, "phase-2-in-1-exact-confused-where-dense-and-both-important")
    assert region.value == 1.0 and region.holds
    assert evaluate(config, "phase-2-in-1-exact-two-minima").value == 0.5
    # a confused point in the sparse half: outside the region
    write_figure(config, "phase-2-in-1-exact", exact_table({(1.0, 0.3), (0.1, 3.0)}, [1] * 4, [1] * 4, [0] * 4))
    region = evaluate(config, "phase-2-in-1-exact-confused-where-dense-and-both-important")
    assert region.value == 0.5 and not region.holds
    write_figure(config, "phase-2-in-1-exact", exact_table(set(), [1] * 4, [1] * 4, [0] * 4))
    assert not evaluate(config, "phase-2-in-1-exact-confused-where-dense-and-both-important").holds


def test_trained_agreement_is_exact_minus_candidates(config):
    write_figure(config, "phase-2-in-1-exact", exact_table({(1.0, 0.3)}, [1, 1, 1, 0], [1, 0, 0, 0], [1, 1, 0, 0]))
    with_bias = evaluate(config, "phase-2-in-1-trained-agree-with-exact-with-bias")
    assert with_bias.value == pytest.approx(0.75 - 0.5) and with_bias.holds
    free = evaluate(config, "phase-2-in-1-bias-free-trained-agree-with-exact")
    assert free.value == pytest.approx(0.25 - 0.5) and not free.holds


# --- activation-phase-diagrams -----------------------------------------------------------------


def activation_summary(differs: dict[str, int], polysemantic: dict[str, int], points: int = 80):
    rows = []
    for activation, poly in polysemantic.items():
        low, high = wilson_interval(poly, points)
        d = differs.get(activation, 0)
        d_low, d_high = wilson_interval(d, points)
        rows.append({"row": "summary", "activation": activation, "points": points, "polysemantic": poly,
                     "share_polysemantic": poly / points, "ci_low": low, "ci_high": high, "differs_from_relu": d,
                     "compared_with_relu": points, "share_differs_from_relu": d / points, "differs_ci_low": d_low,
                     "differs_ci_high": d_high})
    return rows


def test_activation_claims(config):
    write_figure(config, "activation-phase-diagrams",
                 activation_summary({"gelu": 30, "tanh": 8}, {"relu": 40, "gelu": 45, "tanh": 10}))
    differ = evaluate(config, "activation-phase-diagrams-differ")
    assert differ.value == pytest.approx(30 / 80) and differ.holds
    poly = evaluate(config, "activation-some-induce-more-polysemanticity")
    assert poly.value == pytest.approx(35 / 80) and poly.holds
    write_figure(config, "activation-phase-diagrams",
                 activation_summary({"gelu": 10, "tanh": 8}, {"relu": 40, "gelu": 44, "tanh": 38}))
    assert not evaluate(config, "activation-phase-diagrams-differ").holds
    poly = evaluate(config, "activation-some-induce-more-polysemanticity")
    assert poly.value == pytest.approx(6 / 80) and not poly.holds  # overlapping intervals


# --- uniform-scaling and tegum-products ----------------------------------------------------------


def scaling_rows(d_star_ratio, learned_ratio, sticky=(0.5, 0.6)):
    ref, m_ref = "uniform-400-in-30", 30
    rows = []
    for k, density in enumerate([1.0, 0.1, 0.01]):
        base = {"row": "model", "reference": ref, "feature_probability": density, "inverse_density": 1 / density}
        rows.append({**base, "experiment": ref, "features": 400, "hidden": m_ref, "d_star_ratio": 1.0,
                     "features_learned_ratio": 1.0, "expected_ratio": 1.0, "compared": False,
                     "on_sticky_fraction": int(100 * sticky[0]), "features_represented": 100})
        rows.append({**base, "experiment": "uniform-800-in-30", "features": 800, "hidden": m_ref,
                     "d_star_ratio": d_star_ratio[k], "features_learned_ratio": 1 / d_star_ratio[k],
                     "expected_ratio": 1.0, "compared": True, "on_sticky_fraction": int(100 * sticky[1]),
                     "features_represented": 100})
        rows.append({**base, "experiment": "uniform-400-in-60", "features": 400, "hidden": 2 * m_ref,
                     "d_star_ratio": 2 / learned_ratio[k], "features_learned_ratio": learned_ratio[k],
                     "expected_ratio": 2.0, "compared": k < 2, "on_sticky_fraction": 0, "features_represented": 100})
    return rows


def test_scaling_claims(config):
    write_figure(config, "uniform-scaling", scaling_rows([1.02, 0.95, 1.05], [1.9, 2.1, 3.0]))
    n_claim = evaluate(config, "uniform-scaling-n-does-not-matter")
    assert n_claim.value == pytest.approx(0.05) and n_claim.holds
    m_claim = evaluate(config, "uniform-scaling-doubling-m-doubles-features")
    assert m_claim.value == pytest.approx(0.05) and m_claim.holds  # the uncompared density (3.0) does not count
    assert evaluate(config, "uniform-more-pressure-cleaner-structure").holds
    write_figure(config, "uniform-scaling", scaling_rows([1.02, 0.8, 1.05], [1.5, 2.0, 2.0], sticky=(0.6, 0.5)))
    assert evaluate(config, "uniform-scaling-n-does-not-matter").value == pytest.approx(0.2)
    assert not evaluate(config, "uniform-scaling-n-does-not-matter").holds
    assert not evaluate(config, "uniform-scaling-doubling-m-doubles-features").holds
    assert not evaluate(config, "uniform-more-pressure-cleaner-structure").holds


def tegum_rows(polytopes, D, cross_share, triangle_and_digon=True):
    rows = [{"row": "feature", "experiment": "uniform-400-in-30", "instance": 0, "group": g, "polytope": p, "D": d}
            for g, (p, d) in enumerate(zip(polytopes, D))]
    rows.append({"row": "model", "experiment": "uniform-400-in-30", "instance": 0, "inverse_density": 10.0,
                 "groups": 3, "learned": len(D), "cross_share": cross_share, "cross_cos_max": 0.02,
                 "bottleneck_cos_min": 0.5, "groups_triangle": int(triangle_and_digon), "groups_digon": 1})
    return rows


def test_tegum_claims(config):
    write_figure(config, "tegum-products", tegum_rows(["triangle"] * 3 + ["digon"] * 2 + ["pentagon"] * 5,
                                                      [2 / 3] * 3 + [0.5] * 2 + [0.4] * 5, 0.01))
    assert evaluate(config, "tegum-no-interference-across-factors").holds
    uniform = evaluate(config, "tegum-factors-are-uniform-polytopes")
    assert uniform.value == 1.0 and uniform.holds
    split = evaluate(config, "tegum-split-lines")
    assert split.value == 0.0 and split.holds
    write_figure(config, "tegum-products", tegum_rows(["other"] * 6 + ["digon"] * 2,
                                                      [0.6] * 6 + [0.5] * 2, 0.2, triangle_and_digon=False))
    assert not evaluate(config, "tegum-no-interference-across-factors").holds
    assert evaluate(config, "tegum-factors-are-uniform-polytopes").value == 0.25
    split = evaluate(config, "tegum-split-lines")
    assert math.isinf(split.value) and not split.holds  # nothing at 2/3


# --- pentagon-importance ----------------------------------------------------------------------


def pentagon_rows(selected, crossings):
    """One selected restart per importance: (I₅, geometry, ‖W₅‖, neighbour gap)."""
    rows = []
    for instance, (importance, geometry, norm, gap) in enumerate(selected):
        rows.append({"instance": instance, "extra_feature_importance": importance, "geometry": geometry,
                     "extra_norm": norm, "extra_neighbour_gap_deg": gap, "selected": True,
                     "crossings_found": len(crossings), "crossing_importance": crossings[-1] if crossings else np.nan,
                     "all_crossings": ", ".join(map(str, crossings))})
    return rows


def test_pentagon_importance_claims(config):
    selected = [(0.1, "digon pair", 0.01, np.nan), (0.5, "pentagon", 0.9, 120.0), (1.0, "pentagon", 1.0, 144.0),
                (5.0, "pentagon", 1.1, 170.0)]
    write_figure(config, "pentagon-importance", pentagon_rows(selected, [0.3]))
    assert evaluate(config, "pentagon-importance-loss-curves-cross").value == 0.3
    collapse = evaluate(config, "pentagon-importance-collapses-when-unimportant")
    assert collapse.value == 0.01 and collapse.holds
    room = evaluate(config, "pentagon-importance-more-room")
    assert room.value == 50.0 and room.holds
    selected = [(0.1, "pentagon", 0.8, 150.0), (1.0, "pentagon", 1.0, 144.0), (5.0, "pentagon", 1.0, 140.0)]
    write_figure(config, "pentagon-importance", pentagon_rows(selected, []))
    assert not evaluate(config, "pentagon-importance-loss-curves-cross").holds
    assert not evaluate(config, "pentagon-importance-collapses-when-unimportant").holds
    assert not evaluate(config, "pentagon-importance-more-room").holds


# --- adversarial-training ----------------------------------------------------------------------


def adversarial_rows(per_dimension, in_superposition, eliminated):
    fractions = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    return [{"row": "model", "instance": k, "adversarial_fraction": f, "features_per_dimension": d,
             "features_in_superposition": s, "elimination_fraction": eliminated}
            for k, (f, d, s) in enumerate(zip(fractions, per_dimension, in_superposition))]


def test_adversarial_training_claims(config):
    write_figure(config, "adversarial-training",
                 adversarial_rows([3.0, 2.6, 2.0, 1.5, 1.0, 1.0], [20, 15, 9, 3, 0, 0], 0.8))
    falls = evaluate(config, "adversarial-training-reduces-superposition")
    assert falls.value < -0.9 and falls.holds
    assert evaluate(config, "adversarial-training-eliminates-only-near-80-percent").holds
    write_figure(config, "adversarial-training",
                 adversarial_rows([3.0, 3.1, 2.9, 3.0, 3.2, 3.0], [20, 21, 19, 20, 22, 20], math.inf))
    assert not evaluate(config, "adversarial-training-reduces-superposition").holds
    assert not evaluate(config, "adversarial-training-eliminates-only-near-80-percent").holds


def test_elimination_fraction():
    table = pd.DataFrame({"adversarial_fraction": [0.0, 0.4, 0.4, 0.8, 1.2], "features_in_superposition": [5, 0, 1, 0, 0]})
    assert elimination_fraction(table) == 0.8  # one of the two models at 0.4 still has one
    table.loc[4, "features_in_superposition"] = 2
    assert math.isinf(elimination_fraction(table))


# --- relu-hidden-bias --------------------------------------------------------------------------


def share_rows(bias, few, many):
    """(linear, counted) mixed-sign used neurons of the biased, the n=10 and the n=100 models."""
    rows = []
    for model, features, (linear, counted) in (("relu_hidden_bias", 10, bias), ("relu_hidden", 10, few),
                                               ("relu_hidden", 100, many)):
        rows.append({"row": "share", "model": model, "features": features, "feature_probability": 0.1,
                     "linear_mixed": linear, "used_mixed": counted, "share_positive_bias": 1.0})
    return rows


def test_relu_hidden_bias_claims(config):
    write_figure(config, "relu-hidden-bias", share_rows((90, 100), (5, 100), (60, 100)))
    linear = evaluate(config, "relu-hidden-bias-shifts-neurons-linear")
    assert linear.value == 0.9 and linear.holds and linear.ci_low < 0.9 < linear.ci_high
    assert evaluate(config, "relu-hidden-no-bias-uses-the-relu").value == pytest.approx(0.85)
    assert evaluate(config, "relu-hidden-many-features-simulate-bias").value == pytest.approx(0.55)
    write_figure(config, "relu-hidden-bias", share_rows((30, 100), (40, 100), (20, 100)))
    assert not evaluate(config, "relu-hidden-bias-shifts-neurons-linear").holds
    assert not evaluate(config, "relu-hidden-no-bias-uses-the-relu").holds
    assert not evaluate(config, "relu-hidden-many-features-simulate-bias").holds


# --- nonlinear-compression ---------------------------------------------------------------------


def test_nonlinear_compression_claims(config):
    write_figure(config, "nonlinear-compression", grid_table())
    corner = evaluate(config, "nonlinear-compression-beats-linear-at-z3-eps01")
    assert 0 < corner.value < 1 and corner.holds
    assert evaluate(config, "nonlinear-compression-beats-linear-wherever-the-text-says").value == 1.0
    losing = grid_table()
    losing.loc[(losing["Z"] == 3) & (losing["eps"] == 0.1), "mse"] = 0.05
    losing["wins"] = losing["mse"] < 1 / 24
    write_figure(config, "nonlinear-compression", losing)
    assert not evaluate(config, "nonlinear-compression-beats-linear-at-z3-eps01").holds
    region = evaluate(config, "nonlinear-compression-beats-linear-wherever-the-text-says")
    assert region.value == pytest.approx(46 / 48) and not region.holds


def test_adversarial_one_feature_per_dimension_claim(config):
    write_figure(config, "adversarial-training",
                 adversarial_rows([3.0, 2.6, 2.0, 1.5, 0.9, 0.6], [20, 15, 9, 3, 2, 2], math.inf))
    result = evaluate(config, "adversarial-training-one-feature-per-dimension-near-80-percent")
    assert result.value == 0.8 and result.holds
    write_figure(config, "adversarial-training",
                 adversarial_rows([3.0, 0.9, 2.0, 1.5, 0.9, 0.6], [20, 15, 9, 3, 2, 2], math.inf))
    assert evaluate(config, "adversarial-training-one-feature-per-dimension-near-80-percent").value == 0.8
    write_figure(config, "adversarial-training",
                 adversarial_rows([3.0, 2.6, 0.9, 0.8, 0.9, 0.6], [20, 15, 9, 3, 2, 2], math.inf))
    assert not evaluate(config, "adversarial-training-one-feature-per-dimension-near-80-percent").holds
